package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// testWebhooks checks store.Webhooks, which every store implements next to
// store.Store.
func testWebhooks(t *testing.T, open opener) {
	t.Run("Endpoints", func(t *testing.T) { testWebhookEndpoints(t, open) })
	t.Run("Enqueue", func(t *testing.T) { testWebhookEnqueue(t, open) })
	t.Run("DeliveryLog", func(t *testing.T) { testWebhookDeliveryLog(t, open) })
	t.Run("ClaimAndRecord", func(t *testing.T) { testWebhookClaimAndRecord(t, open) })
	t.Run("DeleteEndpoint", func(t *testing.T) { testWebhookDeleteEndpoint(t, open) })
	t.Run("ConcurrentClaims", func(t *testing.T) { testWebhookConcurrentClaims(t, open) })
	t.Run("Prune", func(t *testing.T) { testWebhookPrune(t, open) })
	t.Run("Context", func(t *testing.T) { testWebhookContext(t, open) })
}

func newEndpoint(t *testing.T, w store.Webhooks, zoneID string, created time.Time) core.WebhookEndpoint {
	t.Helper()
	e := core.WebhookEndpoint{
		ID: ident.UUID(), ZoneID: zoneID, URL: "https://hooks.saas.example/portico?tenant=1",
		Events: []string{"hostname.created", "hostname.verified"}, Description: `a "quoted", ünïcode description`,
		SecretSealed: []byte{1, 0, 2, 0xfe, 0xff, 0}, CreatedAt: created,
	}
	if err := w.CreateWebhookEndpoint(ctx(t), e); err != nil {
		t.Fatalf("CreateWebhookEndpoint: %v", err)
	}
	return e
}

func delivery(e core.WebhookEndpoint, eventType string, at time.Time) core.WebhookDelivery {
	return core.WebhookDelivery{
		ID: ident.UUID(), ZoneID: e.ZoneID, EndpointID: e.ID, EventID: ident.UUID(), EventType: eventType,
		Payload: []byte(`{"type":"` + eventType + `","data":{"hostname":"ünïcode.example"}}`),
		Status:  core.DeliveryPending, NextAttemptAt: at, CreatedAt: at, UpdatedAt: at,
	}
}

func enqueue(t *testing.T, w store.Webhooks, ds ...core.WebhookDelivery) {
	t.Helper()
	n, err := w.EnqueueWebhookDeliveries(ctx(t), ds)
	if err != nil {
		t.Fatalf("EnqueueWebhookDeliveries: %v", err)
	}
	if n != len(ds) {
		t.Fatalf("EnqueueWebhookDeliveries inserted %d of %d", n, len(ds))
	}
}

func claimDeliveries(t *testing.T, w store.Webhooks, now time.Time, limit int) []store.DeliveryClaim {
	t.Helper()
	got, err := w.ClaimDueWebhookDeliveries(ctx(t), now, limit, "node-a", time.Minute)
	if err != nil {
		t.Fatalf("ClaimDueWebhookDeliveries: %v", err)
	}
	return got
}

func getDelivery(t *testing.T, w store.Webhooks, d core.WebhookDelivery) core.WebhookDelivery {
	t.Helper()
	got, err := w.GetWebhookDelivery(ctx(t), d.ZoneID, d.EndpointID, d.ID)
	if err != nil {
		t.Fatalf("GetWebhookDelivery(%s): %v", d.ID, err)
	}
	return got
}

