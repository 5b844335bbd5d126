package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
)

// DefaultUserAgent is the User-Agent of HTTP token fetches, so that customers
// can recognise them in their logs.
const DefaultUserAgent = "Portico Custom Hostname Verification (+https://github.com/porticohq/portico)"

// Config tunes a Checker. The zero value gives the defaults.
type Config struct {
	// EdgeIPv4 and EdgeIPv6 are the edge's addresses (--edge-ipv4,
	// --edge-ipv6). A name without a CNAME whose A/AAAA records all lie in
	// them points at us. They never prove ownership alone: they are shared by
	// every zone (threat A3).
	EdgeIPv4, EdgeIPv6 []netip.Addr

	// HTTPTimeout bounds one HTTP token fetch, redirects included. Default 5 s.
	HTTPTimeout time.Duration

	// MaxBody is the most bytes of a token response read. A larger body
	// fails the proof. Default 4096.
	MaxBody int64

	// MaxRedirects is how many redirects a token fetch follows. Default 3;
	// negative follows none.
	MaxRedirects int

	// UserAgent is sent with token fetches. Default DefaultUserAgent.
	UserAgent string

	// HTTPPort, when not 0, replaces port 80 in the token URL, and is also
	// allowed as a redirect port. For tests and labs, whose token servers
	// listen on a random loopback port; production leaves it 0.
	HTTPPort int

	// AllowPrivateNetworks lets token fetches reach loopback, private,
	// link-local and other non-public addresses. Default false: the
	// customer's DNS chooses where the fetch goes, and must not be able to
	// aim it at Portico's own network (SSRF). Tests and labs set it.
	AllowPrivateNetworks bool
}

// Checker runs the ownership checks of custom hostnames. It is safe for
// concurrent use.
type Checker struct {
	resolver Resolver
	clock    clock.Clock
	cfg      Config
	edge     map[netip.Addr]bool
	http     *http.Client
	probe    func() string // a fresh label for wildcard probes
}

// NewChecker returns a Checker that looks names up through r (every lookup,
// the HTTP fetch's included) and reads the time from clk.
func NewChecker(r Resolver, clk clock.Clock, cfg Config) (*Checker, error) {
	if r == nil || clk == nil {
		return nil, errors.New("verify: NewChecker needs a resolver and a clock")
	}
	if cfg.HTTPTimeout < 0 || cfg.MaxBody < 0 || cfg.HTTPPort < 0 || cfg.HTTPPort > 65535 {
		return nil, errors.New("verify: negative timeout or body size, or bad port")
	}
	if cfg.HTTPTimeout == 0 {
		cfg.HTTPTimeout = 5 * time.Second
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 4096
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = 3
	} else if cfg.MaxRedirects < 0 {
		cfg.MaxRedirects = 0
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	edge := make(map[netip.Addr]bool)
	for _, a := range cfg.EdgeIPv4 {
		if !a.Unmap().Is4() {
			return nil, fmt.Errorf("verify: edge IPv4 address %s is not IPv4", a)
		}
		edge[a.Unmap()] = true
	}
	for _, a := range cfg.EdgeIPv6 {
		if !a.Is6() || a.Is4In6() {
			return nil, fmt.Errorf("verify: edge IPv6 address %s is not IPv6", a)
		}
		edge[a.WithZone("")] = true
	}
	c := &Checker{resolver: r, clock: clk, cfg: cfg, edge: edge, probe: probeLabel}
	c.http = c.newHTTPClient()
	return c, nil
}

// proof is the result of one method.
type proof struct {
	ok      bool   // the method proved ownership
	unknown bool   // the method could not be checked
	msg     string // plain words when !ok; "" when the method says nothing
}

// apexMessage is Cloudflare's wording for an apex name without a token.
const apexMessage = "None of the A or AAAA records are owned by this account and the pre-generated ownership verification token was not found."

// Check runs the checks for h in zone and reports the verdict. It never
// fails: a lookup that cannot be done makes the Outcome (or Pointing)
// Unknown, with the reason in Errors. ctx bounds the whole check.
//
// The proofs, any one of which suffices: the TXT record (the only one for a
// wildcard: the token at the base says nothing about every name below it
// except through DNS control, the DNS-01 standard); the CNAME chain
// reaching zone.CNAMETarget; the HTTP token. Each proves exactly h.Name and
// nothing above or below it (threat A8). Edge addresses never prove.
func (c *Checker) Check(ctx context.Context, zone core.Zone, h core.Hostname) Result {
	res := Result{CheckedAt: c.clock.Now()}
	base := strings.TrimPrefix(h.Name, "*.")
	wildcard := h.IsWildcard()
	apex := false
	if d, err := dnsname.RegistrableDomain(base); err == nil && d == base {
		apex = !wildcard
	}

	txt := c.checkTXT(ctx, h)
	cname := c.checkPointing(ctx, zone, h, &res)
	if wildcard {
		cname = proof{} // a CNAME says where traffic goes, not who owns every name
	}
	var httpProof proof
	if !wildcard && !txt.ok && !cname.ok {
		httpProof = c.checkHTTP(ctx, h)
	}

	switch {
	case txt.ok:
		res.Outcome, res.Method = Proven, MethodTXT
	case cname.ok:
		res.Outcome, res.Method = Proven, MethodCNAME
	case httpProof.ok:
		res.Outcome, res.Method = Proven, MethodHTTP
	case txt.unknown || cname.unknown || httpProof.unknown:
		res.Outcome = Unknown
	default:
		res.Outcome = NotProven
	}
	res.DNSStatus = dnsStatusOf(res.Outcome)
	if res.Outcome == Proven {
		return res
	}

	switch {
	case wildcard:
		res.Errors = appendMsg(res.Errors, txt.msg)
		res.Errors = append(res.Errors, "a wildcard custom hostname can only be verified with the TXT record "+h.OwnershipTXTName())
	case apex:
		res.Errors = append(res.Errors, apexMessage)
		res.Errors = appendMsg(res.Errors, txt.msg)
		if cname.unknown {
			res.Errors = appendMsg(res.Errors, cname.msg)
		}
		res.Errors = appendMsg(res.Errors, httpProof.msg)
	default:
		res.Errors = appendMsg(res.Errors, cname.msg)
		res.Errors = appendMsg(res.Errors, txt.msg)
		res.Errors = appendMsg(res.Errors, httpProof.msg)
	}
	return res
}

func appendMsg(list []string, msg string) []string {
	if msg == "" {
		return list
	}
	return append(list, msg)
}

// unavailableReason renders a lookup failure in plain words.
func unavailableReason(err error) string {
	var le *LookupError
	if errors.As(err, &le) {
		return le.Reason
	}
	return "the lookup failed"
}
