package authdns

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/miekg/dns"
)

// The SOA timers other than the minimum. Nothing transfers this zone, so
// they only need to be plausible; these are RIPE-203's.
const (
	soaRefresh = 86400
	soaRetry   = 7200
	soaExpire  = 3600000
)

// ServeDNS answers one query. It implements dns.Handler; it never panics on
// a decoded message, whatever it holds, and never answers a response.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	if req.Response {
		return
	}
	network := "udp"
	if a := w.LocalAddr(); a != nil && a.Network() == "tcp" {
		network = "tcp"
	}
	resp, kind := s.answer(req)
	s.fit(resp, req, network)
	if err := w.WriteMsg(resp); err != nil {
		s.log.Debug("writing DNS answer", "net", network, "err", err)
	}
	s.count(resp.Rcode)
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		attrs := []any{"net", network, "kind", kind, "rcode", dns.RcodeToString[resp.Rcode]}
		if a := w.RemoteAddr(); a != nil {
			attrs = append(attrs, "remote", a.String())
		}
		if len(req.Question) > 0 {
			q := req.Question[0]
			attrs = append(attrs, "qtype", dns.TypeToString[q.Qtype])
			// In-zone names carry labels, which are not for logs; names
			// outside the zone are what abuse looks like, so they are.
			if kind == "out_of_zone" {
				attrs = append(attrs, "name", q.Name)
			}
		}
		s.log.Debug("dns query", attrs...)
	}
}

// answer builds the response to req, and names what kind of query it was,
// for the log.
func (s *Server) answer(req *dns.Msg) (*dns.Msg, string) {
	resp := new(dns.Msg)
	resp.SetReply(req) // id, opcode, RD and CD, the question; RA stays 0
	if req.Opcode != dns.OpcodeQuery {
		resp.Rcode = dns.RcodeNotImplemented
		return resp, "bad_opcode"
	}
	if len(req.Question) != 1 || len(req.Answer) != 0 || len(req.Ns) != 0 || countOPT(req) > 1 {
		return formErr(resp), "malformed"
	}
	if opt := req.IsEdns0(); opt != nil && opt.Version() != 0 {
		resp.Rcode = dns.RcodeBadVers // fit adds the OPT this rcode needs
		return resp, "bad_edns_version"
	}
	q := req.Question[0]
	qname := dns.Fqdn(q.Name)
	if _, ok := dns.IsDomainName(qname); !ok {
		return formErr(resp), "malformed"
	}
	below, apex, in := s.locate(qname)
	if !in || q.Qclass != dns.ClassINET {
		resp.Rcode = dns.RcodeRefused
		return resp, "out_of_zone"
	}
	if q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR {
		// A transfer would list every label, and labels must stay unguessable.
		resp.Rcode = dns.RcodeRefused
		return resp, "transfer"
	}
	resp.Authoritative = true

	switch {
	case len(below) == 0:
		s.answerApex(resp, q.Qtype, qname, apex)
		return resp, "apex"
	case len(below) > 1:
		// Labels have nothing below them (RFC 8020: NXDOMAIN means nothing
		// below either).
		s.negative(resp, dns.RcodeNameError, apex)
		return resp, "deep"
	}
	label := below[0]
	if addrs, ok := s.cfg.nsHosts[label]; ok {
		s.answerNameserver(resp, q.Qtype, qname, apex, addrs)
		return resp, "nameserver"
	}
	if !validLabel(label) {
		// Nothing but LDH labels is ever stored: spare Records the lookup.
		s.negative(resp, dns.RcodeNameError, apex)
		return resp, "label"
	}
	s.answerLabel(resp, q.Qtype, qname, apex, label)
	return resp, "label"
}