func testWebhookEndpoints(t *testing.T, open opener) {
	s := open(t)
	w := implements[store.Webhooks](t, s)
	z, other := newZone(t, s), newZone(t, s)
	a := newEndpoint(t, w, z.ID, base)
	b := core.WebhookEndpoint{ID: ident.UUID(), ZoneID: z.ID, URL: "https://b.saas.example/", SecretSealed: []byte{9},
		CreatedAt: base.Add(time.Second)}
	wantErr(t, "CreateWebhookEndpoint without events", w.CreateWebhookEndpoint(ctx(t), b), nil)

	got, err := w.GetWebhookEndpoint(ctx(t), z.ID, a.ID)
	wantErr(t, "GetWebhookEndpoint", err, nil)
	diff(t, "GetWebhookEndpoint", a, got)
	list, err := w.ListWebhookEndpoints(ctx(t), z.ID)
	wantErr(t, "ListWebhookEndpoints", err, nil)
	diff(t, "ListWebhookEndpoints", []core.WebhookEndpoint{a, b}, list)
	if list[1].Events != nil {
		t.Errorf("an endpoint without events came back with %q, want nil (every type)", list[1].Events)
	}
	if n, err := w.CountWebhookEndpoints(ctx(t), z.ID); err != nil || n != 2 {
		t.Errorf("CountWebhookEndpoints = %d, %v; want 2", n, err)
	}

	_, err = w.GetWebhookEndpoint(ctx(t), other.ID, a.ID)
	wantErr(t, "GetWebhookEndpoint from another zone", err, store.ErrNotFound)
	none, err := w.ListWebhookEndpoints(ctx(t), other.ID)
	wantErr(t, "ListWebhookEndpoints of another zone", err, nil)
	diff(t, "ListWebhookEndpoints of another zone", []core.WebhookEndpoint(nil), none)
	wantErr(t, "DeleteWebhookEndpoint from another zone", w.DeleteWebhookEndpoint(ctx(t), other.ID, a.ID), store.ErrNotFound)

	dup := a
	dup.ZoneID = other.ID
	wantErr(t, "CreateWebhookEndpoint with a taken id", w.CreateWebhookEndpoint(ctx(t), dup), store.ErrConflict)
	orphan := a
	orphan.ID, orphan.ZoneID = ident.UUID(), ident.ZoneID()
	wantErr(t, "CreateWebhookEndpoint in a missing zone", w.CreateWebhookEndpoint(ctx(t), orphan), store.ErrNotFound)

	wantErr(t, "DeleteWebhookEndpoint", w.DeleteWebhookEndpoint(ctx(t), z.ID, a.ID), nil)
	_, err = w.GetWebhookEndpoint(ctx(t), z.ID, a.ID)
	wantErr(t, "GetWebhookEndpoint after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteWebhookEndpoint twice", w.DeleteWebhookEndpoint(ctx(t), z.ID, a.ID), store.ErrNotFound)
}

func testWebhookEnqueue(t *testing.T, open opener) {
	s := open(t)
	w := implements[store.Webhooks](t, s)
	z, other := newZone(t, s), newZone(t, s)
	e := newEndpoint(t, w, z.ID, base)
	d := delivery(e, "hostname.created", base)
	d.ReplayOf = ident.UUID()

	wrongZone := delivery(e, "hostname.created", base)
	wrongZone.ZoneID = other.ID
	missing := delivery(e, "hostname.created", base)
	missing.EndpointID = ident.UUID()
	n, err := w.EnqueueWebhookDeliveries(ctx(t), []core.WebhookDelivery{d, wrongZone, missing})
	wantErr(t, "EnqueueWebhookDeliveries", err, nil)
	if n != 1 {
		t.Errorf("EnqueueWebhookDeliveries inserted %d, want 1 (the others' endpoint is not in their zone)", n)
	}
	want := d
	diff(t, "GetWebhookDelivery", want, getDelivery(t, w, d))
	_, err = w.GetWebhookDelivery(ctx(t), other.ID, e.ID, d.ID)
	wantErr(t, "GetWebhookDelivery from another zone", err, store.ErrNotFound)
	_, err = w.GetWebhookDelivery(ctx(t), z.ID, ident.UUID(), d.ID)
	wantErr(t, "GetWebhookDelivery of another endpoint", err, store.ErrNotFound)

	if n, err := w.EnqueueWebhookDeliveries(ctx(t), nil); err != nil || n != 0 {
		t.Errorf("EnqueueWebhookDeliveries(nil) = %d, %v", n, err)
	}
	again := delivery(e, "hostname.deleted", base)
	again.ID = d.ID
	_, err = w.EnqueueWebhookDeliveries(ctx(t), []core.WebhookDelivery{delivery(e, "hostname.moved", base), again})
	wantErr(t, "EnqueueWebhookDeliveries with a taken id", err, store.ErrConflict)
	page, err := w.ListWebhookDeliveries(ctx(t), z.ID, e.ID, store.DeliveryQuery{})
	wantErr(t, "ListWebhookDeliveries", err, nil)
	if page.Total != 1 {
		t.Errorf("after a refused batch %d deliveries, want 1: a batch is one transaction", page.Total)
	}
}

