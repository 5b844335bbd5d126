package edge

import (
	"crypto/tls"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store/postgres"
	"github.com/porticohq/portico/internal/testkit/pgtest"
)

// propagation measures how long the service's changes take to reach the
// edge: create+activate -> served, edit -> new origin, certificate
// replaced -> new certificate, delete -> alert. Each must take under a
// second, without a restart.
func propagation(t *testing.T, h *harness) {
	z := h.zone(t, "saas-a.com")
	other := newOrigin(t)
	served := func(name string) bool {
		_, err := h.handshake(name, nil)
		return err == nil
	}
	within := func(what string, ok func() bool) {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > time.Second {
				t.Fatalf("%s: not within 1s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond))
	}
	// Warm the route cache with a hostname, so that edits of a hot route
	// are checked, not only loads.
	const name = "live.customer-a.com"
	cert, key := h.ca.Issue(t, "ecdsa", name)
	hn, err := h.svc.CreateHostname(t.Context(), z.ID, service.HostnameInput{Hostname: name,
		SSL: &service.SSLInput{CustomCertificates: []service.CertKeyPair{{Certificate: cert, Key: key}}}})
	if err != nil {
		t.Fatal(err)
	}
	if served(name) {
		t.Fatal("a pending hostname is served")
	}
	if err := h.svc.SetHostnameStatus(t.Context(), z.ID, hn.ID, core.HostnamePending, core.HostnameActive); err != nil {
		t.Fatal(err)
	}
	within("activate", func() bool { return served(name) })

	o := other.url()
	if _, err := h.svc.EditHostname(t.Context(), z.ID, hn.ID, service.HostnamePatch{CustomOriginServer: &o}); err != nil {
		t.Fatal(err)
	}
	c := h.client("", false)
	within("edit the origin", func() bool {
		before := other.count.Load()
		resp, _ := get(t, c, "https://"+name+"/")
		return resp.StatusCode == 200 && other.count.Load() > before
	})

	ecdsaCert := func() string {
		st, err := h.handshake(name, nil)
		if err != nil {
			return ""
		}
		return st.PeerCertificates[0].SerialNumber.String()
	}
	old := ecdsaCert()
	cert2, key2 := h.ca.Issue(t, "ecdsa", name)
	if _, err := h.svc.EditHostname(t.Context(), z.ID, hn.ID, service.HostnamePatch{SSL: &service.SSLInput{
		CustomCertificates: []service.CertKeyPair{{Certificate: cert2, Key: key2}}}}); err != nil {
		t.Fatal(err)
	}
	within("replace the certificate", func() bool { s := ecdsaCert(); return s != "" && s != old })

	if err := h.svc.DeleteHostname(t.Context(), z.ID, hn.ID); err != nil {
		t.Fatal(err)
	}
	within("delete", func() bool { return !served(name) })
}

func TestPropagationSQLite(t *testing.T) {
	t.Run("service hook", func(t *testing.T) { propagation(t, newHarness(t, harnessOpts{})) })
	t.Run("feed poll only", func(t *testing.T) {
		propagation(t, newHarness(t, harnessOpts{noHook: true, config: func(c *Config) { c.PollInterval = 250 * time.Millisecond }}))
	})
}

// TestPropagationPostgres runs on PostgreSQL without the in-process hook
// and with a 10 s poll: only LISTEN/NOTIFY can make it in time.
func TestPropagationPostgres(t *testing.T) {
	st, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	propagation(t, newHarness(t, harnessOpts{store: st, noHook: true, config: func(c *Config) { c.PollInterval = 10 * time.Second }}))
}

// TestDatabaseDown is threat model F4: with the database closed, hot
// hostnames keep their handshakes and requests, and the feed's failures
// are logged, not fatal.
func TestDatabaseDown(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	z := h.zone(t, "saas-a.com")
	h.hostname(t, z, "hot.customer-a.com", nil)
	h.hostname(t, z, "*.hot-wild.com", nil)
	c := h.client("", true)
	for _, host := range []string{"hot.customer-a.com", "a.hot-wild.com"} {
		if resp, _ := get(t, c, "https://"+host+"/"); resp.StatusCode != 200 {
			t.Fatalf("%s before: %d", host, resp.StatusCode)
		}
	}
	h.closeStore()
	h.edge.HostnameChanged(t.Context(), "", "", "") // read the feed now: it fails
	time.Sleep(200 * time.Millisecond)
	for _, host := range []string{"hot.customer-a.com", "b.hot-wild.com"} {
		if _, err := h.handshake(host, nil); err != nil {
			t.Errorf("handshake for %s with the database down: %v", host, err)
		}
		if resp, body := get(t, h.newClient("", false), "https://"+host+"/"); resp.StatusCode != 200 {
			t.Errorf("%s with the database down: %d %q", host, resp.StatusCode, body)
		}
	}
	if len(h.logs.Records(map[string]string{"msg": "reading the change feed; serving from memory"})) == 0 {
		t.Error("the feed's failure was not logged")
	}
}

// TestRandomSNIFlood is threat model A7: handshakes with random names
// cost no database query and leave the heap where it was.
func TestRandomSNIFlood(t *testing.T) {
	h := newHarness(t, harnessOpts{quiet: true})
	h.hostname(t, h.zone(t, "saas-a.com"), "real.customer-a.com", nil)
	if _, err := h.handshake("real.customer-a.com", nil); err != nil {
		t.Fatal(err)
	}
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	flood := func(count, offset int) {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < count; i += 8 {
					cfg := &tls.Config{ServerName: "r" + strconv.Itoa(offset+i) + ".flood-" + strconv.Itoa(i%97) + ".com",
						InsecureSkipVerify: true, CurvePreferences: []tls.CurveID{tls.X25519}}
					conn, err := tls.Dial("tcp", h.edge.HTTPSAddr(), cfg)
					if err == nil {
						conn.Close()
						t.Errorf("a random SNI got a certificate")
						return
					}
				}
			})
		}
		wg.Wait()
	}
	flood(1000, 0) // warm up pools and buffers
	lookups := h.src.lookups.Load()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	flood(n, 1_000_000)
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if d := h.src.lookups.Load() - lookups; d != 0 {
		t.Errorf("%d database lookups for %d random names", d, n)
	}
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d random-SNI handshakes in %v (%.0f/s, client and server on this machine); heap %+d KiB",
		n, took.Round(time.Millisecond), float64(n)/took.Seconds(), growth>>10)
	if growth > 4<<20 {
		t.Errorf("heap grew %d KiB over %d random-SNI handshakes", growth>>10, n)
	}
	if got := h.edge.cache.size.Load(); got > 1 {
		t.Errorf("%d cached routes after a flood of unknown names", got)
	}
}
