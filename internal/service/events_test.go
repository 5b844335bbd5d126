package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
)

// eventRecorder is an EventSink that keeps what it receives.
type eventRecorder struct {
	mu     sync.Mutex
	events []service.Event
}

func (r *eventRecorder) HostnameEvent(_ context.Context, e service.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *eventRecorder) take() []service.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// TestHostnameEvents: each write path emits one event, after the change,
// with the statuses around it and a reason.
func TestHostnameEvents(t *testing.T) {
	e := servicetest.New(t, nil)
	rec := &eventRecorder{}
	e.Svc.AddEventSink(rec)
	z, _ := e.Zone(t, saas)
	h, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "shop.example-customer.com"})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(typ service.EventType, from, to core.HostnameStatus, reason string) service.Event {
		return service.Event{Type: typ, ZoneID: z.ID, HostnameID: h.ID, Hostname: h.Name,
			FromStatus: from, ToStatus: to, Reason: reason}
	}
	steps := []struct {
		name string
		do   func() error
		want service.Event
	}{
		{"create", func() error { return nil }, ev(service.EventTypeHostnameCreated, "", core.HostnamePending, "")},
		{"verified", func() error {
			return e.Svc.TransitionHostname(ctx, z.ID, h.ID, core.HostnamePending, core.HostnameActive, "ownership_proven")
		}, ev(service.EventTypeHostnameVerified, core.HostnamePending, core.HostnameActive, "ownership_proven")},
		{"moved", func() error {
			return e.Svc.TransitionHostname(ctx, z.ID, h.ID, core.HostnameActive, core.HostnameMoved, "dns_no_longer_here")
		}, ev(service.EventTypeHostnameMoved, core.HostnameActive, core.HostnameMoved, "dns_no_longer_here")},
		{"refreshed", func() error {
			_, err := e.Svc.EditHostname(ctx, z.ID, h.ID, service.HostnamePatch{SSL: &service.SSLInput{Method: ptr("txt")}})
			return err
		}, ev(service.EventTypeHostnameStatusChanged, core.HostnameMoved, core.HostnamePending, service.TransitionRefreshed)},
		{"blocked", func() error {
			return e.Svc.TransitionHostname(ctx, z.ID, h.ID, core.HostnamePending, core.HostnameBlocked, "blocked_by_operator")
		}, ev(service.EventTypeHostnameBlocked, core.HostnamePending, core.HostnameBlocked, "blocked_by_operator")},
		{"deleted", func() error { return e.Svc.DeleteHostname(ctx, z.ID, h.ID) },
			ev(service.EventTypeHostnameDeleted, core.HostnameBlocked, core.HostnameDeleted, service.EventReasonRemoved)},
	}
	ids := map[string]bool{}
	for _, st := range steps {
		e.Clock.Advance(time.Second)
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := rec.take()
		if len(got) != 1 {
			t.Fatalf("%s: %d events, want 1: %+v", st.name, len(got), got)
		}
		if diff := cmp.Diff(st.want, got[0], cmpopts.IgnoreFields(service.Event{}, "ID", "At")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.name, diff)
		}
		if got[0].ID == "" || ids[got[0].ID] || got[0].At.IsZero() {
			t.Errorf("%s: id %q (seen before: %v), time %v", st.name, got[0].ID, ids[got[0].ID], got[0].At)
		}
		ids[got[0].ID] = true
	}
	// A refused change emits nothing.
	if err := e.Svc.DeleteHostname(ctx, z.ID, h.ID); err == nil {
		t.Fatal("deleting twice succeeded")
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("a failed delete emitted %+v", got)
	}
}

// TestEmit: Emit reaches every sink in order, and keeps what the caller set.
func TestEmit(t *testing.T) {
	e := servicetest.New(t, nil)
	e.Svc.Emit(ctx, service.Event{Type: service.EventTypeCertificateIssued}) // no sink: nothing happens
	var order []string
	var mu sync.Mutex
	for _, name := range []string{"first", "second"} {
		e.Svc.AddEventSink(sinkFunc(func(context.Context, service.Event) {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
		}))
	}
	rec := &eventRecorder{}
	e.Svc.AddEventSink(rec)
	e.Svc.AddEventSink(nil)
	at := servicetest.Start.Add(-time.Hour)
	in := service.Event{ID: "evt-1", Type: service.EventTypeCertificateIssued, ZoneID: "z", HostnameID: "h", Hostname: "a.example",
		At: at, Certificate: &service.EventCertificate{SerialNumber: "01", ExpiresOn: at.Add(90 * 24 * time.Hour)}}
	e.Svc.Emit(ctx, in)
	if diff := cmp.Diff([]service.Event{in}, rec.take()); diff != "" {
		t.Errorf("emitted (-want +got):\n%s", diff)
	}
	if !cmp.Equal(order, []string{"first", "second"}) {
		t.Errorf("sinks ran in order %v", order)
	}
	e.Svc.Emit(ctx, service.Event{Type: service.EventTypeCertificateFailed, Error: "CAA forbids lets_encrypt"})
	if got := rec.take(); len(got) != 1 || got[0].ID == "" || !got[0].At.Equal(e.Clock.Now().Truncate(time.Microsecond)) {
		t.Errorf("Emit did not set the id and time: %+v", got)
	}
}

type sinkFunc func(context.Context, service.Event)

func (f sinkFunc) HostnameEvent(ctx context.Context, e service.Event) { f(ctx, e) }

func TestEventTypesKnown(t *testing.T) {
	seen := map[service.EventType]bool{}
	for _, typ := range service.EventTypes {
		if !typ.Known() || seen[typ] {
			t.Errorf("%q: known %v, duplicate %v", typ, typ.Known(), seen[typ])
		}
		seen[typ] = true
	}
	if service.EventType("hostname.renamed").Known() {
		t.Error("an unknown type is known")
	}
}
