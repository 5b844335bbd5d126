package dnstest

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// ttl is the TTL of every record. Caches play no part in tests, but a
// realistic non-zero value keeps clients that reject TTL 0 honest.
const ttl = 60

// CAA is one CAA record (RFC 8659).
type CAA struct {
	Flag  uint8  // 128 marks the record critical
	Tag   string // "issue", "issuewild", "iodef"
	Value string // e.g. "letsencrypt.org" or "letsencrypt.org; accounturi=..."
}

// SetTXT replaces the TXT records at name with one record per value. A value
// longer than 255 bytes is split into 255-byte strings, as DNS requires;
// use SetTXTStrings to choose the split.
func (s *Server) SetTXT(name string, values ...string) {
	records := make([][]string, 0, len(values))
	for _, v := range values {
		var parts []string
		for len(v) > 255 {
			parts, v = append(parts, v[:255]), v[255:]
		}
		records = append(records, append(parts, v))
	}
	s.SetTXTStrings(name, records...)
}

// SetTXTStrings replaces the TXT records at name with one record per element,
// each made of the given character-strings: SetTXTStrings(n, []string{"ab",
// "cd"}) publishes one record that clients join to "abcd". Strings are in
// zone-file presentation form, as miekg/dns keeps them: a backslash escapes
// the next character or starts a \DDD byte, so `a\"b` is the 3 bytes a"b.
func (s *Server) SetTXTStrings(name string, records ...[]string) {
	fqdn := canonical(name)
	rrs := make([]dns.RR, 0, len(records))
	for _, strs := range records {
		rrs = append(rrs, &dns.TXT{Hdr: header(fqdn, dns.TypeTXT), Txt: append([]string(nil), strs...)})
	}
	s.set(fqdn, dns.TypeTXT, rrs)
}

// SetCNAME makes name an alias of target. Like a real zone, a name with a
// CNAME holds nothing else: its other records are removed.
func (s *Server) SetCNAME(name, target string) {
	fqdn := canonical(name)
	rr := &dns.CNAME{Hdr: header(fqdn, dns.TypeCNAME), Target: canonical(target)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[fqdn] = map[uint16][]dns.RR{dns.TypeCNAME: {rr}}
}

// SetA replaces the A records at name. It fails the test on an address that
// is not IPv4.
func (s *Server) SetA(name string, addrs ...string) {
	s.tb.Helper()
	fqdn := canonical(name)
	rrs := make([]dns.RR, 0, len(addrs))
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Is4() {
			s.tb.Fatalf("dnstest: SetA(%q): %q is not an IPv4 address", name, a)
		}
		rrs = append(rrs, &dns.A{Hdr: header(fqdn, dns.TypeA), A: ip.AsSlice()})
	}
	s.set(fqdn, dns.TypeA, rrs)
}

// SetAAAA replaces the AAAA records at name. It fails the test on an address
// that is not IPv6.
func (s *Server) SetAAAA(name string, addrs ...string) {
	s.tb.Helper()
	fqdn := canonical(name)
	rrs := make([]dns.RR, 0, len(addrs))
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Is6() || ip.Is4In6() {
			s.tb.Fatalf("dnstest: SetAAAA(%q): %q is not an IPv6 address", name, a)
		}
		rrs = append(rrs, &dns.AAAA{Hdr: header(fqdn, dns.TypeAAAA), AAAA: ip.AsSlice()})
	}
	s.set(fqdn, dns.TypeAAAA, rrs)
}

// SetCAA replaces the CAA records at name.
func (s *Server) SetCAA(name string, records ...CAA) {
	fqdn := canonical(name)
	rrs := make([]dns.RR, 0, len(records))
	for _, c := range records {
		rrs = append(rrs, &dns.CAA{Hdr: header(fqdn, dns.TypeCAA), Flag: c.Flag, Tag: c.Tag, Value: c.Value})
	}
	s.set(fqdn, dns.TypeCAA, rrs)
}

