package dnstest

import (
	"time"

	"github.com/miekg/dns"
)

// maxChase bounds how many CNAMEs one answer follows, so that a loop a test
// sets up on purpose ends. Recursive resolvers stop in the same way, leaving
// the client to notice the loop.
const maxChase = 16

// ServeDNS answers one query. It implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	network := "udp"
	if w.LocalAddr().Network() == "tcp" {
		network = "tcp"
	}
	resp := new(dns.Msg)
	if len(req.Question) != 1 {
		resp.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(resp)
		return
	}
	q := req.Question[0]
	resp.SetReply(req)
	resp.RecursionAvailable = true

	s.mu.Lock()
	s.queries = append(s.queries, Query{Name: display(canonical(q.Name)), Type: q.Qtype, Net: network})
	delay, mutate := s.answer(resp, q)
	truncate := s.truncate
	s.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return
		}
	}
	if mutate != nil {
		mutate(resp)
	}
	if network == "udp" && truncate {
		resp.Answer, resp.Ns, resp.Extra = nil, nil, nil
		resp.Truncated = true
	}
	size := dns.MaxMsgSize
	if network == "udp" {
		size = dns.MinMsgSize
	}
	if opt := req.IsEdns0(); opt != nil {
		resp.SetEdns0(opt.UDPSize(), false)
		if network == "udp" {
			size = int(opt.UDPSize())
		}
	}
	// Truncate sets TC when the answer does not fit the client's buffer, as
	// a real server does: large TXT sets exercise the TCP retry naturally.
	resp.Truncate(size)
	_ = w.WriteMsg(resp)
}

// answer fills resp for q the way a recursive resolver would, and returns the
// longest delay and the mutation registered for any name on the way. It must
// be called with s.mu held.
func (s *Server) answer(resp *dns.Msg, q dns.Question) (time.Duration, func(*dns.Msg)) {
	cur := canonical(q.Name)
	var delay time.Duration
	var mutate func(*dns.Msg)
	seen := map[string]bool{}
	for range maxChase {
		delay = max(delay, s.delay[cur])
		if f := s.mutate[cur]; f != nil && mutate == nil {
			mutate = f
		}
		if rcode, ok := s.rcode[cur]; ok {
			resp.Answer = nil
			resp.Rcode = rcode
			return delay, mutate
		}
		node := s.records[cur]
		if len(node) == 0 && !s.hasDescendant(cur) {
			node = s.wildcardFor(cur)
		}
		if c, ok := node[dns.TypeCNAME]; ok && q.Qtype != dns.TypeCNAME {
			rr := dns.Copy(c[0])
			rr.Header().Name = cur
			resp.Answer = append(resp.Answer, rr)
			seen[cur] = true
			cur = c[0].(*dns.CNAME).Target
			if seen[cur] {
				return delay, mutate // a loop: answer the chain so far, like a resolver giving up
			}
			continue
		}
		for _, rr := range node[q.Qtype] {
			rr = dns.Copy(rr)
			rr.Header().Name = cur // a wildcard's records are synthesized for the name asked
			resp.Answer = append(resp.Answer, rr)
		}
		if len(node) == 0 && !s.hasDescendant(cur) {
			resp.Rcode = dns.RcodeNameError // RFC 6604: the code is about the last name
		}
		return delay, mutate
	}
	return delay, mutate
}

// hasDescendant reports whether some name below fqdn holds records, which
// makes fqdn an empty non-terminal: it exists, with no data (NODATA).
func (s *Server) hasDescendant(fqdn string) bool {
	for name := range s.records {
		if name != fqdn && dns.IsSubDomain(fqdn, name) {
			return true
		}
	}
	return false
}

// wildcardFor returns the records of the wildcard that covers fqdn, a name
// that does not exist, per RFC 4592: the "*" child of fqdn's closest
// encloser (its nearest existing ancestor), or nil.
func (s *Server) wildcardFor(fqdn string) map[uint16][]dns.RR {
	for off, end := dns.NextLabel(fqdn, 0); !end; off, end = dns.NextLabel(fqdn, off) {
		parent := fqdn[off:]
		if len(s.records[parent]) == 0 && !s.hasDescendant(parent) {
			continue
		}
		return s.records["*."+parent]
	}
	return nil
}