func testWebhookDeliveryLog(t *testing.T, open opener) {
	s := open(t)
	w := implements[store.Webhooks](t, s)
	z, other := newZone(t, s), newZone(t, s)
	e := newEndpoint(t, w, z.ID, base)
	e2 := newEndpoint(t, w, z.ID, base)
	var all []core.WebhookDelivery
	for i := range 5 {
		all = append(all, delivery(e, fmt.Sprintf("hostname.t%d", i), base.Add(time.Duration(i)*time.Second)))
	}
	enqueue(t, w, all...)
	enqueue(t, w, delivery(e2, "hostname.created", base))
	// The newest finishes, so that the status filter has something to find.
	c := claimDeliveries(t, w, base.Add(time.Hour), 10)
	for _, cl := range c {
		if cl.Delivery.ID != all[4].ID {
			continue
		}
		wantErr(t, "RecordWebhookAttempt", w.RecordWebhookAttempt(ctx(t), store.DeliveryAttempt{
			ZoneID: z.ID, DeliveryID: cl.Delivery.ID, LeaseToken: cl.LeaseToken, At: base.Add(time.Hour),
			Status: core.DeliverySucceeded, ResponseCode: 204}), nil)
	}

	ids := func(ds []core.WebhookDelivery) []string {
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = d.ID
			if d.Payload != nil {
				t.Errorf("listed delivery %s carries its payload", d.ID)
			}
		}
		return out
	}
	tests := []struct {
		name  string
		q     store.DeliveryQuery
		want  []string
		total int
	}{
		{"all, newest first", store.DeliveryQuery{}, []string{all[4].ID, all[3].ID, all[2].ID, all[1].ID, all[0].ID}, 5},
		{"page 2 of 2", store.DeliveryQuery{Offset: 2, Limit: 2}, []string{all[2].ID, all[1].ID}, 5},
		{"past the end", store.DeliveryQuery{Offset: 10, Limit: 2}, []string{}, 5},
		{"succeeded", store.DeliveryQuery{Status: core.DeliverySucceeded}, []string{all[4].ID}, 1},
		{"pending", store.DeliveryQuery{Status: core.DeliveryPending, Limit: 1}, []string{all[3].ID}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := w.ListWebhookDeliveries(ctx(t), z.ID, e.ID, tt.q)
			wantErr(t, "ListWebhookDeliveries", err, nil)
			diff(t, "ids", tt.want, ids(page.Deliveries))
			if page.Total != tt.total {
				t.Errorf("Total = %d, want %d", page.Total, tt.total)
			}
		})
	}
	_, err := w.ListWebhookDeliveries(ctx(t), other.ID, e.ID, store.DeliveryQuery{})
	wantErr(t, "ListWebhookDeliveries from another zone", err, store.ErrNotFound)
	_, err = w.ListWebhookDeliveries(ctx(t), z.ID, ident.UUID(), store.DeliveryQuery{})
	wantErr(t, "ListWebhookDeliveries of a missing endpoint", err, store.ErrNotFound)
}