// SetRR replaces the records of rr's type at rr's owner name with rrs, for
// types the helpers do not cover. Every record must have the same owner and
// type. It fails the test on a record that does not parse, in zone-file
// syntax: SetRR("x.example.net. 60 IN MX 10 mail.example.net.").
func (s *Server) SetRR(rrs ...string) {
	s.tb.Helper()
	if len(rrs) == 0 {
		return
	}
	var owner string
	var typ uint16
	parsed := make([]dns.RR, 0, len(rrs))
	for _, text := range rrs {
		rr, err := dns.NewRR(text)
		if err != nil || rr == nil {
			s.tb.Fatalf("dnstest: SetRR(%q): %v", text, err)
			return
		}
		h := rr.Header()
		h.Name = canonical(h.Name)
		if owner == "" {
			owner, typ = h.Name, h.Rrtype
		} else if h.Name != owner || h.Rrtype != typ {
			s.tb.Fatalf("dnstest: SetRR: records differ in owner or type")
		}
		parsed = append(parsed, rr)
	}
	s.set(owner, typ, parsed)
}

// Delete removes name's records of type qtype; dns.TypeANY removes all of
// them. A name left with no records answers NXDOMAIN (or NODATA when it has
// records below it).
func (s *Server) Delete(name string, qtype uint16) {
	fqdn := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if qtype == dns.TypeANY {
		delete(s.records, fqdn)
		return
	}
	delete(s.records[fqdn], qtype)
	if len(s.records[fqdn]) == 0 {
		delete(s.records, fqdn)
	}
}

// SetServfail makes every query for name (any type, also when name is
// reached through a CNAME) answer SERVFAIL, or stops doing so.
func (s *Server) SetServfail(name string, on bool) {
	rcode := dns.RcodeSuccess
	if on {
		rcode = dns.RcodeServerFailure
	}
	s.SetRcode(name, rcode)
}

// SetRcode makes every query for name answer with rcode and no records
// (e.g. dns.RcodeRefused); dns.RcodeSuccess restores normal answers.
func (s *Server) SetRcode(name string, rcode int) {
	fqdn := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rcode == dns.RcodeSuccess {
		delete(s.rcode, fqdn)
		return
	}
	s.rcode[fqdn] = rcode
}

// SetDelay holds every answer to a query for name for d before sending it;
// 0 removes the delay. Use it to make clients time out.
func (s *Server) SetDelay(name string, d time.Duration) {
	fqdn := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.delay, fqdn)
		return
	}
	s.delay[fqdn] = d
}

// SetTruncate makes every UDP answer empty with the TC bit set, so clients
// must retry over TCP; TCP answers are unaffected.
func (s *Server) SetTruncate(on bool) {
	s.mu.Lock()
	s.truncate = on
	s.mu.Unlock()
}

// SetMutate registers f to rewrite every response to a query for name just
// before it is sent, to imitate hostile or broken servers (records for other
// names, a different question, a wrong id). nil removes it. f runs without
// the server's lock held, on the server's goroutine.
func (s *Server) SetMutate(name string, f func(resp *dns.Msg)) {
	fqdn := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == nil {
		delete(s.mutate, fqdn)
		return
	}
	s.mutate[fqdn] = f
}

// set replaces fqdn's records of type typ; an empty rrs deletes them. A
// record other than a CNAME replaces a CNAME at the same name, since the two
// cannot coexist.
func (s *Server) set(fqdn string, typ uint16, rrs []dns.RR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	node := s.records[fqdn]
	if node == nil {
		node = make(map[uint16][]dns.RR)
		s.records[fqdn] = node
	}
	if typ != dns.TypeCNAME {
		delete(node, dns.TypeCNAME)
	}
	if len(rrs) == 0 {
		delete(node, typ)
	} else {
		node[typ] = rrs
	}
	if len(node) == 0 {
		delete(s.records, fqdn)
	}
}

func header(fqdn string, typ uint16) dns.RR_Header {
	return dns.RR_Header{Name: fqdn, Rrtype: typ, Class: dns.ClassINET, Ttl: ttl}
}
