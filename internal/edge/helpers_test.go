package edge

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/sqlite"
)

// harness is a real edge on loopback over a real store, fed through the
// real service, with a recording origin.
type harness struct {
	svc       *service.Service
	st        store.Store
	clk       *clock.Fake
	ca        *servicetest.CA
	src       *countingSource
	edge      *Edge
	access    *servicetest.LogBuffer
	logs      *servicetest.LogBuffer
	checks    *recordedChecks
	acme      *Challenges
	origin    *origin
	closeOnce sync.Once
	// clients are closed before the edge shuts down, so that Shutdown does
	// not wait for their idle connections.
	clients []*http.Client
}

type harnessOpts struct {
	store  store.Store // nil: a new SQLite file
	noHook bool        // do not wire the service's hooks (exercise the feed)
	config func(*Config)
	// quiet logs at info, not debug (the flood test measures the heap,
	// and a debug line per refused handshake would grow the log buffer).
	quiet bool
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	h := &harness{clk: clock.NewFake(servicetest.Start), access: &servicetest.LogBuffer{}, logs: &servicetest.LogBuffer{},
		checks: &recordedChecks{}, acme: NewChallenges()}
	h.st = o.store
	if h.st == nil {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "portico.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.closeStore)
		h.st = st
	}
	h.ca = servicetest.NewCA(t, h.clk)
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	level := slog.LevelDebug
	if o.quiet {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: level}))
	h.svc = service.New(service.Config{CertRoots: h.ca.Pool}, h.st, box, h.clk, log)
	h.src = &countingSource{EdgeSource: h.st.(store.EdgeSource)}
	cfg := Config{
		HTTPSAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		AccessLog:  slog.New(slog.NewJSONHandler(h.access, nil)),
		Challenges: h.acme, Checks: h.checks,
		OriginResponseTimeout: 2 * time.Second,
		PollInterval:          50 * time.Millisecond,
	}
	if o.config != nil {
		o.config(&cfg)
	}
	h.edge = New(cfg, h.src, box, h.clk, log.With("component", "edge"), nil)
	if !o.noHook {
		h.svc.SetHooks(h.edge)
	}
	if err := h.edge.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, c := range h.clients {
			c.CloseIdleConnections()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.edge.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	select {
	case <-h.edge.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("edge index not loaded")
	}
	h.origin = newOrigin(t)
	return h
}

// closeStore closes the harness's own store once (a test may close it
// early to take the database down).
func (h *harness) closeStore() { h.closeOnce.Do(func() { h.st.Close() }) }

// zone creates a zone whose fallback origin is the recording origin.
func (h *harness) zone(t testing.TB, name string) core.Zone {
	t.Helper()
	z, err := h.svc.CreateZone(t.Context(), service.ZoneInput{Name: name, CNAMETarget: "customers." + name, FallbackOrigin: h.origin.url()})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// hostname creates name in z with an uploaded ECDSA certificate for it,
// activates it, and waits until the edge serves it.
func (h *harness) hostname(t testing.TB, z core.Zone, name string, edit func(*service.HostnameInput)) core.Hostname {
	t.Helper()
	cert, key := h.ca.Issue(t, "ecdsa", name)
	in := service.HostnameInput{Hostname: name, SSL: &service.SSLInput{CustomCertificates: []service.CertKeyPair{{Certificate: cert, Key: key}}}}
	if edit != nil {
		edit(&in)
	}
	hn, err := h.svc.CreateHostname(t.Context(), z.ID, in)
	if err != nil {
		t.Fatalf("creating %s: %v", name, err)
	}
	if err := h.svc.SetHostnameStatus(t.Context(), z.ID, hn.ID, core.HostnamePending, core.HostnameActive); err != nil {
		t.Fatal(err)
	}
	probe := strings.Replace(name, "*", "probe", 1)
	h.eventually(t, 5*time.Second, "serving "+name, func() bool {
		if probe != name {
			return h.edge.serves(probe)
		}
		// The name itself, not a wildcard that already covers it.
		ix := h.edge.index.Load()
		return ix != nil && ix.exact.has(name)
	})
	return hn
}

func (h *harness) eventually(t testing.TB, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tlsConfig trusts the test CA at the fake clock's time.
func (h *harness) tlsConfig(sni string, protos ...string) *tls.Config {
	return &tls.Config{ServerName: sni, RootCAs: h.ca.Pool, Time: h.clk.Now, NextProtos: protos}
}

// client returns an HTTP client that dials the edge's HTTPS listener for
// every URL, sending sni (or the URL's host when sni is "").
func (h *harness) client(sni string, http2 bool) *http.Client {
	c := h.newClient(sni, http2)
	h.clients = append(h.clients, c)
	return c
}

func (h *harness) newClient(sni string, http2 bool) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", h.edge.HTTPSAddr())
		},
		TLSClientConfig:   h.tlsConfig(sni),
		ForceAttemptHTTP2: http2,
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// httpClient dials the edge's plain HTTP listener for every URL.
func (h *harness) httpClient() *http.Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", h.edge.HTTPAddr())
	}}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends req and returns the status and body.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Add(hdr[i], hdr[i+1])
	}
	return do(t, c, req)
}

