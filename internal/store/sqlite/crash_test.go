package sqlite_test

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/acme/acmetest"
	"github.com/porticohq/portico/internal/acme/lifecycle"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store/sqlite"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
)

// TestCrashMatrix is the acme engine's kill matrix (threat model F1) over
// the SQLite store instead of the in-memory one: for each step, the engine
// dies right before or right after the step's save, the file is closed
// and reopened, and a fresh engine finishes from what the file holds.
// Pebble is the CA; HTTP-01 responses go through the store (the lifecycle's
// Publisher) and are served from it, as the edge does. Every run ends with
// exactly one certificate, committed to the hostname by the save at done.
func TestCrashMatrix(t *testing.T) {
	for _, step := range acmetest.Steps {
		for _, before := range []bool{false, true} {
			name := string(step) + "/after_save"
			if before {
				name = string(step) + "/before_save"
			}
			t.Run(name, func(t *testing.T) { runCrash(t, step, before) })
		}
	}
}

func runCrash(t *testing.T, step acme.Step, before bool) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portico.db")
	open := func() *sqlite.Store {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	}
	// cur is the store of the running "process"; the HTTP-01 responder
	// reads through it.
	var (
		mu  sync.Mutex
		cur = open()
	)
	t.Cleanup(func() { mu.Lock(); cur.Close(); mu.Unlock() })
	current := func() *sqlite.Store { mu.Lock(); defer mu.Unlock(); return cur }
	clk := clock.NewFake(time.Now())

	const name = "crash.customer.example"
	dns := dnstest.New(t)
	dns.SetA(name, "127.0.0.1")
	responder := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.URL.Path, "/.well-known/acme-challenge/")
		host, _, _ := net.SplitHostPort(r.Host)
		if host == "" {
			host = r.Host
		}
		keyAuth, found, err := current().HTTPChallenge(r.Context(), host, token, clk.Now())
		if !ok || !found || err != nil {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(keyAuth))
	}))
	t.Cleanup(responder.Close)
	_, port, _ := net.SplitHostPort(responder.Listener.Addr().String())
	httpPort, _ := strconv.Atoi(port)
	pebble := pebbletest.Start(t, pebbletest.Options{DNSServer: dns.Addr(), HTTPPort: httpPort})

	caa, err := acme.NewDNSCAAResolver([]string{dns.Addr()}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cfg := acme.Config{
		CAs: map[string]acme.CAConfig{"pebble": {
			DirectoryURL: pebble.DirectoryURL, Email: "ops@portico.test", RootsPEM: pebble.RootsPEM,
		}},
		CAA:          caa,
		PollInterval: 20 * time.Millisecond,
		PollTimeout:  10 * time.Second,
		StepTimeout:  30 * time.Second,
		Rand:         func() float64 { return 0.5 },
	}
	box, err := secrets.NewBox(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	engine := func(s *sqlite.Store, orders acme.OrderStore) *acme.Issuer {
		is, err := acme.New(cfg, orders, s, &lifecycle.Publisher{Store: s, Clock: clk}, box, clk, log)
		if err != nil {
			t.Fatal(err)
		}
		return is
	}

	z := core.Zone{ID: ident.ZoneID(), Name: "saas.example", CNAMETarget: "customers.saas.example", CreatedAt: clk.Now()}
	if err := cur.CreateZone(ctx, z); err != nil {
		t.Fatal(err)
	}
	h := core.Hostname{
		ID: ident.UUID(), ZoneID: z.ID, Name: name, Status: core.HostnameActive, OwnershipToken: ident.Secret128(),
		SSL:       core.SSL{ID: ident.UUID(), Type: "dv", Method: core.DCVHTTP, Status: core.SSLInitializing},
		CreatedAt: clk.Now(), UpdatedAt: clk.Now(),
	}
	if err := cur.CreateHostname(ctx, h); err != nil {
		t.Fatal(err)
	}
	iss := acme.Issuance{
		ID: ident.UUID(), ZoneID: z.ID, HostnameID: h.ID, Identifiers: []string{name},
		Method: core.DCVHTTP, CA: "pebble", Step: acme.StepNew, CreatedAt: clk.Now(), UpdatedAt: clk.Now(),
	}
	if err := cur.CreateIssuance(ctx, &iss); err != nil {
		t.Fatal(err)
	}

	ks := &acmetest.KillingStore{OrderStore: cur, At: step, Before: before}
	if err := engine(cur, ks).Run(ctx, iss.ID); !errors.Is(err, acmetest.ErrKilled) {
		t.Fatalf("first engine: %v, want killed", err)
	}
	// The process dies: the file is all that is left.
	mu.Lock()
	if err := cur.Close(); err != nil {
		t.Fatal(err)
	}
	cur = open()
	s := cur
	mu.Unlock()
	if err := engine(s, s).Run(ctx, iss.ID); err != nil {
		t.Fatalf("after restart: %v", err)
	}

	got, err := s.GetIssuance(ctx, iss.ID)
	if err != nil || got.Step != acme.StepDone || got.Result == nil {
		t.Fatalf("issuance after the run: %v, step %s", err, got.Step)
	}
	hn, err := s.GetHostname(ctx, z.ID, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hn.SSL.Certificates) != 1 {
		t.Fatalf("hostname has %d certificates, want 1", len(hn.SSL.Certificates))
	}
	c := hn.SSL.Certificates[0]
	if c.ID != iss.ID || c.Source != core.SourceManaged || c.SerialNumber != got.Result.SerialNumber ||
		!strings.Contains(string(c.ChainPEM), "BEGIN CERTIFICATE") {
		t.Errorf("committed certificate %s (%s), serial %s; want %s, managed, serial %s",
			c.ID, c.Source, c.SerialNumber, iss.ID, got.Result.SerialNumber)
	}
	if _, err := box.Open(c.KeyCiphertext, acme.CertificateKeyAAD(c.ID, h.ID)); err != nil {
		t.Errorf("the committed key does not open under the certificate's AAD: %v", err)
	}
	if got := pebble.Finalized(); got != 1 {
		t.Errorf("%d certificates issued, want exactly 1", got)
	}
	if got := pebble.Accounts(); got != 1 {
		t.Errorf("%d accounts, want 1 (the account survives the restart)", got)
	}
	wantOrders := 1
	if before && step == acme.StepOrdered {
		wantOrders = 2 // the order whose URL was never saved
	}
	if got := pebble.Orders(); got != wantOrders {
		t.Errorf("%d orders, want %d", got, wantOrders)
	}
}
