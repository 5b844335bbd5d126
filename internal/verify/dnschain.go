package verify

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// resolve asks for (name, qtype), following CNAMEs, and returns the chain
// and the records of qtype owned by the last name of the chain.
//
// A recursive resolver usually answers with the whole chain in one
// response; an authoritative-only server answers up to the edge of its zone,
// so when an answer stops at a CNAME target without saying anything about
// it, the target is asked about in a new query. Records are believed only
// when their owner is the name being followed: whatever else a hostile or
// confused server puts in the answer is ignored.
func (r *DNSResolver) resolve(ctx context.Context, name string, qtype uint16) (chain []string, rrs []dns.RR, err error) {
	cur := dns.CanonicalName(name)
	seen := map[string]bool{cur: true}
	// Each query either ends the lookup or adds at least one name to the
	// chain, so this bounds the number of queries as well.
	for range r.opts.MaxCNAMEChain + 1 {
		resp, err := r.exchange(ctx, cur, qtype)
		if err != nil {
			return chain, nil, err
		}
		asked := cur
		for {
			// For qtype CNAME the CNAMEs are the chain, not the result.
			if qtype != dns.TypeCNAME {
				if rrs := ownedRecords(resp.Answer, cur, qtype); len(rrs) > 0 {
					return chain, rrs, nil
				}
			}
			target, ok := cnameOf(resp.Answer, cur)
			if !ok {
				break
			}
			chain = append(chain, strings.TrimSuffix(target, "."))
			if seen[target] {
				return chain, nil, fmt.Errorf("%w: %s", ErrCNAMELoop, describeChain(name, chain))
			}
			if len(chain) > r.opts.MaxCNAMEChain {
				return chain, nil, fmt.Errorf("%w: more than %d CNAMEs from %s", ErrCNAMEChainTooLong, r.opts.MaxCNAMEChain, name)
			}
			seen[target] = true
			cur = target
		}
		// The answer says nothing more about cur. If cur is the name asked,
		// that is the final word: NODATA or NXDOMAIN, both "not there". If
		// the answer stopped at a CNAME target and the server did not report
		// the target missing (NXDOMAIN, RFC 6604), ask about the target.
		if cur == asked || resp.Rcode == dns.RcodeNameError {
			return chain, nil, nil
		}
	}
	return chain, nil, fmt.Errorf("%w: more than %d CNAMEs from %s", ErrCNAMEChainTooLong, r.opts.MaxCNAMEChain, name)
}

// ownedRecords returns the records of type qtype owned by owner (a
// canonical fqdn).
func ownedRecords(answer []dns.RR, owner string, qtype uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range answer {
		h := rr.Header()
		if h.Rrtype == qtype && h.Class == dns.ClassINET && dns.CanonicalName(h.Name) == owner {
			out = append(out, rr)
		}
	}
	return out
}

// cnameOf returns the target of owner's CNAME in answer, as a canonical
// fqdn. A name has at most one CNAME; if a server sends several, the first
// one is taken and the rest ignored.
func cnameOf(answer []dns.RR, owner string) (string, bool) {
	for _, rr := range answer {
		if c, ok := rr.(*dns.CNAME); ok && c.Hdr.Class == dns.ClassINET && dns.CanonicalName(c.Hdr.Name) == owner {
			return dns.CanonicalName(c.Target), true
		}
	}
	return "", false
}

// describeChain renders "a -> b -> c" for messages.
func describeChain(name string, chain []string) string {
	return strings.Join(append([]string{name}, chain...), " -> ")
}

// LookupTXT implements Resolver.
func (r *DNSResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	_, rrs, err := r.resolve(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		var b strings.Builder
		for _, part := range rr.(*dns.TXT).Txt {
			b.WriteString(unescapeTXT(part))
		}
		out = append(out, b.String())
	}
	return out, nil
}

// LookupCNAMEChain implements Resolver. It asks for type CNAME, which
// resolvers answer without chasing, one hop per query, so that a failure at
// the end of the chain (the target's servers being down) does not hide the
// chain itself.
func (r *DNSResolver) LookupCNAMEChain(ctx context.Context, name string) ([]string, error) {
	chain, _, err := r.resolve(ctx, name, dns.TypeCNAME)
	return chain, err
}

// LookupAddrs implements Resolver.
func (r *DNSResolver) LookupAddrs(ctx context.Context, name string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	var firstErr error
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		_, rrs, err := r.resolve(ctx, name, qtype)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, rr := range rrs {
			var ip []byte
			switch v := rr.(type) {
			case *dns.A:
				ip = v.A
			case *dns.AAAA:
				ip = v.AAAA
			}
			if a, ok := netip.AddrFromSlice(ip); ok {
				addrs = append(addrs, a.Unmap())
			}
		}
	}
	return addrs, firstErr
}

// unescapeTXT undoes miekg/dns's presentation escaping of a TXT string
// (\DDD for a byte, \X for a literal X), so values are compared as the
// bytes on the wire: a customer's record `a\"b` must not read as `a"b` or as
// its escaped spelling depending on the library.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b = append(b, s[i])
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			n := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if n <= 255 {
				b = append(b, byte(n))
				i += 3
				continue
			}
		}
		b = append(b, s[i+1])
		i++
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
