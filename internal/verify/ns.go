package verify

import (
	"context"
	"strings"

	"github.com/miekg/dns"
)

// LookupNS returns the nameservers that name's NS records list (canonical
// names, no trailing dot), after name's CNAME chain, in the order the
// server gave them. Like the Resolver methods, "no NS records" (NXDOMAIN,
// NODATA) is an empty result with a nil error, and a lookup that could not
// be done wraps ErrUnavailable.
//
// Verification never needs it, so it is not part of Resolver: `portico
// doctor` uses it to see where the DCV zone is delegated, through the same
// servers and the same checks on answers as every other lookup.
func (r *DNSResolver) LookupNS(ctx context.Context, name string) ([]string, error) {
	_, rrs, err := r.resolve(ctx, name, dns.TypeNS)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, strings.TrimSuffix(dns.CanonicalName(rr.(*dns.NS).Ns), "."))
	}
	return out, nil
}
