// Package dnstest runs a real DNS server on loopback for tests: UDP and TCP
// on 127.0.0.1 with a kernel-chosen port, built on github.com/miekg/dns, whose
// records, failures and delays a test changes while it runs.
//
// It answers the way a recursive resolver does, because that is what the code
// under test talks to in production (--resolver, /etc/resolv.conf): a query
// for a name that holds a CNAME gets the whole chain plus the final records
// when they are in the server's data, and the response code describes the
// last name of the chain (RFC 6604). A name that holds no records but has
// records below it is an empty non-terminal and answers NODATA, not NXDOMAIN.
// Wildcards work as RFC 4592 says: records set at "*.example.net" answer for
// any name under example.net that does not exist otherwise.
//
// Names given to the setters may carry a trailing dot or not, in any case;
// the server folds them to one canonical form. Failures are injected per name
// (SetServfail, SetRcode, SetDelay, SetMutate) or for the whole server
// (SetTruncate), and every query is logged (Queries).
//
// Typical use:
//
//	srv := dnstest.New(t)
//	srv.SetCNAME("shop.example-customer.com", "customers.saasprovider.com")
//	srv.SetA("customers.saasprovider.com", "192.0.2.10")
//	r, _ := verify.NewDNSResolver([]string{srv.Addr()}, verify.DNSOptions{})
package dnstest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/porticohq/portico/internal/authdns"
)

// Query is one question the server received.
type Query struct {
	Name string // lowercase, without the trailing dot
	Type uint16 // dns.TypeA, dns.TypeTXT, ...
	Net  string // "udp" or "tcp"
}

// TypeString returns the query type's mnemonic, e.g. "TXT".
func (q Query) TypeString() string { return dns.TypeToString[q.Type] }

// Server is a loopback DNS server. Its methods are safe for concurrent use,
// including while queries are being answered.
type Server struct {
	tb   testing.TB
	addr string
	udp  *dns.Server
	tcp  *dns.Server
	done chan struct{}

	mu       sync.Mutex
	records  map[string]map[uint16][]dns.RR // canonical fqdn -> type -> records
	rcode    map[string]int
	delay    map[string]time.Duration
	mutate   map[string]func(*dns.Msg)
	truncate bool
	queries  []Query
}

// New starts a server on 127.0.0.1 (UDP and TCP on the same port) and stops
// it when the test ends. It fails the test if the server cannot start.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		tb:      tb,
		done:    make(chan struct{}),
		records: make(map[string]map[uint16][]dns.RR),
		rcode:   make(map[string]int),
		delay:   make(map[string]time.Duration),
		mutate:  make(map[string]func(*dns.Msg)),
	}
	pc, ln, err := authdns.ListenPair(context.Background(), "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("dnstest: %v", err)
	}
	s.addr = pc.LocalAddr().String()
	s.udp = &dns.Server{PacketConn: pc, Handler: s}
	s.tcp = &dns.Server{Listener: ln, Handler: s}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		errc := make(chan error, 1)
		go func() { errc <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			tb.Fatalf("dnstest: serving: %v", err)
		}
	}
	tb.Cleanup(s.Close)
	return s
}

// Addr returns the server's "127.0.0.1:port", for UDP and TCP alike.
func (s *Server) Addr() string { return s.addr }

// Close stops the server. Delayed answers still pending are dropped. It is
// called automatically when the test ends; calling it twice is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return
	default:
		close(s.done)
	}
	s.mu.Unlock()
	_ = s.udp.Shutdown()
	_ = s.tcp.Shutdown()
}

// Queries returns a copy of the query log, oldest first.
func (s *Server) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.queries...)
}

// ResetQueries empties the query log.
func (s *Server) ResetQueries() {
	s.mu.Lock()
	s.queries = nil
	s.mu.Unlock()
}

// canonical folds a name to lowercase with a trailing dot, the key of every
// map in Server.
func canonical(name string) string { return dns.CanonicalName(name) }

// display is the form Query.Name uses: canonical without the trailing dot.
func display(fqdn string) string {
	if fqdn == "." {
		return fqdn
	}
	return strings.TrimSuffix(fqdn, ".")
}