// handshake dials the HTTPS listener with sni and returns the connection
// state, or the handshake error.
func (h *harness) handshake(sni string, cfg func(*tls.Config)) (tls.ConnectionState, error) {
	c := h.tlsConfig(sni, "h2", "http/1.1")
	if cfg != nil {
		cfg(c)
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", h.edge.HTTPSAddr(), c)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.ConnectionState(), nil
}

// origin is a recording HTTP origin.
type origin struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []*http.Request
	count atomic.Int64
	// handle, when set, answers instead of the default 200 "origin ok".
	handle atomic.Pointer[http.HandlerFunc]
}

func newOrigin(t testing.TB) *origin {
	o := &origin{}
	o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *origin) serve(w http.ResponseWriter, r *http.Request) {
	o.count.Add(1)
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	o.mu.Lock()
	o.reqs = append(o.reqs, r)
	o.mu.Unlock()
	if f := o.handle.Load(); f != nil {
		(*f)(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "origin ok "+r.Host)
}

func (o *origin) url() string { return o.srv.URL }

func (o *origin) last(t *testing.T) *http.Request {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.reqs) == 0 {
		t.Fatal("the origin got no request")
	}
	return o.reqs[len(o.reqs)-1]
}

func (o *origin) setHandler(f http.HandlerFunc) { o.handle.Store(&f) }

// countingSource counts the edge's database reads.
type countingSource struct {
	store.EdgeSource
	lookups atomic.Int64 // route, certificate and name lookups (not the feed)
	feed    atomic.Int64
}

func (c *countingSource) EdgeRoutes(ctx context.Context, name string) ([]store.EdgeRoute, error) {
	c.lookups.Add(1)
	return c.EdgeSource.EdgeRoutes(ctx, name)
}

func (c *countingSource) EdgeRoute(ctx context.Context, id string) (store.EdgeRoute, error) {
	c.lookups.Add(1)
	return c.EdgeSource.EdgeRoute(ctx, id)
}

func (c *countingSource) EdgeCertificates(ctx context.Context, id string) ([]core.Certificate, error) {
	c.lookups.Add(1)
	return c.EdgeSource.EdgeCertificates(ctx, id)
}

func (c *countingSource) ActiveNames(ctx context.Context, after string, limit int) ([]string, error) {
	c.lookups.Add(1)
	return c.EdgeSource.ActiveNames(ctx, after, limit)
}

func (c *countingSource) ChangesSince(ctx context.Context, after store.ChangeCursor, limit int) ([]store.Change, error) {
	c.feed.Add(1)
	return c.EdgeSource.ChangesSince(ctx, after, limit)
}

// WatchChanges passes PostgreSQL's notifications through (nil otherwise: a
// nil channel never fires).
func (c *countingSource) WatchChanges(ctx context.Context) <-chan struct{} {
	if n, ok := c.EdgeSource.(store.ChangeNotifier); ok {
		return n.WatchChanges(ctx)
	}
	return nil
}

// recordedChecks is a CheckRequester that records its calls.
type recordedChecks struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordedChecks) CheckSoon(zoneID, hostnameID string) bool {
	r.mu.Lock()
	r.calls = append(r.calls, zoneID+"/"+hostnameID)
	r.mu.Unlock()
	return true
}

func (r *recordedChecks) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// selfSigned returns a throwaway certificate for name.
func selfSigned(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// atomicString is a string safe for concurrent use.
type atomicString struct{ v atomic.Value }

func (a *atomicString) Store(s string) { a.v.Store(s) }

func (a *atomicString) Load() string {
	s, _ := a.v.Load().(string)
	return s
}
