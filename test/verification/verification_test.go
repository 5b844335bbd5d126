package verification

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	cf0 "github.com/cloudflare/cloudflare-go"
	"github.com/miekg/dns"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/daemon"
	"github.com/porticohq/portico/internal/testkit/node"
)

type env struct {
	node  *node.Node
	clock *clock.Fake
	zone  string
	api   *cf0.API
}

func newEnv(t *testing.T, backend string) *env {
	t.Helper()
	e := &env{clock: clock.NewFake(time.Now().UTC())}
	e.node = node.Start(t, backend, nil, daemon.WithClock(e.clock))
	ten := e.node.NewTenant(t, "saasprovider.com")
	e.zone = ten.ZoneID
	var err error
	e.api, err = cf0.NewWithAPIToken(ten.Token, cf0.BaseURL(e.node.BaseURL+"/client/v4"), cf0.UsingRateLimit(1000),
		cf0.HTTPClient(&http.Client{Timeout: 30 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) get(t *testing.T, id string) cf0.CustomHostname {
	t.Helper()
	h, err := e.api.CustomHostname(context.Background(), e.zone, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return h
}

// waitFor polls GET until cond holds (the node's scheduler runs on its own
// goroutine, polling every second), or fails after 15 s.
func (e *env) waitFor(t *testing.T, id, what string, cond func(cf0.CustomHostname) bool) cf0.CustomHostname {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		h := e.get(t, id)
		if cond(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened: status %s, errors %q", what, h.Status, h.VerificationErrors)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) metric(t *testing.T, line string) bool {
	t.Helper()
	resp, err := http.Get(e.node.BaseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), line)
}

func (e *env) audited(from, to string) bool {
	for _, l := range strings.Split(string(e.node.Logs.Bytes()), "\n") {
		if strings.Contains(l, `"event":"hostname_status_changed"`) && strings.Contains(l, `"from":"`+from+`"`) &&
			strings.Contains(l, `"to":"`+to+`"`) {
			return true
		}
	}
	return false
}

// TestOwnershipThroughTheAPI: create, publish the TXT record, PATCH to
// re-check, and see active in the reply; remove the record, and three
// (fake) hours later see moved; each transition audited and counted.
func TestOwnershipThroughTheAPI(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend)
			ctx := context.Background()
			ssl := &cf0.CustomHostnameSSL{Method: "http", Type: "dv"}
			resp, err := e.api.CreateCustomHostname(ctx, e.zone, cf0.CustomHostname{Hostname: "shop.example-customer.com", SSL: ssl})
			if err != nil {
				t.Fatal(err)
			}
			h := resp.Result
			if h.Status != cf0.PENDING {
				t.Fatalf("created as %s", h.Status)
			}
			// Checked at once on create: nothing is published yet.
			e.waitFor(t, h.ID, "the first check", func(h cf0.CustomHostname) bool { return len(h.VerificationErrors) > 0 })

			ov := h.OwnershipVerification
			e.node.DNS.SetTXT(ov.Name, ov.Value)
			start := time.Now()
			up, err := e.api.UpdateCustomHostnameSSL(ctx, e.zone, h.ID, ssl)
			if err != nil {
				t.Fatal(err)
			}
			if up.Result.Status != cf0.ACTIVE || len(up.Result.VerificationErrors) != 0 {
				t.Fatalf("PATCH reply: status %s, errors %q; want active", up.Result.Status, up.Result.VerificationErrors)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("the PATCH took %v, want under a second", d)
			}
			if got := e.get(t, h.ID); got.Status != cf0.ACTIVE {
				t.Fatalf("GET after the PATCH: %s", got.Status)
			}

			// The customer removes the record; the 3-hourly check moves it.
			e.node.DNS.Delete(ov.Name, dns.TypeTXT)
			e.clock.Advance(3*time.Hour + time.Minute)
			e.waitFor(t, h.ID, "moved", func(h cf0.CustomHostname) bool { return h.Status == cf0.MOVED })

			for _, tr := range [][2]string{{"pending", "active"}, {"active", "moved"}} {
				if !e.audited(tr[0], tr[1]) {
					t.Errorf("no audit event for %s -> %s", tr[0], tr[1])
				}
				if line := `portico_hostname_transitions_total{from="` + tr[0] + `",to="` + tr[1] + `"} 1`; !e.metric(t, line) {
					t.Errorf("/metrics lacks %s", line)
				}
			}
			if !e.metric(t, `portico_verify_checks_total{outcome="proven"}`) {
				t.Error("/metrics lacks portico_verify_checks_total")
			}
		})
	}
}

// TestCNAMEAndBlocklist: a CNAME to the zone's target proves ownership at
// the refresh; a name the operator blocked is refused with 400/1407.
func TestCNAMEAndBlocklist(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend)
			ctx := context.Background()
			ssl := &cf0.CustomHostnameSSL{Method: "txt", Type: "dv"}
			resp, err := e.api.CreateCustomHostname(ctx, e.zone, cf0.CustomHostname{Hostname: "www.example-customer.com", SSL: ssl})
			if err != nil {
				t.Fatal(err)
			}
			e.node.DNS.SetCNAME("www.example-customer.com", "customers.saasprovider.com")
			up, err := e.api.UpdateCustomHostnameSSL(ctx, e.zone, resp.Result.ID, ssl)
			if err != nil || up.Result.Status != cf0.ACTIVE {
				t.Fatalf("PATCH after the CNAME: %+v, %v", up, err)
			}

			var out struct {
				Name  string `json:"name"`
				Added bool   `json:"added"`
			}
			e.node.CLI(t, &out, "block", "add", "Example-Brand.com")
			if out.Name != "example-brand.com" || !out.Added {
				t.Fatalf("block add printed %+v", out)
			}
			_, err = e.api.CreateCustomHostname(ctx, e.zone, cf0.CustomHostname{Hostname: "shop.example-brand.com", SSL: ssl})
			var re *cf0.RequestError
			if !errors.As(err, &re) || !re.InternalErrorCodeIs(1407) || re.Type() != cf0.ErrorTypeRequest ||
				!strings.Contains(strings.Join(re.ErrorMessages(), " "), "blocked") {
				t.Fatalf("create under a blocked name: %v (%T)", err, err)
			}
			var list struct {
				Blocks []struct{ Name string } `json:"blocks"`
			}
			e.node.CLI(t, &list, "block", "list")
			if len(list.Blocks) != 1 || list.Blocks[0].Name != "example-brand.com" {
				t.Errorf("block list printed %+v", list)
			}
			var rm struct {
				Name    string `json:"name"`
				Removed bool   `json:"removed"`
			}
			e.node.CLI(t, &rm, "block", "remove", "example-brand.com")
			if rm.Name != "example-brand.com" || !rm.Removed {
				t.Errorf("block remove printed %+v", rm)
			}
			if _, err := e.api.CreateCustomHostname(ctx, e.zone, cf0.CustomHostname{Hostname: "shop.example-brand.com", SSL: ssl}); err != nil {
				t.Errorf("create after the block was removed: %v", err)
			}
		})
	}
}
