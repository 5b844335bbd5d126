package webhook_test

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/webhook"
)

// TestDeliverSigned: one event reaches a real HTTPS receiver, signed, with
// the documented headers and body, and the log says so.
func TestDeliverSigned(t *testing.T) {
	clk := start
	r := newReceiver(t, nil)
	e := newEnv(t, r.roots(), nil)
	r.clk = e.clk
	ep, secret := e.endpoint(t, r.url("/portico?tenant=42"))
	r.setSecret(secret)
	ev := e.event(t, service.EventTypeHostnameVerified)
	e.run(t, 1)

	got := r.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	req := got[0]
	if req.verifyErr != nil {
		t.Fatalf("signature: %v", req.verifyErr)
	}
	log := e.deliveries(t, ep.ID)
	if len(log) != 1 {
		t.Fatalf("%d deliveries logged, want 1", len(log))
	}
	d := log[0]
	for h, want := range map[string]string{
		webhook.HeaderID:        d.ID,
		webhook.HeaderEvent:     "hostname.verified",
		webhook.HeaderTimestamp: fmt.Sprint(clk.Unix()),
		"Content-Type":          "application/json",
		"User-Agent":            "Portico-Webhooks/1",
	} {
		if v := req.header.Get(h); v != want {
			t.Errorf("%s: %q, want %q", h, v, want)
		}
	}
	var msg webhook.Message
	if err := json.Unmarshal(req.body, &msg); err != nil {
		t.Fatalf("body %s: %v", req.body, err)
	}
	want := webhook.Message{ID: ev.ID, Type: "hostname.verified", CreatedAt: ev.At, ZoneID: e.zone,
		Data: webhook.MessageData{HostnameID: ev.HostnameID, Hostname: "shop.example-customer.com", Status: "active",
			PreviousStatus: "pending", Reason: "ownership_proven"}}
	if diff := cmp.Diff(want, msg); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	wantLog := core.WebhookDelivery{ID: d.ID, ZoneID: e.zone, EndpointID: ep.ID, EventID: ev.ID, EventType: "hostname.verified",
		Status: core.DeliverySucceeded, Attempts: 1, LastAttemptAt: start, LastResponseCode: 200,
		CreatedAt: start, UpdatedAt: start}
	if diff := cmp.Diff(wantLog, d, cmpopts.EquateApproxTime(time.Microsecond)); diff != "" {
		t.Errorf("delivery log (-want +got):\n%s", diff)
	}
	full, err := e.eps.Delivery(t.Context(), e.zone, ep.ID, d.ID)
	if err != nil || string(full.Payload) != string(req.body) {
		t.Errorf("stored payload %s (%v), sent %s", full.Payload, err, req.body)
	}
	if n := e.metric(t, webhook.OutcomeSucceeded); n != 1 {
		t.Errorf("succeeded = %d, want 1", n)
	}
	e.run(t, 0) // done: nothing is due
}

// TestRetriesThenSuccess: refused, 500, timeout, then 200, each retry after
// the backoff and not before, under the fake clock.
func TestRetriesThenSuccess(t *testing.T) {
	// A port that refuses connections until the receiver starts on it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	probe := newReceiver(t, nil) // only for its certificate's roots
	e := newEnv(t, probe.roots(), nil)
	ep, secret := e.endpoint(t, "https://"+addr+"/hook")
	e.event(t, service.EventTypeHostnameCreated)

	steps := []struct {
		name    string
		wait    time.Duration // since the previous attempt
		code    int
		err     string
		status  core.DeliveryStatus
		outcome string
	}{
		{"refused", 0, 0, "connection refused", core.DeliveryPending, webhook.OutcomeRetried},
		{"500", 10 * time.Second, 500, "HTTP 500 Internal Server Error", core.DeliveryPending, webhook.OutcomeRetried},
		{"timeout", 20 * time.Second, 0, "timed out: no response within 300ms", core.DeliveryPending, webhook.OutcomeRetried},
		{"ok", 40 * time.Second, 200, "", core.DeliverySucceeded, webhook.OutcomeSucceeded},
	}
	var r *receiver
	for i, st := range steps {
		if st.wait > 0 {
			e.clk.Advance(st.wait - time.Second)
			e.run(t, 0) // not due yet
			e.clk.Advance(time.Second)
		}
		if i == 1 {
			r = newReceiverAt(t, addr, e.clk, 500, hang)
			r.setSecret(secret)
		}
		e.run(t, 1)
		d := e.deliveries(t, ep.ID)[0]
		if d.Status != st.status || d.Attempts != i+1 || d.LastResponseCode != st.code || d.LastError != st.err ||
			!d.LastAttemptAt.Equal(e.clk.Now()) {
			t.Errorf("%s: delivery %+v; want status %s, attempt %d, code %d, error %q", st.name, d, st.status, i+1, st.code, st.err)
		}
	}
	got := r.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	for i, req := range got {
		if req.verifyErr != nil || req.header.Get(webhook.HeaderID) != got[0].header.Get(webhook.HeaderID) {
			t.Errorf("request %d: signature %v, id %s (retries keep the delivery id)", i, req.verifyErr, req.header.Get(webhook.HeaderID))
		}
	}
	if a, b := e.metric(t, webhook.OutcomeRetried), e.metric(t, webhook.OutcomeSucceeded); a != 3 || b != 1 {
		t.Errorf("metrics: retried %d, succeeded %d; want 3, 1", a, b)
	}
}

