package verify

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/testkit/dnstest"
)

// The test world: a SaaS zone whose customers CNAME to its target, an edge
// on loopback, and customers' names under acme-store.com.
var (
	t0   = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	zone = core.Zone{ID: "3f2a9c1e8b7d4c6a9e0f1a2b3c4d5e6f", Name: "saasprovider.com", CNAMETarget: "customers.saasprovider.com"}
	// otherZone is another tenant on the same Portico (threat A2).
	otherZone = core.Zone{ID: "0a1b2c3d4e5f60718293a4b5c6d7e8f9", Name: "rival-saas.net", CNAMETarget: "customers.rival-saas.net"}
)

const (
	shopToken  = "5cc07c04-ea62-4a5a-95f0-419334a875a4"
	otherToken = "9d0b7e51-3c44-4f0e-8a9b-6f1e2d3c4b5a"
)

func hostname(name, token string) core.Hostname {
	return core.Hostname{
		ID: "0d89c70d-ad9f-4843-b99f-6cc0252067e9", ZoneID: zone.ID, Name: name,
		Status: core.HostnamePending, OwnershipToken: token,
	}
}

// fixture is a checker wired to a real DNS server and a real HTTP server on
// loopback. Names resolve only as the test publishes them; the HTTP server
// serves the bodies the test sets, per Host and path, and 404 otherwise.
type fixture struct {
	dns     *dnstest.Server
	web     *httptest.Server
	port    int
	clock   *clock.Fake
	checker *Checker

	mu       sync.Mutex
	handlers map[string]http.HandlerFunc // "host/path" -> handler
}

func newFixture(t *testing.T, tweak func(*Config)) *fixture {
	t.Helper()
	f := &fixture{dns: dnstest.New(t), clock: clock.NewFake(t0), handlers: map[string]http.HandlerFunc{}}
	f.web = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.web.Close)
	_, port, _ := net.SplitHostPort(f.web.Listener.Addr().String())
	f.port, _ = strconv.Atoi(port)

	// Our side: the zones' targets resolve to the edge (loopback).
	f.dns.SetA(zone.CNAMETarget, "127.0.0.1")
	f.dns.SetA(otherZone.CNAMETarget, "127.0.0.1")

	cfg := Config{
		EdgeIPv4:             []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		EdgeIPv6:             []netip.Addr{netip.MustParseAddr("::1")},
		HTTPTimeout:          testTimeout,
		HTTPPort:             f.port,
		AllowPrivateNetworks: true,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	r, err := NewDNSResolver([]string{f.dns.Addr()}, DNSOptions{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	f.checker, err = NewChecker(r, f.clock, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) serve(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	f.mu.Lock()
	h := f.handlers[host+r.URL.Path]
	f.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

// handle registers a handler for host and path.
func (f *fixture) handle(host, path string, h http.HandlerFunc) {
	f.mu.Lock()
	f.handlers[host+path] = h
	f.mu.Unlock()
}

// serveBody makes host serve body at path.
func (f *fixture) serveBody(host, path, body string) {
	f.handle(host, path, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) })
}

const tokenPath = "/.well-known/cf-custom-hostname-challenge/0d89c70d-ad9f-4843-b99f-6cc0252067e9"
