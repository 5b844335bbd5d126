// Package pebbletest runs Pebble, Let's Encrypt's test ACME CA, inside the
// test process: its web front end on an httptest TLS server on 127.0.0.1,
// its validation authority resolving names through a DNS server the test
// controls (a dnstest server) and dialing HTTP-01 on a port the test
// chooses. Nothing leaves loopback.
//
// Pebble reads its knobs from the environment when its parts are built, so
// Start sets them with t.Setenv: tests that use it cannot be parallel.
// The VA never sleeps (PEBBLE_VA_NOSLEEP=1) and never reuses valid
// authorizations (PEBBLE_AUTHZREUSE=0), so every order is validated; the
// share of rejected nonces is Options.NonceReject (0 by default, Pebble's
// own default is 5).
//
// Pebble's VA does not follow CNAMEs itself: it takes the TXT records in
// the answer its resolver gives. dnstest answers like a recursive resolver,
// chain included, for the names it holds; Delegate makes it fetch the
// records of a delegated name from another (authoritative) server, the
// way a resolver follows the customer's _acme-challenge CNAME into
// Portico's DCV zone.
package pebbletest

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// Options configure a Pebble. DNSServer and HTTPPort are required; the
// rest have the defaults their comments state.
type Options struct {
	// DNSServer is the "ip:port" of the DNS server the VA resolves with
	// (over TCP), typically a dnstest server. Required: the system
	// resolver is never used.
	DNSServer string
	// HTTPPort is the port the VA dials for HTTP-01, on the address the
	// identifier resolves to. Required.
	HTTPPort int
	// NonceReject is the percentage of valid nonces rejected as badNonce
	// (PEBBLE_WFE_NONCEREJECT). Default 0.
	NonceReject int
	// ValidityPeriod is the lifetime of issued certificates, for the one
	// profile, "default". Default 90 days.
	ValidityPeriod time.Duration
	// CAAIdentities go in the directory's meta.caaIdentities. Default
	// ["pebble.letsencrypt.org"].
	CAAIdentities []string
	// EABKeys, when non-empty, makes External Account Binding required:
	// key id -> base64url MAC key.
	EABKeys map[string]string
	// ChainLength is the number of intermediates between a leaf and its
	// root. Default 1.
	ChainLength int
	// AlternateRoots is the number of alternate chains offered. Default 0.
	AlternateRoots int
	// Log sends Pebble's log to t.Log.
	Log bool
}

// Server is a running Pebble.
type Server struct {
	// DirectoryURL is the ACME directory.
	DirectoryURL string
	// RootsPEM holds the roots a client needs: the TLS root of the
	// directory's server and Pebble's issuing roots (chains verify against
	// them). It is what a CA configuration's root bundle takes.
	RootsPEM []byte
	// IssuerRootsPEM holds only Pebble's issuing roots.
	IssuerRootsPEM []byte

	srv  *httptest.Server
	mgmt *httptest.Server

	mu        sync.Mutex
	counts    map[string]int // "new_order", "finalize", "new_account" -> successful answers
	intercept func(w http.ResponseWriter, r *http.Request) bool
	closed    bool
}

