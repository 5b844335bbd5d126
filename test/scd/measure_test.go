package scd

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/database"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/testkit/node"
)

// TestMeasure times the dialect's requests through a real node with
// PORTICO_SCD_BENCH_N custom domains on one upstream (skipped without it):
// median and p99 of 300 sequential requests per kind, on loopback.
//
//	PORTICO_SCD_BENCH_N=20000 go test ./test/scd -run TestMeasure -v
func TestMeasure(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PORTICO_SCD_BENCH_N"))
	if n <= 0 {
		t.Skip("set PORTICO_SCD_BENCH_N to measure")
	}
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			up, u := e.upstream(t, e.a, form{"host": {"app.mysaas.com"}})
			upID := hostnameID("domain_" + u["uuid"].(string)[len("upstream_"):])
			st := storeOf(t, e)
			start := time.Now()
			now := time.Now().UTC().Truncate(time.Microsecond)
			for i := range n {
				h := core.Hostname{ID: ident.UUID(), ZoneID: e.a.ZoneID, Name: fmt.Sprintf("d%07d.example-customer.com", i),
					Status: core.HostnamePending, OwnershipToken: ident.Secret128(),
					SSL:       core.SSL{ID: ident.UUID(), Type: "dv", Method: core.DCVHTTP, Status: core.SSLInitializing, BundleMethod: core.BundleUbiquitous},
					CreatedAt: now.Add(time.Duration(i) * time.Microsecond), UpdatedAt: now}
				d := core.CustomDomain{HostnameID: h.ID, ZoneID: h.ZoneID, UpstreamID: upID, CreatedAt: h.CreatedAt, UpdatedAt: now}
				if err := st.CreateCustomDomain(t.Context(), []core.Hostname{h}, []core.CustomDomain{d}); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%s: seeded %d domains in %v", backend, n, time.Since(start).Round(time.Millisecond))
			last := (n + 19) / 20
			i := 0
			mid := uuidOf(t, e, up, fmt.Sprintf("d%07d.example-customer.com", n/2))
			for _, tc := range []struct {
				name string
				req  func() (string, string, any)
			}{
				{"create", func() (string, string, any) {
					i++
					return "POST", up + "/custom_domains", form{"host": {fmt.Sprintf("new%05d.example-customer.com", i)}}
				}},
				{"retrieve", func() (string, string, any) {
					return "GET", up + "/custom_domains/domain_" + mid, nil
				}},
				{"list first page", func() (string, string, any) { return "GET", up + "/custom_domains", nil }},
				{"list last page", func() (string, string, any) { return "GET", up + "/custom_domains?page=" + strconv.Itoa(last), nil }},
				{"list host=", func() (string, string, any) {
					return "GET", up + "/custom_domains?host=" + fmt.Sprintf("d%07d.example-customer.com", n/3), nil
				}},
			} {
				var ds []time.Duration
				for range 300 {
					method, path, body := tc.req()
					t0 := time.Now()
					r := e.do(t, e.a.Token, method, path, body)
					ds = append(ds, time.Since(t0))
					if r.Status >= 300 {
						t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
					}
				}
				slices.Sort(ds)
				t.Logf("%s %-16s median %6.2f ms  p99 %6.2f ms", backend, tc.name,
					float64(ds[len(ds)/2].Microseconds())/1000, float64(ds[len(ds)*99/100].Microseconds())/1000)
			}
		})
	}
}

// uuidOf finds a domain's uuid (without its prefix) by host.
func uuidOf(t *testing.T, e *env, up, host string) string {
	l := e.must(t, http.StatusOK, e.a.Token, "GET", up+"/custom_domains?host="+host, nil)
	return l["data"].([]any)[0].(map[string]any)["uuid"].(string)[len("domain_"):]
}

func storeOf(t *testing.T, e *env) store.CustomDomains {
	t.Helper()
	s, err := database.Open(t.Context(), config.Store{Database: e.node.Database})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	st, ok := s.(store.CustomDomains)
	if !ok {
		t.Fatal("no store.CustomDomains")
	}
	return st
}
