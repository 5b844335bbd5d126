package acme_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/authdns"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
)

// dcvZone is the test's DCV delegation zone.
const dcvZone = "dcv.portico.test"

// env is one test's world on loopback: the customer DNS as Pebble's
// resolver sees it (dnstest), Portico's DCV zone (a real authdns server),
// the edge's HTTP-01 responder, Pebble, and the engine's stores.
type env struct {
	t        *testing.T
	dns      *dnstest.Server
	recs     *authdns.MemRecords
	auth     *authdns.Server
	pub      *testPublisher
	pebble   *pebbletest.Server
	box      *secrets.Box
	clk      *clock.Fake
	orders   *acme.MemOrders
	accounts *acme.MemAccounts
}

type envOptions struct {
	pebble pebbletest.Options // DNSServer and HTTPPort are filled in
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{
		t:        t,
		dns:      dnstest.New(t),
		recs:     &authdns.MemRecords{},
		clk:      clock.NewFake(time.Now()),
		orders:   &acme.MemOrders{},
		accounts: &acme.MemAccounts{},
	}
	auth, err := authdns.New(authdns.Config{Zone: dcvZone, Listen: "127.0.0.1:0"}, e.recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = auth.Shutdown(context.Background()) })
	e.auth = auth

	e.pub = newTestPublisher(t, e.recs)
	o.pebble.DNSServer = e.dns.Addr()
	o.pebble.HTTPPort = e.pub.port
	e.pebble = pebbletest.Start(t, o.pebble)

	key := make([]byte, secrets.KeySize)
	for i := range key {
		key[i] = byte(i)
	}
	if e.box, err = secrets.NewBox(key); err != nil {
		t.Fatal(err)
	}
	return e
}