func testWebhookClaimAndRecord(t *testing.T, open opener) {
	s := open(t)
	w := implements[store.Webhooks](t, s)
	z := newZone(t, s)
	e := newEndpoint(t, w, z.ID, base)
	d := delivery(e, "hostname.verified", base)
	enqueue(t, w, d)

	if got := claimDeliveries(t, w, base.Add(-time.Second), 10); len(got) != 0 {
		t.Fatalf("claimed %d deliveries before any was due", len(got))
	}
	first := claimDeliveries(t, w, base, 10)
	if len(first) != 1 || first[0].Delivery.ID != d.ID {
		t.Fatalf("claimed %+v, want the one delivery", first)
	}
	want := d
	want.NextAttemptAt = base.Add(time.Minute)
	diff(t, "claimed delivery", want, first[0].Delivery)
	if got := claimDeliveries(t, w, base.Add(30*time.Second), 10); len(got) != 0 {
		t.Fatalf("claimed a leased delivery again: %+v", got)
	}
	// The lease expires (the worker died): due again under a new token, and
	// the old worker's result is refused.
	again := claimDeliveries(t, w, base.Add(time.Minute), 10)
	if len(again) != 1 || again[0].LeaseToken == first[0].LeaseToken {
		t.Fatalf("after the lease expired claimed %+v, want the delivery under a new token", again)
	}
	retryAt := base.Add(5 * time.Minute)
	att := store.DeliveryAttempt{
		ZoneID: z.ID, DeliveryID: d.ID, LeaseToken: first[0].LeaseToken, At: base.Add(time.Minute),
		Status: core.DeliveryPending, NextAttemptAt: retryAt, ResponseCode: 503, Error: "HTTP 503 Service Unavailable",
	}
	wantErr(t, "RecordWebhookAttempt with a superseded lease", w.RecordWebhookAttempt(ctx(t), att), store.ErrStale)
	att.LeaseToken = again[0].LeaseToken
	wantErr(t, "RecordWebhookAttempt", w.RecordWebhookAttempt(ctx(t), att), nil)
	want.NextAttemptAt, want.Attempts, want.LastAttemptAt = retryAt, 1, att.At
	want.LastResponseCode, want.LastError, want.UpdatedAt = 503, att.Error, att.At
	diff(t, "after a failed attempt", want, getDelivery(t, w, d))
	wantErr(t, "RecordWebhookAttempt twice", w.RecordWebhookAttempt(ctx(t), att), store.ErrStale)

	if got := claimDeliveries(t, w, retryAt.Add(-time.Second), 10); len(got) != 0 {
		t.Fatalf("claimed a delivery before its retry was due: %+v", got)
	}
	third := claimDeliveries(t, w, retryAt, 10)
	if len(third) != 1 {
		t.Fatalf("claimed %d at the retry time, want 1", len(third))
	}
	done := store.DeliveryAttempt{ZoneID: z.ID, DeliveryID: d.ID, LeaseToken: third[0].LeaseToken, At: retryAt,
		Status: core.DeliverySucceeded, ResponseCode: 200}
	wantErr(t, "RecordWebhookAttempt succeeded", w.RecordWebhookAttempt(ctx(t), done), nil)
	want.Status, want.NextAttemptAt, want.Attempts, want.LastAttemptAt = core.DeliverySucceeded, time.Time{}, 2, retryAt
	want.LastResponseCode, want.LastError, want.UpdatedAt = 200, "", retryAt
	diff(t, "after success", want, getDelivery(t, w, d))
	if got := claimDeliveries(t, w, base.Add(365*24*time.Hour), 10); len(got) != 0 {
		t.Errorf("claimed a finished delivery: %+v", got)
	}

	wrong := done
	wrong.ZoneID = newZone(t, s).ID
	wantErr(t, "RecordWebhookAttempt from another zone", w.RecordWebhookAttempt(ctx(t), wrong), store.ErrNotFound)
	wrong = done
	wrong.DeliveryID = ident.UUID()
	wantErr(t, "RecordWebhookAttempt of a missing delivery", w.RecordWebhookAttempt(ctx(t), wrong), store.ErrNotFound)
}

func testWebhookDeleteEndpoint(t *testing.T, open opener) {
	s := open(t)
	w := implements[store.Webhooks](t, s)
	z := newZone(t, s)
	e, keep := newEndpoint(t, w, z.ID, base), newEndpoint(t, w, z.ID, base)
	d, kept := delivery(e, "hostname.created", base), delivery(keep, "hostname.created", base)
	enqueue(t, w, d, kept)
	c := claimDeliveries(t, w, base, 1)

	wantErr(t, "DeleteWebhookEndpoint", w.DeleteWebhookEndpoint(ctx(t), z.ID, e.ID), nil)
	_, err := w.GetWebhookDelivery(ctx(t), z.ID, e.ID, d.ID)
	wantErr(t, "GetWebhookDelivery after its endpoint was deleted", err, store.ErrNotFound)
	if c[0].Delivery.ID == d.ID {
		err := w.RecordWebhookAttempt(ctx(t), store.DeliveryAttempt{ZoneID: z.ID, DeliveryID: d.ID,
			LeaseToken: c[0].LeaseToken, At: base, Status: core.DeliverySucceeded, ResponseCode: 200})
		wantErr(t, "RecordWebhookAttempt after its endpoint was deleted", err, store.ErrNotFound)
	}
	for _, cl := range claimDeliveries(t, w, base.Add(time.Hour), 10) {
		if cl.Delivery.EndpointID == e.ID {
			t.Errorf("claimed delivery %s of a deleted endpoint", cl.Delivery.ID)
		}
	}
	diff(t, "the other endpoint's delivery", kept.ID, getDelivery(t, w, kept).ID)
	n, err := w.EnqueueWebhookDeliveries(ctx(t), []core.WebhookDelivery{delivery(e, "hostname.moved", base)})
	if err != nil || n != 0 {
		t.Errorf("EnqueueWebhookDeliveries for a deleted endpoint = %d, %v; want 0, nil", n, err)
	}
}

