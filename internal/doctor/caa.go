package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/config"
)

// checkCAA asks whether the CAA records a customer's hostname inherits
// through its CNAME let each configured CA issue for it, with the ACME
// engine's own evaluation (acme.CAAAllows) and this Portico's account URL
// when it has one.
//
// A CA looks up CAA at the name it certifies, following CNAMEs, and then
// climbs that name's parents (RFC 8659 section 3): for
// shop.example-customer.com CNAME customers.saasprovider.com with no CAA of
// its own, the records at customers.saasprovider.com (or at the end of its
// CNAME chain) decide, and then those of example-customer.com, never those
// of saasprovider.com. So the target is checked on its own (exactCAA), and
// the DCV zone not at all: CAA is never looked up where a challenge record
// lives, only for the name being certified.
func (r *run) checkCAA(ctx context.Context) {
	if r.cfg.Certs.EffectiveIssuer() == config.IssuerInternal {
		r.ok("caa", "", "not checked: the internal CA does not read CAA records")
		return
	}
	if r.caa == nil || r.store == nil {
		return
	}
	for _, ca := range r.cas {
		if !ca.reached || len(ca.identities) == 0 {
			continue // the acme_directory check said so
		}
		acct := r.accounts[ca.name].URL
		ids := strings.Join(ca.identities, " or ")
		for _, target := range r.targets() {
			subject := target + " (" + ca.name + ")"
			pctx, cancel := r.probe(ctx)
			err := acme.CAAAllows(pctx, exactCAA{r.caa, target}, target, ca.identities, acct, "http-01")
			cancel()
			switch {
			case err == nil:
				r.ok("caa", subject, "allows "+ids+" for the hostnames that CNAME here (or has no CAA records)")
			case acme.IsCAAForbidden(err):
				r.fail("caa", subject, fmt.Sprintf("its CAA records do not allow %s (by HTTP-01, for this Portico's account): customers' hostnames that CNAME here and have no CAA records of their own inherit them, so the CA refuses their certificates",
					ids), fmt.Sprintf(`allow the CA there, e.g. %s CAA 0 issue "%s", or remove the CAA records at %s; an accounturi parameter must name this Portico's account`,
					target, ca.identities[0], target))
			default:
				r.warn("caa", subject, "could not be checked: "+err.Error(),
					"CAs refuse to issue while CAA lookups fail: check the DNS servers of "+target)
			}
		}
	}
}

// exactCAA is a CAAResolver that answers only for one name, and no records
// for its parents: the CAA records a name inherits through a CNAME are
// those at the target (and its chain), not the target's parents'.
type exactCAA struct {
	acme.CAAResolver
	name string
}

func (e exactCAA) LookupCAA(ctx context.Context, name string) ([]acme.CAA, error) {
	if name != e.name {
		return nil, nil
	}
	return e.CAAResolver.LookupCAA(ctx, name)
}