func (s *Server) answerApex(resp *dns.Msg, qtype uint16, qname, apex string) {
	switch qtype {
	case dns.TypeSOA:
		resp.Answer = []dns.RR{s.soa(qname, s.cfg.ttl)}
	case dns.TypeNS:
		for _, ns := range s.cfg.ns {
			resp.Answer = append(resp.Answer, &dns.NS{Hdr: s.hdr(qname, dns.TypeNS, s.cfg.ttl), Ns: ns})
		}
		// Glue, so that a resolver need not come back for the addresses.
		for _, ns := range s.cfg.ns {
			if label, ok := s.inZone(ns); ok {
				resp.Extra = append(resp.Extra, s.addresses(ns, dns.TypeANY, s.cfg.nsHosts[label])...)
			}
		}
	case dns.TypeANY:
		resp.Answer = []dns.RR{s.hinfo(qname)}
	default:
		s.negative(resp, dns.RcodeSuccess, apex)
	}
}

func (s *Server) answerNameserver(resp *dns.Msg, qtype uint16, qname, apex string, addrs []netip.Addr) {
	switch qtype {
	case dns.TypeANY:
		resp.Answer = []dns.RR{s.hinfo(qname)}
	case dns.TypeA, dns.TypeAAAA:
		resp.Answer = s.addresses(qname, qtype, addrs)
	}
	if len(resp.Answer) == 0 {
		s.negative(resp, dns.RcodeSuccess, apex)
	}
}

func (s *Server) answerLabel(resp *dns.Msg, qtype uint16, qname, apex, label string) {
	values, ok, err := s.lookup(label)
	switch {
	case err != nil:
		s.log.Warn("looking up delegation label", "err", err)
		resp.Authoritative = false
		resp.Rcode = dns.RcodeServerFailure
	case len(values) > MaxValues:
		// A Records bug; answering would break the promise of A15.
		s.log.Error("Records returned too many TXT values", "count", len(values), "max", MaxValues)
		resp.Authoritative = false
		resp.Rcode = dns.RcodeServerFailure
	case !ok:
		s.negative(resp, dns.RcodeNameError, apex)
	case qtype == dns.TypeTXT && len(values) > 0:
		for _, v := range values {
			resp.Answer = append(resp.Answer, &dns.TXT{Hdr: s.hdr(qname, dns.TypeTXT, s.cfg.ttl), Txt: txtStrings(v)})
		}
	case qtype == dns.TypeANY:
		resp.Answer = []dns.RR{s.hinfo(qname)}
	default:
		s.negative(resp, dns.RcodeSuccess, apex)
	}
}

// lookup asks Records for label's values under the query deadline. The call
// runs in its own goroutine so that the answer goes out on time even when an
// implementation ignores ctx; such a call is abandoned, not waited for.
func (s *Server) lookup(label string) ([]string, bool, error) {
	ctx, cancel := context.WithTimeout(s.base, s.cfg.timeout)
	defer cancel()
	type result struct {
		values []string
		ok     bool
		err    error
	}
	done := make(chan result, 1) // buffered: an abandoned call must not block
	go func() {
		v, ok, err := s.recs.TXT(ctx, label)
		done <- result{v, ok, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, false, fmt.Errorf("looking up TXT values: %w", r.err)
		}
		return r.values, r.ok, nil
	case <-ctx.Done():
		return nil, false, fmt.Errorf("looking up TXT values: %w", context.Cause(ctx))
	}
}

// locate finds qname (fully qualified, any case) relative to the zone: the
// lowercase labels below the apex (none at the apex), and the apex spelled as
// the question spells it, so that the SOA in a negative answer keeps the
// client's 0x20 case randomisation. in is false outside the zone, which
// includes names that merely end in the zone's text, like "evil" + zone: the
// comparison is by whole labels, escapes included.
func (s *Server) locate(qname string) (below []string, apex string, in bool) {
	lower := asciiLower(qname)
	idx := dns.Split(lower) // start of each label
	n := len(idx) - s.cfg.zoneLabels
	if n < 0 || lower[idx[n]:] != s.cfg.zone {
		return nil, "", false
	}
	for i := range n {
		below = append(below, lower[idx[i]:idx[i+1]-1])
	}
	return below, qname[idx[n]:], true
}

// inZone returns the label of a nameserver name one label below the zone.
func (s *Server) inZone(ns string) (string, bool) {
	for label := range s.cfg.nsHosts {
		if ns == label+"."+s.cfg.zone {
			return label, true
		}
	}
	return "", false
}

