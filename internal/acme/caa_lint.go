package acme

import (
	"context"
	"errors"
)

// CAAAllows reports whether the CAA records that govern name ("*.base" for
// a wildcard) let a CA known by identities (its issuer domain names, e.g.
// "letsencrypt.org", as in its directory's meta.caaIdentities) issue for it,
// with the same rules as the preflight check before every order (RFC 8659
// tree climbing, issue/issuewild, critical flags, and the RFC 8657
// accounturi and validationmethods parameters, matched against accountURL
// and method, "http-01" or "dns-01").
//
// It is for checks made outside an order, such as `portico doctor`, which
// have no Issuer: an accountURL of "" matches no accounturi parameter, which
// is right before the account exists (its URL cannot be known yet).
//
// The result is nil when issuance is allowed (no CAA record at all
// included), an error for which IsCAAForbidden is true when it is not, and
// any other error when a lookup could not be done.
func CAAAllows(ctx context.Context, r CAAResolver, name string, identities []string, accountURL, method string) error {
	return checkCAA(ctx, r, name, identities, accountURL, method)
}

// IsCAAForbidden reports whether err (from CAAAllows or Issuer.CheckCAA)
// says that CAA records forbid the CA, as opposed to a lookup failure.
func IsCAAForbidden(err error) bool {
	var f *caaForbidden
	return errors.As(err, &f)
}