// TestGivesUpAfterWindow: a receiver that always fails sees attempts at
// 0, 1, 3, 7, 15, 31, 63 and 123 minutes; the next would fall after the
// 3-hour window, so the delivery fails.
func TestGivesUpAfterWindow(t *testing.T) {
	r := newReceiver(t, nil, repeat(503, 20)...)
	e := newEnv(t, r.roots(), func(c *webhook.DispatcherConfig) {
		c.Retry = webhook.RetryPolicy{Initial: time.Minute, Max: time.Hour, Window: 3 * time.Hour, Jitter: -1}
	})
	r.clk = e.clk
	ep, secret := e.endpoint(t, r.url("/"))
	r.setSecret(secret)
	e.event(t, service.EventTypeHostnameMoved)
	var at []time.Duration
	for range 20 {
		n, err := e.disp.RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			at = append(at, e.clk.Now().Sub(start))
		}
		d := e.deliveries(t, ep.ID)[0]
		if d.Status == core.DeliveryFailed {
			if d.Attempts != 8 || d.LastResponseCode != 503 || !d.NextAttemptAt.IsZero() {
				t.Errorf("failed delivery %+v", d)
			}
			break
		}
		e.clk.Set(d.NextAttemptAt)
	}
	want := []time.Duration{0, 1, 3, 7, 15, 31, 63, 123}
	for i := range want {
		want[i] *= time.Minute
	}
	if !cmp.Equal(want, at) {
		t.Errorf("attempts at %v, want %v", at, want)
	}
	if a, f := e.metric(t, webhook.OutcomeRetried), e.metric(t, webhook.OutcomeFailed); a != 7 || f != 1 {
		t.Errorf("metrics: retried %d, failed %d; want 7, 1", a, f)
	}
	if !strings.Contains(string(e.logs.Bytes()), `"level":"WARN","msg":"webhook attempt"`) {
		t.Error("a failed delivery is not logged as a warning")
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestJitterSpreadsRetries: with jitter, retries stay within the bounds.
func TestJitterSpreadsRetries(t *testing.T) {
	r := newReceiver(t, nil, repeat(500, 50)...)
	e := newEnv(t, r.roots(), func(c *webhook.DispatcherConfig) {
		c.Retry = webhook.RetryPolicy{Initial: 100 * time.Second, Jitter: 0.2}
	})
	r.clk = e.clk
	ep, _ := e.endpoint(t, r.url("/"))
	seen := map[time.Duration]bool{}
	for range 20 {
		e.event(t, service.EventTypeHostnameCreated)
	}
	e.run(t, 20)
	for _, d := range e.deliveries(t, ep.ID) {
		wait := d.NextAttemptAt.Sub(d.LastAttemptAt)
		if wait < 80*time.Second || wait > 120*time.Second {
			t.Errorf("retry after %v, want 100s ± 20%%", wait)
		}
		seen[wait] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 retries all wait %v: no jitter", seen)
	}
}

// TestReplay: a replay is a new delivery of the same event, with its own
// id, sent even though the original succeeded.
func TestReplay(t *testing.T) {
	r := newReceiver(t, nil)
	e := newEnv(t, r.roots(), nil)
	r.clk = e.clk
	ep, secret := e.endpoint(t, r.url("/"))
	r.setSecret(secret)
	ev := e.event(t, service.EventTypeHostnameDeleted)
	e.run(t, 1)
	orig := e.deliveries(t, ep.ID)[0]

	e.clk.Advance(time.Hour)
	rep, err := e.eps.Replay(t.Context(), e.zone, ep.ID, strings.ToUpper(orig.ID))
	if err != nil {
		t.Fatal(err)
	}
	if rep.ID == orig.ID || rep.ReplayOf != orig.ID || rep.EventID != ev.ID || rep.Status != core.DeliveryPending {
		t.Errorf("replay %+v of %s", rep, orig.ID)
	}
	e.run(t, 1)
	got := r.requests()
	if len(got) != 2 || got[1].verifyErr != nil || string(got[1].body) != string(got[0].body) ||
		got[1].header.Get(webhook.HeaderID) != rep.ID {
		t.Fatalf("requests after the replay: %d; second: id %s, signature %v", len(got), got[len(got)-1].header.Get(webhook.HeaderID), got[len(got)-1].verifyErr)
	}
	log := e.deliveries(t, ep.ID)
	if len(log) != 2 || log[0].ID != rep.ID || log[0].Status != core.DeliverySucceeded || log[1].ID != orig.ID {
		t.Errorf("log after the replay: %+v", log)
	}

	for name, id := range map[string][2]string{
		"unknown delivery":       {ep.ID, "00000000-0000-4000-8000-000000000000"},
		"unknown endpoint":       {"00000000-0000-4000-8000-000000000000", orig.ID},
		"another zone's request": {ep.ID, orig.ID},
	} {
		zone := e.zone
		if name == "another zone's request" {
			zone = newZone(t, e.base)
		}
		_, err := e.eps.Replay(t.Context(), zone, id[0], id[1])
		if ce := core.AsError(err); ce.Kind != core.KindNotFound {
			t.Errorf("%s: replay = %v, want not found", name, err)
		}
	}
}