// negative makes resp an NXDOMAIN or NODATA answer, with the SOA in the
// authority section so that resolvers know how long to cache it (RFC 2308).
func (s *Server) negative(resp *dns.Msg, rcode int, apex string) {
	resp.Rcode = rcode
	resp.Ns = []dns.RR{s.soa(apex, min(s.cfg.ttl, s.cfg.negTTL))}
}

func (s *Server) soa(owner string, ttl uint32) *dns.SOA {
	return &dns.SOA{
		Hdr: s.hdr(owner, dns.TypeSOA, ttl),
		Ns:  s.cfg.ns[0], Mbox: s.cfg.mbox, Serial: soaSerial,
		Refresh: soaRefresh, Retry: soaRetry, Expire: soaExpire, Minttl: s.cfg.negTTL,
	}
}

// hinfo is the RFC 8482 stand-in for an ANY answer: small and constant, so
// ANY cannot amplify, and it says nothing about the labels' values.
func (s *Server) hinfo(owner string) *dns.HINFO {
	return &dns.HINFO{Hdr: s.hdr(owner, dns.TypeHINFO, s.cfg.ttl), Cpu: "RFC8482", Os: ""}
}

// addresses returns the A (qtype A), AAAA (qtype AAAA) or both (any other
// qtype) records for a nameserver.
func (s *Server) addresses(owner string, qtype uint16, addrs []netip.Addr) []dns.RR {
	var rrs []dns.RR
	for _, a := range addrs {
		a = a.Unmap()
		switch {
		case a.Is4() && qtype != dns.TypeAAAA:
			rrs = append(rrs, &dns.A{Hdr: s.hdr(owner, dns.TypeA, s.cfg.ttl), A: a.AsSlice()})
		case a.Is6() && qtype != dns.TypeA:
			rrs = append(rrs, &dns.AAAA{Hdr: s.hdr(owner, dns.TypeAAAA, s.cfg.ttl), AAAA: a.AsSlice()})
		}
	}
	return rrs
}

func (s *Server) hdr(owner string, rrtype uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: owner, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
}

// fit adds EDNS0 to resp when req had it, and truncates resp to what the
// transport allows: the client's UDP buffer capped at maxUDPSize, 512 bytes
// without EDNS0, 64 KiB over TCP. Truncation sets TC, and the client retries
// over TCP.
func (s *Server) fit(resp, req *dns.Msg, network string) {
	size := dns.MaxMsgSize
	opt := req.IsEdns0()
	if network == "udp" {
		size = dns.MinMsgSize
		if opt != nil {
			size = min(max(int(opt.UDPSize()), dns.MinMsgSize), maxUDPSize)
		}
	}
	if opt != nil {
		// Version 0, no DO bit: the zone is unsigned. Options in the query
		// are not echoed.
		resp.SetEdns0(maxUDPSize, false)
	}
	resp.Truncate(size)
}

func formErr(resp *dns.Msg) *dns.Msg {
	resp.Rcode = dns.RcodeFormatError
	resp.Question = nil // it may be what was wrong; echoing it could fail to pack
	return resp
}

func countOPT(m *dns.Msg) int {
	n := 0
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			n++
		}
	}
	return n
}

// txtStrings splits a TXT value into the 255-byte character-strings a TXT
// record is made of, in miekg/dns's escaped form (it reads backslash escapes
// when packing), so that any bytes survive the trip.
func txtStrings(v string) []string {
	if v == "" {
		return []string{""}
	}
	var out []string
	for len(v) > 0 {
		n := min(len(v), 255)
		out = append(out, escapeTXT(v[:n]))
		v = v[n:]
	}
	return out
}

func escapeTXT(s string) string {
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		clean = s[i] >= ' ' && s[i] <= '~' && s[i] != '\\' && s[i] != '"'
	}
	if clean { // DNS-01 values are base64url: the usual case
		return s
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			b = append(b, '\\', c)
		case c < ' ' || c > '~':
			b = fmt.Appendf(b, "\\%03d", c)
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
