package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/miekg/dns"

	"github.com/porticohq/portico/internal/authdns"
)

// maxChase bounds the CNAMEs one answer follows, as recursive resolvers do,
// so that a loop in the data ends.
const maxChase = 8

// recordTTL is the TTL of every answer. Nothing caches in the demo, but
// clients that refuse TTL 0 stay happy.
const recordTTL = 60

// customerDNS stands in for the DNS of the demo's customer, as Portico sees
// it through --resolver: a server on loopback (UDP and TCP, one port) that
// answers A, AAAA, CNAME and TXT from an in-memory map, and follows CNAMEs
// inside its data like a recursive resolver, so that a query for a name
// that has a CNAME gets the chain plus the target's records. A name with no
// records answers NXDOMAIN, unless names below it have records (an empty
// non-terminal: NOERROR with no answer). A "*.parent" name answers for the
// names under parent that do not exist otherwise (RFC 4592, simplified: the
// closest existing ancestor's wildcard).
//
// It is safe for concurrent use, including while it answers.
type customerDNS struct {
	addr string
	udp  *dns.Server
	tcp  *dns.Server

	mu      sync.Mutex
	records map[string][]dns.RR // canonical owner name -> records
}

// startDNS starts a customerDNS on 127.0.0.1 with a port the kernel picks.
func startDNS() (*customerDNS, error) {
	s := &customerDNS{records: map[string][]dns.RR{}}
	pc, ln, err := authdns.ListenPair(context.Background(), "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("customer DNS: %w", err)
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
			s.Close()
			return nil, fmt.Errorf("customer DNS: %w", err)
		}
	}
	return s, nil
}

// Addr is the server's "127.0.0.1:port", for UDP and TCP.
func (s *customerDNS) Addr() string { return s.addr }

// Close stops the server.
func (s *customerDNS) Close() error {
	var errs []error
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		if srv != nil {
			if err := srv.Shutdown(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// SetCNAME makes name an alias of target; the name's other records go, as
// a CNAME stands alone.
func (s *customerDNS) SetCNAME(name, target string) {
	owner := dns.CanonicalName(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[owner] = []dns.RR{&dns.CNAME{Hdr: rrHeader(owner, dns.TypeCNAME), Target: dns.CanonicalName(target)}}
}

// SetA replaces name's A records with addr.
func (s *customerDNS) SetA(name string, addr netip.Addr) {
	owner := dns.CanonicalName(name)
	s.put(owner, &dns.A{Hdr: rrHeader(owner, dns.TypeA), A: addr.AsSlice()})
}

// SetTXT replaces name's TXT records with one holding value.
func (s *customerDNS) SetTXT(name, value string) {
	owner := dns.CanonicalName(name)
	var parts []string // a character-string holds at most 255 bytes
	for len(value) > 255 {
		parts, value = append(parts, value[:255]), value[255:]
	}
	s.put(owner, &dns.TXT{Hdr: rrHeader(owner, dns.TypeTXT), Txt: append(parts, value)})
}

// put replaces owner's records of rr's type (and any CNAME) with rr.
func (s *customerDNS) put(owner string, rr dns.RR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.records[owner][:0:0]
	for _, old := range s.records[owner] {
		if t := old.Header().Rrtype; t != rr.Header().Rrtype && t != dns.TypeCNAME {
			kept = append(kept, old)
		}
	}
	s.records[owner] = append(kept, rr)
}

func rrHeader(owner string, typ uint16) dns.RR_Header {
	return dns.RR_Header{Name: owner, Rrtype: typ, Class: dns.ClassINET, Ttl: recordTTL}
}

// ServeDNS answers one query. It implements dns.Handler.
func (s *customerDNS) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	if len(req.Question) != 1 {
		resp.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(resp)
		return
	}
	resp.SetReply(req)
	resp.RecursionAvailable = true
	s.mu.Lock()
	s.answer(resp, req.Question[0])
	s.mu.Unlock()
	size := dns.MinMsgSize
	if _, tcp := w.LocalAddr().(*net.TCPAddr); tcp {
		size = dns.MaxMsgSize
	}
	if opt := req.IsEdns0(); opt != nil {
		resp.SetEdns0(opt.UDPSize(), false)
		if size == dns.MinMsgSize {
			size = int(opt.UDPSize())
		}
	}
	resp.Truncate(size) // sets TC when the answer does not fit: the client retries over TCP
	_ = w.WriteMsg(resp)
}

// answer fills resp for q as a recursive resolver would. It must be called
// with s.mu held.
func (s *customerDNS) answer(resp *dns.Msg, q dns.Question) {
	name := dns.CanonicalName(q.Name)
	for range maxChase {
		rrs, exists := s.lookup(name)
		if !exists {
			resp.Rcode = dns.RcodeNameError // RFC 6604: about the last name of the chain
			return
		}
		if len(rrs) == 1 && rrs[0].Header().Rrtype == dns.TypeCNAME && q.Qtype != dns.TypeCNAME {
			rr := dns.Copy(rrs[0])
			rr.Header().Name = name
			resp.Answer = append(resp.Answer, rr)
			name = rr.(*dns.CNAME).Target
			continue
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				rr = dns.Copy(rr)
				rr.Header().Name = name // a wildcard's records answer for the name asked
				resp.Answer = append(resp.Answer, rr)
			}
		}
		return
	}
	// A chain longer than maxChase (a loop): answer what was found, as a
	// resolver that gives up does, and let the client notice.
}

// lookup returns name's records and whether name exists: it has records,
// names below it have some, or a wildcard covers it.
func (s *customerDNS) lookup(name string) ([]dns.RR, bool) {
	if rrs := s.records[name]; len(rrs) > 0 {
		return rrs, true
	}
	if s.hasDescendant(name) {
		return nil, true
	}
	// The closest existing ancestor's wildcard, if any.
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		parent := name[off:]
		if len(s.records[parent]) == 0 && !s.hasDescendant(parent) {
			continue
		}
		rrs := s.records["*."+parent]
		return rrs, len(rrs) > 0
	}
	return nil, false
}

// hasDescendant reports whether a name below name holds records.
func (s *customerDNS) hasDescendant(name string) bool {
	for owner := range s.records {
		if owner != name && dns.IsSubDomain(name, owner) {
			return true
		}
	}
	return false
}
