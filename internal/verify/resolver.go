package verify

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
)

// Resolver is the DNS that verification sees. It is defined here, where it is
// consumed; DNSResolver is the implementation over real DNS servers, and tests
// point that at a dnstest server rather than faking this interface.
//
// The contract every implementation keeps:
//
//   - Names are canonical hostnames (lowercase, no trailing dot), as package
//     dnsname produces; results use the same form.
//   - "Not there" is a normal answer, not an error: NXDOMAIN and NODATA both
//     give an empty result and a nil error. Verification treats them as the
//     customer's DNS saying no.
//   - "Could not check" is an error wrapping ErrUnavailable: SERVFAIL,
//     REFUSED, any other failure code, a timeout, a network error, a bogus
//     response, a cancelled ctx. Callers MUST NOT read it as "not there": it
//     never moves or deletes anything (threats A6, F7).
//   - CNAMEs are followed, with a bound and loop detection. A loop or an
//     over-long chain is a definite answer that cannot be used, reported as
//     ErrCNAMELoop or ErrCNAMEChainTooLong (not ErrUnavailable).
//   - Only records owned by the queried name or by a name of its CNAME chain
//     are believed; anything else a server volunteers is ignored.
//   - Methods honour ctx cancellation and deadlines and are safe for
//     concurrent use.
type Resolver interface {
	// LookupTXT returns the TXT records at name (after its CNAME chain), one
	// string per record: the record's character-strings joined without a
	// separator, since DNS splits long values into 255-byte pieces.
	LookupTXT(ctx context.Context, name string) ([]string, error)

	// LookupCNAMEChain returns the names name is an alias of, in order:
	// chain[0] is name's CNAME target, the last element the canonical name.
	// An empty chain means name has no CNAME (it holds records itself, or
	// does not exist). With ErrCNAMELoop or ErrCNAMEChainTooLong, chain holds
	// the names seen before giving up.
	LookupCNAMEChain(ctx context.Context, name string) (chain []string, err error)

	// LookupAddrs returns the A and AAAA addresses of name (after its CNAME
	// chain), IPv4 first. When one of the two lookups fails it returns the
	// other's addresses with the error, so a dialer can still use them while
	// a check that needs all of them knows it has not seen all.
	LookupAddrs(ctx context.Context, name string) ([]netip.Addr, error)
}

// ErrUnavailable marks a lookup that could not be done: the answer is
// unknown, not negative. Test for it with errors.Is.
var ErrUnavailable = errors.New("DNS lookup could not be completed")

// ErrCNAMELoop reports a CNAME chain that comes back to a name already in it.
var ErrCNAMELoop = errors.New("CNAME chain loops")

// ErrCNAMEChainTooLong reports a CNAME chain longer than the resolver follows.
var ErrCNAMEChainTooLong = errors.New("CNAME chain too long")

// LookupError is a lookup that could not be done. It wraps ErrUnavailable
// and the underlying cause. Reason is short plain words for a customer
// ("the DNS server answered SERVFAIL", "timed out"); Error adds the cause for
// logs.
type LookupError struct {
	Name   string // the name asked about
	Type   string // "TXT", "CNAME", "A", "AAAA"
	Reason string
	Err    error // the cause; may be nil
}

// Error describes the failure with its cause, for logs.
func (e *LookupError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("looking up %s %s: %s: %v", e.Type, e.Name, e.Reason, e.Err)
	}
	return fmt.Sprintf("looking up %s %s: %s", e.Type, e.Name, e.Reason)
}

// Unwrap returns ErrUnavailable and the cause, so errors.Is finds both.
func (e *LookupError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrUnavailable}
	}
	return []error{ErrUnavailable, e.Err}
}
