package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

func testUniqueness(t *testing.T, open opener) {
	t.Run("duplicate name in a zone", func(t *testing.T) {
		s := open(t)
		z := newZone(t, s)
		createHostname(t, s, minimalHostname(z.ID, "dup.customer.example"))
		err := s.CreateHostname(ctx(t), minimalHostname(z.ID, "dup.customer.example"))
		wantErr(t, "CreateHostname of a taken name", err, store.ErrConflict)
		mustCount(t, s, z.ID, 1)
	})
	t.Run("duplicate id", func(t *testing.T) {
		s := open(t)
		z := newZone(t, s)
		h := createHostname(t, s, minimalHostname(z.ID, "one.customer.example"))
		again := minimalHostname(z.ID, "two.customer.example")
		again.ID = h.ID
		wantErr(t, "CreateHostname of a taken id", s.CreateHostname(ctx(t), again), store.ErrConflict)
		mustCount(t, s, z.ID, 1)
	})
	t.Run("same name in two zones", func(t *testing.T) {
		// Two tenants may claim one name; ownership verification decides.
		s := open(t)
		a, b := newZone(t, s), newZone(t, s)
		ha := createHostname(t, s, minimalHostname(a.ID, "shared.customer.example"))
		hb := createHostname(t, s, minimalHostname(b.ID, "shared.customer.example"))
		for _, h := range []struct{ zone, id string }{{a.ID, ha.ID}, {b.ID, hb.ID}} {
			page, err := s.ListHostnames(ctx(t), h.zone, store.HostnameQuery{NameExact: "shared.customer.example"})
			wantErr(t, "ListHostnames", err, nil)
			if page.Total != 1 || len(page.Hostnames) != 1 || page.Hostnames[0].ID != h.id {
				t.Errorf("zone %s lists %d of %d, want its own hostname only", h.zone, len(page.Hostnames), page.Total)
			}
		}
	})
	t.Run("racing creates", func(t *testing.T) {
		s := open(t)
		z := newZone(t, s)
		const n = 20
		var (
			wg                   sync.WaitGroup
			mu                   sync.Mutex
			ok, conflict, others int
			start                = make(chan struct{})
		)
		for range n {
			h := minimalHostname(z.ID, "race.customer.example")
			h.ID = ident.UUID()
			wg.Go(func() {
				<-start
				err := s.CreateHostname(ctx(t), h)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, store.ErrConflict):
					conflict++
				default:
					others++
					t.Errorf("CreateHostname: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if ok != 1 || conflict != n-1 {
			t.Errorf("racing creates: %d succeeded, %d conflicted, %d failed; want 1, %d, 0", ok, conflict, others, n-1)
		}
		mustCount(t, s, z.ID, 1)
	})
}