// config is an engine configuration with Pebble as the one CA, "pebble".
func (e *env) config() acme.Config {
	caa, err := acme.NewDNSCAAResolver([]string{e.dns.Addr()}, time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	return acme.Config{
		CAs: map[string]acme.CAConfig{"pebble": {
			DirectoryURL: e.pebble.DirectoryURL,
			Email:        "ops@portico.test",
			RootsPEM:     e.pebble.RootsPEM,
		}},
		CAA:          caa,
		DCVZone:      dcvZone,
		PollInterval: 20 * time.Millisecond,
		PollTimeout:  10 * time.Second,
		StepTimeout:  30 * time.Second,
		Rand:         func() float64 { return 0.5 }, // no jitter
	}
}

// issuer returns a fresh engine over the env's stores: a restarted process.
func (e *env) issuer(cfg acme.Config) *acme.Issuer {
	e.t.Helper()
	return e.issuerOver(cfg, e.orders)
}

func (e *env) issuerOver(cfg acme.Config, orders acme.OrderStore) *acme.Issuer {
	e.t.Helper()
	log := slog.New(slog.NewTextHandler(testLogWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	is, err := acme.New(cfg, orders, e.accounts, e.pub, e.box, e.clk, log)
	if err != nil {
		e.t.Fatal(err)
	}
	return is
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// httpHost makes name resolve to the loopback edge.
func (e *env) httpHost(name string) {
	e.dns.SetA(name, "127.0.0.1")
}

// delegatedHost creates name's delegation label in authdns and the
// customer's _acme-challenge CNAME to it, and returns the label.
func (e *env) delegatedHost(name string) string {
	e.t.Helper()
	label := authdns.NewLabel()
	if err := e.recs.Set(label); err != nil {
		e.t.Fatal(err)
	}
	target := authdns.DelegationTarget(label, dcvZone)
	e.dns.SetCNAME(authdns.DelegationName(name), target)
	pebbletest.Delegate(e.t, e.dns, target, e.auth.Addr())
	return label
}

// create stores a new Issuance at StepNew and returns its id.
func (e *env) create(iss acme.Issuance) string {
	e.t.Helper()
	if iss.ID == "" {
		iss.ID = ident.UUID()
	}
	if iss.HostnameID == "" {
		iss.HostnameID = ident.UUID()
	}
	if iss.Method == "" {
		iss.Method = core.DCVHTTP
	}
	iss.Step = acme.StepNew
	iss.CreatedAt = e.clk.Now()
	if err := e.orders.CreateIssuance(context.Background(), &iss); err != nil {
		e.t.Fatal(err)
	}
	return iss.ID
}

func (e *env) get(id string) acme.Issuance {
	e.t.Helper()
	iss, err := e.orders.GetIssuance(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return iss
}

// checkIssued verifies the Issuance's Result: the chain verifies against
// Pebble's roots, covers exactly names, and the sealed key matches it.
func (e *env) checkIssued(id string, names ...string) *x509.Certificate {
	e.t.Helper()
	iss := e.get(id)
	if iss.Step != acme.StepDone || iss.Result == nil {
		e.t.Fatalf("issuance at step %s, result %v; last error %q", iss.Step, iss.Result != nil, iss.LastError)
	}
	var chain []*x509.Certificate
	rest := iss.Result.ChainPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			e.t.Fatal(err)
		}
		chain = append(chain, c)
	}
	if len(chain) < 2 {
		e.t.Fatalf("chain has %d certificates, want leaf and intermediate", len(chain))
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(e.pebble.IssuerRootsPEM)
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	leaf := chain[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: leaf.NotBefore.Add(time.Second)}); err != nil {
		e.t.Fatalf("chain does not verify against Pebble's root: %v", err)
	}
	if got, want := strings.Join(leaf.DNSNames, ","), strings.Join(names, ","); got != want {
		e.t.Errorf("certificate names %s, want %s", got, want)
	}
	if got, want := strings.Join(iss.Result.Hosts, ","), strings.Join(names, ","); got != want {
		e.t.Errorf("Result.Hosts %s, want %s", got, want)
	}
	if iss.Result.CertificateID != iss.ID || iss.Result.SerialNumber != leaf.SerialNumber.String() {
		e.t.Errorf("result id %s serial %s, want %s %s", iss.Result.CertificateID, iss.Result.SerialNumber, iss.ID, leaf.SerialNumber)
	}
	keyPEM, err := e.box.Open(iss.Result.KeyCiphertext, acme.CertificateKeyAAD(iss.ID, iss.HostnameID))
	if err != nil {
		e.t.Fatalf("opening the certificate key: %v", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		e.t.Fatalf("the sealed key is not a PKCS#8 PEM block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		e.t.Fatal(err)
	}
	if !leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(key.(crypto.Signer).Public()) {
		e.t.Fatal("the sealed key does not match the certificate")
	}
	if iss.KeyCiphertext != nil {
		e.t.Error("the issuance kept its copy of the key after the commit")
	}
	return leaf
}

// testPublisher is the ChallengePublisher of the tests: HTTP-01 responses
// on a loopback HTTP server (the edge's port 80 listener, every node), and
// DNS-01 values in authdns.MemRecords (the DCV zone). It counts what is
// published, and can be told to publish nothing (a broken edge).
type testPublisher struct {
	port int
	recs *authdns.MemRecords

	mu      sync.Mutex
	http    map[string]string // token -> key authorization
	broken  bool
	present int
}

func newTestPublisher(t *testing.T, recs *authdns.MemRecords) *testPublisher {
	p := &testPublisher{recs: recs, http: make(map[string]string)}
	srv := httptest.NewServer(http.HandlerFunc(p.serveHTTP))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p.port, _ = strconv.Atoi(port)
	return p
}

func (p *testPublisher) serveHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, "/.well-known/acme-challenge/")
	p.mu.Lock()
	body, found := p.http[token]
	p.mu.Unlock()
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(body))
}

func (p *testPublisher) setBroken(b bool) {
	p.mu.Lock()
	p.broken = b
	p.mu.Unlock()
}

func (p *testPublisher) published() (httpCount int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.http)
}

func (p *testPublisher) PresentHTTP(_ context.Context, _, token, keyAuth string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.present++
	if !p.broken {
		p.http[token] = keyAuth
	}
	return nil
}

func (p *testPublisher) CleanupHTTP(_ context.Context, _, token string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.http, token)
	return nil
}

func (p *testPublisher) PresentDNS(_ context.Context, label, value string) error {
	p.mu.Lock()
	broken := p.broken
	p.present++
	p.mu.Unlock()
	if broken {
		return nil
	}
	return p.recs.Add(label, value)
}

func (p *testPublisher) CleanupDNS(_ context.Context, label, value string) error {
	p.recs.Remove(label, value)
	return nil
}

var _ acme.ChallengePublisher = (*testPublisher)(nil)

// runUntilDone runs the Issuance, moving the fake clock to each postponed
// time, at most tries times.
func (e *env) runUntilDone(is *acme.Issuer, id string, tries int) {
	e.t.Helper()
	for range tries {
		err := is.Run(context.Background(), id)
		if err == nil {
			return
		}
		var pe *acme.PostponedError
		if !errors.As(err, &pe) {
			e.t.Fatalf("Run: %v", err)
		}
		e.t.Logf("postponed: %v", err)
		e.clk.Set(pe.Until)
	}
	e.t.Fatalf("issuance %s not done after %d runs", id, tries)
}
