package webhook_test

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/postgres"
	"github.com/porticohq/portico/internal/store/sqlite"
	"github.com/porticohq/portico/internal/testkit/pgtest"
	"github.com/porticohq/portico/internal/webhook"
)

// BenchmarkHostnameEvent measures what queueing an event adds to the write
// path that emits it (a hostname create, a status change): one read for a
// zone without webhooks, one read and one write transaction with them.
func BenchmarkHostnameEvent(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, endpoints := range []int{0, 1, 3} {
			b.Run(fmt.Sprintf("%s/endpoints=%d", backend, endpoints), func(b *testing.B) {
				var st interface {
					store.Store
					store.Webhooks
				}
				var err error
				if backend == "sqlite" {
					st, err = sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "p.db"))
				} else {
					st, err = postgres.Open(b.Context(), pgtest.NewDatabase(b))
				}
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { st.Close() })
				key := make([]byte, 32)
				_, _ = rand.Read(key)
				box, _ := secrets.NewBox(key)
				clk := clock.NewFake(start)
				zone := core.Zone{ID: ident.ZoneID(), Name: "saas.example", CNAMETarget: "c.saas.example", CreatedAt: start}
				if err := st.CreateZone(b.Context(), zone); err != nil {
					b.Fatal(err)
				}
				eps := webhook.NewEndpoints(webhook.EndpointsConfig{}, st, box, clk)
				for range endpoints {
					if _, _, err := eps.Create(b.Context(), zone.ID, webhook.EndpointInput{URL: "https://hooks.example.com/"}); err != nil {
						b.Fatal(err)
					}
				}
				disp, err := webhook.NewDispatcher(webhook.DispatcherConfig{}, webhook.DispatcherDeps{Store: st, Box: box, Clock: clk})
				if err != nil {
					b.Fatal(err)
				}
				ev := service.Event{Type: service.EventTypeHostnameCreated, ZoneID: zone.ID, HostnameID: ident.UUID(),
					Hostname: "shop.example-customer.com", At: start, ToStatus: core.HostnamePending}
				for b.Loop() {
					ev.ID = ident.UUID()
					disp.HostnameEvent(b.Context(), ev)
				}
			})
		}
	}
}