// Start runs a Pebble for the test and stops it at cleanup.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.DNSServer == "" || o.HTTPPort == 0 {
		t.Fatal("pebbletest: Options.DNSServer and Options.HTTPPort are required")
	}
	if o.ValidityPeriod == 0 {
		o.ValidityPeriod = 90 * 24 * time.Hour
	}
	if o.CAAIdentities == nil {
		o.CAAIdentities = []string{"pebble.letsencrypt.org"}
	}
	if o.ChainLength == 0 {
		o.ChainLength = 1
	}
	// Read by va.New and wfe.New.
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_AUTHZREUSE", "0")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", strconv.Itoa(o.NonceReject))

	logger := log.New(io.Discard, "", 0)
	if o.Log {
		logger = log.New(testWriter{t}, "pebble ", 0)
	}
	store := db.NewMemoryStore()
	for id, key := range o.EABKeys {
		if err := store.AddExternalAccountKeyByID(id, key); err != nil {
			t.Fatalf("pebbletest: EAB key %s: %v", id, err)
		}
	}
	profiles := map[string]ca.Profile{
		"default": {Description: "the only profile", ValidityPeriod: uint64(o.ValidityPeriod / time.Second)},
	}
	authority := ca.New(logger, store, "", "ecdsa", o.AlternateRoots, o.ChainLength, profiles)
	// TLS-ALPN-01 is never offered to the VA's port: Portico does not use it.
	validator := va.New(logger, o.HTTPPort, 1, false, o.DNSServer, store)
	front := wfe.New(logger, store, validator, authority, o.CAAIdentities, false, len(o.EABKeys) > 0, 0, 0)

	s := &Server{counts: make(map[string]int)}
	s.srv = httptest.NewUnstartedServer(s.wrap(front.Handler()))
	s.srv.StartTLS()
	s.mgmt = httptest.NewUnstartedServer(front.ManagementHandler())
	s.mgmt.StartTLS()
	t.Cleanup(s.Close)

	s.DirectoryURL = s.srv.URL + wfe.DirectoryPath
	var issuerRoots bytes.Buffer
	for i := range authority.GetNumberOfRootCerts() {
		issuerRoots.Write(authority.GetRootCert(i).PEM())
	}
	s.IssuerRootsPEM = issuerRoots.Bytes()
	tlsRoot := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	s.RootsPEM = append(append([]byte(nil), tlsRoot...), s.IssuerRootsPEM...)
	return s
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// wrap counts successful answers and lets Intercept take requests over.
func (s *Server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.intercept
		s.mu.Unlock()
		if f != nil && f(w, r) {
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		var what string
		switch {
		case r.URL.Path == "/order-plz" && rec.status == http.StatusCreated:
			what = "new_order"
		case strings.HasPrefix(r.URL.Path, "/finalize-order/") && rec.status == http.StatusOK:
			what = "finalize"
		case r.URL.Path == "/sign-me-up" && rec.status == http.StatusCreated:
			what = "new_account"
		}
		if what != "" {
			s.mu.Lock()
			s.counts[what]++
			s.mu.Unlock()
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Orders returns how many orders Pebble created.
func (s *Server) Orders() int { return s.count("new_order") }

// Finalized returns how many orders Pebble accepted for finalization: each
// is one certificate issued.
func (s *Server) Finalized() int { return s.count("finalize") }

// Accounts returns how many accounts Pebble created (201 answers; an
// existing key gets 200 and is not counted).
func (s *Server) Accounts() int { return s.count("new_account") }

func (s *Server) count(what string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[what]
}

// Intercept makes f see every ACME request first; when f returns true it
// has answered and Pebble never sees the request. nil removes it. Use it
// to inject faults: 503 with Retry-After, 429 rateLimited, stalls.
func (s *Server) Intercept(f func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	s.intercept = f
	s.mu.Unlock()
}

// SetRenewalInfo makes Pebble's ARI endpoint answer for the certificate
// (the leaf of certPEM) with a window from start to end, through Pebble's
// management API (POST /set-renewal-info/).
func (s *Server) SetRenewalInfo(t testing.TB, certPEM []byte, start, end time.Time) {
	t.Helper()
	ari, _ := json.Marshal(map[string]any{"suggestedWindow": map[string]string{
		"start": start.UTC().Format(time.RFC3339), "end": end.UTC().Format(time.RFC3339),
	}})
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("pebbletest: SetRenewalInfo: no certificate in PEM")
	}
	body, _ := json.Marshal(map[string]string{
		"Certificate": string(pem.EncodeToMemory(block)),
		"ARIResponse": string(ari),
	})
	resp, err := s.mgmt.Client().Post(s.mgmt.URL+"/set-renewal-info/", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("pebbletest: SetRenewalInfo: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("pebbletest: SetRenewalInfo: HTTP %d: %s", resp.StatusCode, msg)
	}
}

// Close stops the servers: from then on the directory is unreachable (a CA
// outage). It is safe to call more than once. Pebble's VA goroutine stays
// until the test binary exits.
func (s *Server) Close() {
	s.mu.Lock()
	closed := s.closed
	s.closed = true
	s.mu.Unlock()
	if closed {
		return
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
	s.mgmt.Close()
}

// String describes the server for test logs.
func (s *Server) String() string { return fmt.Sprintf("pebble at %s", s.DirectoryURL) }