func testWebhookConcurrentClaims(t *testing.T, open opener) {
	s := open(t)
	w := implements[store.Webhooks](t, s)
	z := newZone(t, s)
	e := newEndpoint(t, w, z.ID, base)
	const n = 120
	ds := make([]core.WebhookDelivery, n)
	for i := range ds {
		ds[i] = delivery(e, "hostname.created", base.Add(time.Duration(i)*time.Millisecond))
	}
	enqueue(t, w, ds...)
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
		errs = make(chan error, 8)
		now  = base.Add(time.Second)
	)
	for k := range 8 {
		wg.Go(func() {
			for {
				got, err := w.ClaimDueWebhookDeliveries(ctx(t), now, 7, fmt.Sprintf("worker-%d", k), time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, c := range got {
					seen[c.Delivery.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ClaimDueWebhookDeliveries: %v", err)
	}
	if len(seen) != n {
		t.Errorf("%d deliveries claimed, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("delivery %s claimed %d times", id, k)
		}
	}
}

func testWebhookPrune(t *testing.T, open opener) {
	s := open(t)
	w := implements[store.Webhooks](t, s)
	z := newZone(t, s)
	e := newEndpoint(t, w, z.ID, base)
	old, recent, pending := delivery(e, "a", base), delivery(e, "b", base), delivery(e, "c", base)
	enqueue(t, w, old, recent, pending)
	finish := func(d core.WebhookDelivery, at time.Time, status core.DeliveryStatus) {
		t.Helper()
		for _, c := range claimDeliveries(t, w, at, 10) {
			if c.Delivery.ID == d.ID {
				wantErr(t, "RecordWebhookAttempt", w.RecordWebhookAttempt(ctx(t), store.DeliveryAttempt{ZoneID: z.ID,
					DeliveryID: d.ID, LeaseToken: c.LeaseToken, At: at, Status: status}), nil)
				continue
			}
			// Give the others back: due again at once.
			wantErr(t, "RecordWebhookAttempt", w.RecordWebhookAttempt(ctx(t), store.DeliveryAttempt{ZoneID: z.ID,
				DeliveryID: c.Delivery.ID, LeaseToken: c.LeaseToken, At: at, Status: core.DeliveryPending,
				NextAttemptAt: base}), nil)
		}
	}
	finish(old, base.Add(time.Hour), core.DeliveryFailed)
	finish(recent, base.Add(3*time.Hour), core.DeliverySucceeded)

	n, err := w.PruneWebhookDeliveries(ctx(t), base.Add(2*time.Hour), 100)
	wantErr(t, "PruneWebhookDeliveries", err, nil)
	if n != 1 {
		t.Errorf("pruned %d, want 1", n)
	}
	_, err = w.GetWebhookDelivery(ctx(t), z.ID, e.ID, old.ID)
	wantErr(t, "GetWebhookDelivery of a pruned delivery", err, store.ErrNotFound)
	getDelivery(t, w, recent)
	getDelivery(t, w, pending)
	if n, err := w.PruneWebhookDeliveries(ctx(t), base.Add(365*24*time.Hour), 100); err != nil || n != 1 {
		t.Errorf("pruning everything finished = %d, %v; want 1 (the pending one stays)", n, err)
	}
}

func testWebhookContext(t *testing.T, open opener) {
	s := open(t)
	w := implements[store.Webhooks](t, s)
	z := newZone(t, s)
	e := newEndpoint(t, w, z.ID, base)
	cancelled, cancel := context.WithCancel(ctx(t))
	cancel()
	calls := []struct {
		name string
		do   func(context.Context) error
	}{
		{"ListWebhookEndpoints", func(c context.Context) error { _, err := w.ListWebhookEndpoints(c, z.ID); return err }},
		{"EnqueueWebhookDeliveries", func(c context.Context) error {
			_, err := w.EnqueueWebhookDeliveries(c, []core.WebhookDelivery{delivery(e, "a", base)})
			return err
		}},
		{"ClaimDueWebhookDeliveries", func(c context.Context) error {
			_, err := w.ClaimDueWebhookDeliveries(c, base, 1, "x", time.Minute)
			return err
		}},
	}
	for _, c := range calls {
		if err := c.do(cancelled); err == nil {
			t.Errorf("%s with a cancelled context succeeded", c.name)
		}
	}
}
