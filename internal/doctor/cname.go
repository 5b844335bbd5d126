package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/porticohq/portico/internal/verify"
)

// checkCNAMETargets resolves each zone's CNAME target, the name customers
// point their hostnames at, and compares its addresses with the edge's
// (--edge-ipv4, --edge-ipv6).
func (r *run) checkCNAMETargets(ctx context.Context) {
	if r.resolver == nil || (r.dbState != dbOpen && r.dbState != dbMissing) {
		return // the resolver or database check said why
	}
	if len(r.zones) == 0 {
		r.warn("cname_target", "", "there are no zones yet, so no CNAME target to check",
			"create one: portico zone create --name saasprovider.com --cname-target customers.saasprovider.com")
		return
	}
	edge := r.edgeAddrs()
	for _, target := range r.targets() {
		r.checkTarget(ctx, target, edge)
	}
}

// targets returns the zones' distinct CNAME targets, in zone order.
func (r *run) targets() []string {
	var out []string
	seen := map[string]bool{}
	for _, z := range r.zones {
		if !seen[z.CNAMETarget] {
			seen[z.CNAMETarget] = true
			out = append(out, z.CNAMETarget)
		}
	}
	return out
}

func (r *run) checkTarget(ctx context.Context, target string, edge []netip.Addr) {
	pctx, cancel := r.probe(ctx)
	addrs, err := r.resolver.LookupAddrs(pctx, target)
	cancel()
	publish := publishFix(target, edge)
	switch {
	case errors.Is(err, verify.ErrCNAMELoop) || errors.Is(err, verify.ErrCNAMEChainTooLong):
		r.fail("cname_target", target, "does not resolve: "+err.Error(), publish)
		return
	case err != nil && len(addrs) == 0:
		r.warn("cname_target", target, "could not be checked: "+err.Error(), "check --resolver, and the DNS servers of "+target)
		return
	case len(addrs) == 0:
		r.fail("cname_target", target, "does not resolve: it has no A or AAAA records, so customers' CNAMEs lead nowhere", publish)
		return
	case len(edge) == 0:
		r.warn("cname_target", target, "resolves to "+joinAddrs(addrs)+"; --edge-ipv4 and --edge-ipv6 are not set, so whether that is the edge cannot be told (and apex hostnames cannot be verified)",
			"set --edge-ipv4 and --edge-ipv6 to the edge's public addresses")
		return
	}
	in, out, missing := compareAddrs(addrs, edge)
	switch {
	case len(in) == 0:
		r.fail("cname_target", target, fmt.Sprintf("resolves to %s, none of which is an edge address (%s): visitors and the CA's HTTP-01 requests go elsewhere",
			joinAddrs(addrs), joinAddrs(edge)), publish)
	case len(out) > 0:
		r.warn("cname_target", target, fmt.Sprintf("resolves to %s, of which %s %s not an edge address: some visitors reach something else",
			joinAddrs(addrs), joinAddrs(out), plural(len(out), "is", "are")), publish+", and remove the others")
	case len(missing) > 0 && err == nil:
		r.warn("cname_target", target, fmt.Sprintf("resolves to %s, but not to the edge %s %s", joinAddrs(addrs),
			plural(len(missing), "address", "addresses"), joinAddrs(missing)), publish)
	case err != nil:
		r.warn("cname_target", target, fmt.Sprintf("resolves to %s (edge addresses), but a lookup failed: %v", joinAddrs(addrs), err),
			"check the DNS servers of "+target)
	default:
		r.ok("cname_target", target, "resolves to "+joinAddrs(addrs)+", the edge's addresses")
	}
}

// publishFix says which address records the target needs.
func publishFix(target string, edge []netip.Addr) string {
	if len(edge) == 0 {
		return fmt.Sprintf("publish A (and AAAA) records for %s with the edge's public addresses", target)
	}
	var recs []string
	for _, a := range edge {
		typ := "A"
		if a.Is6() {
			typ = "AAAA"
		}
		recs = append(recs, fmt.Sprintf("%s %s %s", target, typ, a))
	}
	return "publish " + strings.Join(recs, " and ")
}
