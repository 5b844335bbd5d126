package verify

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/porticohq/portico/internal/core"
)

// checkPointing decides whether h's DNS points at zone now, fills
// res.Pointing, res.CNAMEChain and res.Addrs, and returns the CNAME proof.
//
// The CNAME chain decides first, and it decides per zone: a chain that
// reaches zone.CNAMETarget points at us and proves ownership ("real-time"
// validation, as the target is unique to the zone); a chain that does not
// points elsewhere, even when it ends at our edge addresses through another
// zone's target (threat A2). Only a name without a CNAME (an apex, or a
// provider's CNAME flattening) is judged by its addresses, which point at us
// when all of them are edge addresses; they never prove ownership, because
// every zone shares them (threat A3).
//
// For a wildcard the chain of a fresh random name under its base is looked
// at, since "*.base" itself cannot be queried: the answer is what any name
// under the base resolves to.
func (c *Checker) checkPointing(ctx context.Context, zone core.Zone, h core.Hostname, res *Result) proof {
	base := strings.TrimPrefix(h.Name, "*.")
	name := base
	if h.IsWildcard() {
		name = c.probe() + "." + base
	}
	target := strings.ToLower(strings.TrimSuffix(zone.CNAMETarget, "."))
	expected := target
	if expected == "" {
		expected = "a CNAME target, but this zone has none"
	}
	notOurs := func(found string) string {
		return fmt.Sprintf("custom hostname does not CNAME to this zone: found %s, expected %s", found, expected)
	}

	chain, err := c.resolver.LookupCNAMEChain(ctx, name)
	res.CNAMEChain = chain
	// A chain that reached the target before something failed further on
	// (the provider's own names) still shows the customer pointed here.
	if target != "" && containsName(chain, target) {
		res.Pointing = PointingAtUs
		return proof{ok: true}
	}
	switch {
	case errors.Is(err, ErrUnavailable):
		res.Pointing = PointingUnknown
		return proof{unknown: true, msg: fmt.Sprintf("could not check the CNAME of %s: %s; it will be checked again", name, unavailableReason(err))}
	case errors.Is(err, ErrCNAMELoop):
		res.Pointing = PointingElsewhere
		return proof{msg: notOurs("a CNAME chain that loops (" + describeChain(name, chain) + ")")}
	case err != nil: // too long
		res.Pointing = PointingElsewhere
		return proof{msg: notOurs("a CNAME chain that is too long (" + describeChain(name, chain) + ")")}
	case len(chain) > 0:
		res.Pointing = PointingElsewhere
		return proof{msg: notOurs("CNAME " + strings.Join(chain, " -> "))}
	}

	msg := notOurs("no CNAME")
	if target == "" {
		msg = "" // nothing the customer could have done: the zone has no target
	}
	res.Pointing, res.Addrs = c.addrsPointing(ctx, name)
	return proof{msg: msg}
}

// addrsPointing judges a name without a CNAME by its addresses.
func (c *Checker) addrsPointing(ctx context.Context, name string) (Pointing, []netip.Addr) {
	if len(c.edge) == 0 {
		return PointingElsewhere, nil // no edge addresses configured: nothing can match
	}
	addrs, err := c.resolver.LookupAddrs(ctx, name)
	for _, a := range addrs {
		if !c.edge[a.WithZone("")] {
			return PointingElsewhere, addrs // one foreign address is enough to know
		}
	}
	switch {
	case err != nil:
		return PointingUnknown, addrs
	case len(addrs) == 0:
		return PointingElsewhere, addrs
	default:
		return PointingAtUs, addrs
	}
}

// containsName reports whether target is one of names; both are canonical
// except for case and a trailing dot, which are ignored.
func containsName(names []string, target string) bool {
	for _, n := range names {
		if strings.EqualFold(strings.TrimSuffix(n, "."), target) {
			return true
		}
	}
	return false
}

// probeLabel returns a fresh random DNS label for wildcard probes: random so
// that no cache, and no customer, can answer it differently from any other
// name under the wildcard.
func probeLabel() string {
	return "portico-probe-" + strings.ToLower(rand.Text()[:16])
}
