package acme

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// CAA is one CAA record (RFC 8659).
type CAA struct {
	Flag  uint8  // 128 marks the record critical
	Tag   string // "issue", "issuewild", "iodef", ...
	Value string // e.g. "letsencrypt.org; accounturi=https://..."
}

// CAAResolver looks up CAA records for the preflight check.
//
// LookupCAA returns the CAA records at name, a canonical name (lowercase,
// no trailing dot), after following name's CNAME chain. A name that does
// not exist or holds no CAA gives no records and a nil error. A lookup that
// could not be done (SERVFAIL, timeout, network error) MUST be an error:
// CAs treat it as forbidding issuance, so the engine postpones instead of
// placing an order that would fail (threat model B11). Implementations
// MUST be safe for concurrent use and honour ctx.
type CAAResolver interface {
	LookupCAA(ctx context.Context, name string) ([]CAA, error)
}

// ReasonCAAForbids starts the validation error of an Issuance whose CAA
// records do not allow its CA.
const ReasonCAAForbids = "caa_forbids"

// caaForbidden is the outcome of a CAA check that forbids issuance.
type caaForbidden struct {
	Name     string // the identifier
	At       string // the name whose CAA records decided
	Identity string // the CA's identity, for the message
}

func (e *caaForbidden) Error() string {
	return fmt.Sprintf("%s: the CAA records of %s do not allow %s to issue a certificate for %s",
		ReasonCAAForbids, e.At, e.Identity, e.Name)
}

// caaLookupError is a CAA lookup that could not be done.
type caaLookupError struct {
	Name string
	Err  error
}

func (e *caaLookupError) Error() string {
	return fmt.Sprintf("looking up CAA for %s: %v", e.Name, e.Err)
}
func (e *caaLookupError) Unwrap() error { return e.Err }

// caaTags are the property tags RFC 8659 and its companions define; an
// unknown tag marked critical forbids issuance.
var caaTags = []string{"issue", "issuewild", "iodef", "issuemail", "issuevmc", "contactemail", "contactphone"}

// checkCAA checks name ("*.base" for a wildcard) against the CAA records
// closest to it (RFC 8659 section 3): identities are the CA's issuer domain
// names, accountURL and method ("http-01", "dns-01") are matched against
// the accounturi and validationmethods parameters (RFC 8657). It returns
// nil, a *caaForbidden, or a *caaLookupError.
func checkCAA(ctx context.Context, r CAAResolver, name string, identities []string, accountURL, method string) error {
	base, wildcard := strings.CutPrefix(name, "*.")
	var (
		set []CAA
		at  string
	)
	for x := base; x != ""; x = parentName(x) {
		recs, err := r.LookupCAA(ctx, x)
		if err != nil {
			return &caaLookupError{Name: x, Err: err}
		}
		if len(recs) > 0 {
			set, at = recs, x
			break
		}
	}
	if len(set) == 0 {
		return nil
	}
	forbidden := &caaForbidden{Name: name, At: at, Identity: strings.Join(identities, " or ")}
	var issue, issueWild []CAA
	for _, rec := range set {
		tag := strings.ToLower(rec.Tag)
		if rec.Flag&128 != 0 && !slices.Contains(caaTags, tag) {
			return forbidden
		}
		switch tag {
		case "issue":
			issue = append(issue, rec)
		case "issuewild":
			issueWild = append(issueWild, rec)
		}
	}
	relevant := issue
	if wildcard && len(issueWild) > 0 {
		relevant = issueWild
	}
	if len(relevant) == 0 {
		return nil // only iodef and the like: anyone may issue
	}
	for _, rec := range relevant {
		if caaPermits(rec.Value, identities, accountURL, method) {
			return nil
		}
	}
	return forbidden
}

// caaPermits reports whether one issue/issuewild value authorizes the CA.
func caaPermits(value string, identities []string, accountURL, method string) bool {
	parts := strings.Split(value, ";")
	issuer := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(parts[0]), "."))
	if issuer == "" || !slices.ContainsFunc(identities, func(id string) bool { return strings.EqualFold(id, issuer) }) {
		return false
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch k {
		case "accounturi":
			if v != accountURL {
				return false
			}
		case "validationmethods":
			if !slices.ContainsFunc(strings.Split(v, ","), func(m string) bool { return strings.TrimSpace(m) == method }) {
				return false
			}
		}
	}
	return true
}

// parentName returns the name one label up, or "" above a TLD: CAA is not
// looked up at the root.
func parentName(name string) string {
	_, rest, ok := strings.Cut(name, ".")
	if !ok {
		return ""
	}
	return rest
}
