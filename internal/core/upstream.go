package core

import "time"

// Upstream is a named origin of a zone: the server a SaaS Custom Domains
// "upstream" forwards a custom domain's traffic to. A custom hostname bound
// to an upstream (see CustomDomain) is proxied there by the edge.
type Upstream struct {
	ID     string // 36-character UUID; the dialect shows it as "upstream_<32 hex>"
	ZoneID string
	// Host is the origin's host name (canonical, as package dnsname
	// produces it) or IP literal, without scheme or port.
	Host string
	Port int  // 1–65535
	TLS  bool // speak HTTPS to the origin (certificate verified), else HTTP
	// PrependPath is prefixed to every request path sent upstream: "" or a
	// clean absolute path without a trailing slash ("/app").
	PrependPath string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ChallengeType is how a custom domain's certificate is validated, in the
// SaaS Custom Domains vocabulary. It is the hostname's ssl.method seen
// through that dialect: http01 is DCVHTTP, dns01 is DCVTXT (DNS-01, through
// the DCV delegation record when Portico has a DCV zone).
type ChallengeType string

// The challenge types.
const (
	ChallengeHTTP01 ChallengeType = "http01"
	ChallengeDNS01  ChallengeType = "dns01"
)

// ChallengeTypeOf returns the challenge type of a certificate validation
// method.
func ChallengeTypeOf(m DCVMethod) ChallengeType {
	if m == DCVTXT {
		return ChallengeDNS01
	}
	return ChallengeHTTP01
}

// Method returns the certificate validation method of a challenge type.
func (c ChallengeType) Method() DCVMethod {
	if c == ChallengeDNS01 {
		return DCVTXT
	}
	return DCVHTTP
}

// CustomDomain is what the SaaS Custom Domains dialect keeps about a custom
// hostname beyond the hostname itself: the upstream it routes to, its
// options, and its instruction email. It is keyed by the hostname's id, and
// goes when the hostname goes. A hostname created through the Cloudflare
// dialect has none.
type CustomDomain struct {
	HostnameID string
	ZoneID     string
	UpstreamID string
	// RedirectToWWW makes the edge answer every request for the hostname
	// with a redirect to "www.<name>", which a second hostname (the
	// companion, WWWHostnameID) serves from the same upstream.
	RedirectToWWW bool
	// WWWHostnameID is the companion of a domain that redirects to www;
	// "" otherwise. The store derives it from the companion's ApexHostnameID.
	WWWHostnameID string
	// ApexHostnameID is set on a companion: the domain whose visitors it
	// receives. "" for every other domain (and for a companion whose apex
	// was deleted through the other dialect: it is then a domain of its own).
	ApexHostnameID string
	// InstructionsRecipient is the address the DNS instructions are mailed
	// to; "" when none were asked for.
	InstructionsRecipient string
	// InstructionsEmailSentAt is when the SMTP server accepted that email;
	// zero until then.
	InstructionsEmailSentAt time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
}
