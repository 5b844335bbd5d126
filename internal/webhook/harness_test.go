package webhook_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/sqlite"
	"github.com/porticohq/portico/internal/webhook"
)

var start = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// env is a dispatcher over a real SQLite store, with a fake clock.
type env struct {
	base store.Store
	st   store.Webhooks
	box  *secrets.Box
	clk  *clock.Fake
	eps  *webhook.Endpoints
	disp *webhook.Dispatcher
	reg  *prometheus.Registry
	logs *syncBuffer
	zone string
	cfg  webhook.DispatcherConfig
}

// newEnv builds an env; roots trust the receivers' test certificates, and
// configure adjusts the dispatcher (loopback is allowed by default: the
// receivers are on it).
func newEnv(t *testing.T, roots *x509.CertPool, configure func(*webhook.DispatcherConfig)) *env {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "portico.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{base: s, st: s, box: box, clk: clock.NewFake(start), reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	e.zone = newZone(t, s)
	e.cfg = webhook.DispatcherConfig{
		Workers: 4, Timeout: 300 * time.Millisecond, Network: webhook.Network{AllowHTTP: true}, RootCAs: roots,
		Retry: webhook.RetryPolicy{Initial: 10 * time.Second, Max: time.Hour, Window: 24 * time.Hour, Jitter: -1},
	}
	if configure != nil {
		configure(&e.cfg)
	}
	e.eps = webhook.NewEndpoints(webhook.EndpointsConfig{Network: e.cfg.Network}, s, box, e.clk)
	e.disp = e.newDispatcher(t, e.reg)
	return e
}

func (e *env) newDispatcher(t *testing.T, reg prometheus.Registerer) *webhook.Dispatcher {
	t.Helper()
	m, err := webhook.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := webhook.NewDispatcher(e.cfg, webhook.DispatcherDeps{Store: e.st, Box: e.box, Clock: e.clk, Metrics: m, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newZone(t *testing.T, s store.Store) string {
	t.Helper()
	z := core.Zone{ID: ident.ZoneID(), Name: "saas-" + ident.ZoneID()[:6] + ".example", CNAMETarget: "customers.saas.example",
		CreatedAt: start}
	if err := s.CreateZone(t.Context(), z); err != nil {
		t.Fatal(err)
	}
	return z.ID
}

// endpoint creates an endpoint of the env's zone and returns it with its
// secret.
func (e *env) endpoint(t *testing.T, url string, events ...string) (core.WebhookEndpoint, string) {
	t.Helper()
	ep, secret, err := e.eps.Create(t.Context(), e.zone, webhook.EndpointInput{URL: url, Events: events})
	if err != nil {
		t.Fatalf("creating endpoint %s: %v", url, err)
	}
	return ep, secret
}

// event emits one hostname event of the env's zone through the dispatcher.
func (e *env) event(t *testing.T, typ service.EventType) service.Event {
	t.Helper()
	ev := service.Event{ID: ident.UUID(), Type: typ, ZoneID: e.zone, HostnameID: ident.UUID(),
		Hostname: "shop.example-customer.com", At: e.clk.Now(), FromStatus: core.HostnamePending,
		ToStatus: core.HostnameActive, Reason: "ownership_proven"}
	e.disp.HostnameEvent(t.Context(), ev)
	return ev
}

// run runs one round and checks how many attempts it made.
func (e *env) run(t *testing.T, want int) {
	t.Helper()
	n, err := e.disp.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if n != want {
		t.Fatalf("RunOnce attempted %d deliveries, want %d", n, want)
	}
}

// deliveries returns the endpoint's delivery log, newest first.
func (e *env) deliveries(t *testing.T, endpointID string) []core.WebhookDelivery {
	t.Helper()
	l, err := e.eps.Deliveries(t.Context(), e.zone, endpointID, webhook.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Deliveries
}

// metric reads portico_webhook_deliveries_total{outcome}.
func (e *env) metric(t *testing.T, outcome string) int {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "portico_webhook_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return 0
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// Behaviours a receiver can be told to have, besides an HTTP status.
const (
	hang = -1 // answer nothing until the client gives up
)

// receiver is a real HTTPS server that verifies every request's signature
// and answers from a script.
type receiver struct {
	srv *httptest.Server
	clk clock.Clock

	mu     sync.Mutex
	secret string
	script []int // statuses (or hang), one per request; 200 when exhausted
	got    []received
}

type received struct {
	header    http.Header
	body      []byte
	verifyErr error
}

func newReceiver(t *testing.T, clk clock.Clock, script ...int) *receiver {
	t.Helper()
	r := &receiver{clk: clk, script: script}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// newReceiverAt starts a receiver on addr (a port that was refusing
// connections until now).
func newReceiverAt(t *testing.T, addr string, clk clock.Clock, script ...int) *receiver {
	t.Helper()
	r := &receiver{clk: clk, script: script}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.srv.Listener.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r.srv.Listener = ln
	r.srv.StartTLS()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	err := webhook.Verify(r.secret, req.Header, body, r.clk.Now(), 0)
	r.got = append(r.got, received{header: req.Header.Clone(), body: body, verifyErr: err})
	status := http.StatusOK
	if len(r.script) > 0 {
		status, r.script = r.script[0], r.script[1:]
	}
	r.mu.Unlock()
	if status == hang {
		<-req.Context().Done()
		return
	}
	if status >= 300 && status < 400 {
		w.Header().Set("Location", "https://elsewhere.example/")
	}
	w.WriteHeader(status)
	_, _ = w.Write(bytes.Repeat([]byte("x"), 100))
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) url(path string) string { return r.srv.URL + path }

func (r *receiver) roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(r.srv.Certificate())
	return p
}

// ctxTimeout is a bounded context for a test step.
func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
