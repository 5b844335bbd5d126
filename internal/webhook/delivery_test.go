package webhook_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/secretscan"
	"github.com/porticohq/portico/internal/webhook"
)

// TestDeleteStopsDeliveries: an endpoint deleted between two attempts gets
// no more, and new events no longer queue for it.
func TestDeleteStopsDeliveries(t *testing.T) {
	r := newReceiver(t, nil, 500, 500)
	e := newEnv(t, r.roots(), nil)
	r.clk = e.clk
	ep, secret := e.endpoint(t, r.url("/"))
	r.setSecret(secret)
	e.event(t, service.EventTypeHostnameCreated)
	e.run(t, 1)
	if err := e.eps.Delete(t.Context(), e.zone, ep.ID); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	e.run(t, 0)
	e.event(t, service.EventTypeHostnameVerified)
	e.run(t, 0)
	if n := len(r.requests()); n != 1 {
		t.Errorf("receiver got %d requests, want the 1 before the delete", n)
	}
	if _, err := e.eps.Deliveries(t.Context(), e.zone, ep.ID, webhook.ListOptions{}); core.AsError(err).Kind != core.KindNotFound {
		t.Errorf("the deleted endpoint's log: %v, want not found", err)
	}
}

// TestEventFilter: an endpoint gets only the types it asked for.
func TestEventFilter(t *testing.T) {
	r := newReceiver(t, nil)
	e := newEnv(t, r.roots(), nil)
	r.clk = e.clk
	all, _ := e.endpoint(t, r.url("/all"))
	some, _ := e.endpoint(t, r.url("/some"), "hostname.verified", "certificate.failed")
	for _, typ := range []service.EventType{service.EventTypeHostnameCreated, service.EventTypeHostnameVerified,
		service.EventTypeCertificateIssued, service.EventTypeCertificateFailed} {
		e.event(t, typ)
	}
	e.run(t, 6)
	types := func(id string) []string {
		var out []string
		for _, d := range e.deliveries(t, id) {
			out = append(out, d.EventType)
		}
		slices.Sort(out) // one fake instant: the log's order is by id
		return out
	}
	if got := types(all.ID); len(got) != 4 {
		t.Errorf("every-type endpoint got %v", got)
	}
	if got := strings.Join(types(some.ID), ","); got != "certificate.failed,hostname.verified" {
		t.Errorf("filtered endpoint got %s", got)
	}
}

// TestRedirectNotFollowed: a 3xx is a failed attempt; the signed body goes
// nowhere else.
func TestRedirectNotFollowed(t *testing.T) {
	r := newReceiver(t, nil, 302)
	e := newEnv(t, r.roots(), nil)
	r.clk = e.clk
	ep, _ := e.endpoint(t, r.url("/"))
	e.event(t, service.EventTypeHostnameCreated)
	e.run(t, 1)
	d := e.deliveries(t, ep.ID)[0]
	if d.Status != core.DeliveryPending || d.LastResponseCode != 302 || d.LastError != "HTTP 302 Found: redirects are not followed" {
		t.Errorf("after a redirect: %+v", d)
	}
}

// TestDNSSteeredToLoopbackRefused: a name accepted at creation whose DNS
// later points at this machine is refused when the delivery connects, in
// the production policy.
func TestDNSSteeredToLoopbackRefused(t *testing.T) {
	r := newReceiver(t, nil)
	dns := dnstest.New(t)
	dns.SetA("hooks.customer-steer.example", "127.0.0.1")
	dns.SetA("metadata.customer-steer.example", "169.254.169.254")
	e := newEnv(t, r.roots(), func(c *webhook.DispatcherConfig) {
		c.Network = webhook.Network{AllowPrivate: true}
		c.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, dns.Addr())
		}}
	})
	_, port, _ := net.SplitHostPort(r.srv.Listener.Addr().String())
	for host, want := range map[string]string{
		"hooks.customer-steer.example":    "refused: address not allowed for webhooks: 127.0.0.1 is loopback",
		"metadata.customer-steer.example": "refused: address not allowed for webhooks: 169.254.169.254 is link-local",
	} {
		ep, _ := e.endpoint(t, "https://"+host+":"+port+"/")
		e.event(t, service.EventTypeHostnameCreated)
		e.run(t, 1)
		if d := e.deliveries(t, ep.ID)[0]; d.LastError != want || d.Status != core.DeliveryPending {
			t.Errorf("%s: %+v, want error %q", host, d, want)
		}
		if err := e.eps.Delete(t.Context(), e.zone, ep.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.requests()); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
}

// TestNoSecretsInLogs: neither the signing secret nor the URL's path and
// query (which may carry the receiver's token) reach the logs or the
// delivery log.
func TestNoSecretsInLogs(t *testing.T) {
	const token = "receiver-token-5f1d0c"
	r := newReceiver(t, nil, 500, 401)
	e := newEnv(t, r.roots(), func(c *webhook.DispatcherConfig) {
		c.Retry = webhook.RetryPolicy{Initial: time.Second, Window: 2 * time.Second, Jitter: -1}
	})
	r.clk = e.clk
	ep, secret := e.endpoint(t, r.url("/in/"+token+"?key="+token))
	e.event(t, service.EventTypeHostnameCreated)
	e.run(t, 1)
	e.clk.Advance(time.Second)
	e.run(t, 1)
	d := e.deliveries(t, ep.ID)[0]
	if d.Status != core.DeliveryFailed {
		t.Fatalf("delivery %+v, want failed", d)
	}
	logs := string(e.logs.Bytes())
	for what, s := range map[string]string{"secret": secret, "URL token": token} {
		if strings.Contains(logs, s) || strings.Contains(d.LastError, s) {
			t.Errorf("the %s leaked into the logs or the delivery log", what)
		}
	}
	if found := secretscan.Find(e.logs.Bytes()); len(found) > 0 {
		t.Errorf("secrets in the logs: %v", found)
	}
	if !strings.Contains(logs, `"host":"127.0.0.1"`) {
		t.Errorf("the logs do not name the receiver's host:\n%s", logs)
	}
}

// TestTwoDispatchersDeliverOnce: two dispatchers on one database (two
// nodes) share the work; each delivery is POSTed once.
func TestTwoDispatchersDeliverOnce(t *testing.T) {
	r := newReceiver(t, nil)
	e := newEnv(t, r.roots(), nil)
	r.clk = e.clk
	e.endpoint(t, r.url("/a"))
	e.endpoint(t, r.url("/b"))
	other := e.newDispatcher(t, nil)
	const events = 30
	for range events {
		e.event(t, service.EventTypeHostnameCreated)
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, d := range []*webhook.Dispatcher{e.disp, other} {
		wg.Go(func() {
			n, err := d.RunOnce(context.Background())
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, req := range r.requests() {
		seen[req.header.Get("Portico-Webhook-Id")]++
	}
	if len(seen) != 2*events || counts[0]+counts[1] != 2*events {
		t.Errorf("%d distinct deliveries, %v attempts; want %d", len(seen), counts, 2*events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s POSTed %d times", id, n)
		}
	}
}

// TestEnqueueWithoutEndpoints: a zone without endpoints costs one read per
// event and queues nothing.
func TestEnqueueWithoutEndpoints(t *testing.T) {
	e := newEnv(t, nil, nil)
	for i := range 3 {
		e.event(t, service.EventType(fmt.Sprintf("hostname.t%d", i)))
	}
	e.run(t, 0)
}
