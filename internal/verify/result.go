package verify

import (
	"net/netip"
	"time"
)

// Outcome is the verdict of one ownership check.
type Outcome int

// The outcomes. The zero value is Unknown so that a Result nobody filled in
// can never activate, move or delete a hostname.
const (
	// Unknown: a lookup needed for a verdict could not be done (SERVFAIL,
	// timeout, network) and no other proof succeeded. Nothing may change.
	Unknown Outcome = iota
	// NotProven: every lookup was answered, and none proved ownership.
	NotProven
	// Proven: at least one proof succeeded; Result.Method says which.
	Proven
)

// String returns "proven", "not_proven" or "unknown", for logs.
func (o Outcome) String() string {
	switch o {
	case Proven:
		return "proven"
	case NotProven:
		return "not_proven"
	default:
		return "unknown"
	}
}

// Method is the proof that activated a hostname.
type Method string

// The proof methods, in the order Check tries them.
const (
	MethodTXT   Method = "txt"   // _cf-custom-hostname.<host> TXT equals the ownership token
	MethodCNAME Method = "cname" // the CNAME chain reaches the zone's CNAME target ("real-time")
	MethodHTTP  Method = "http"  // the token URL serves the ownership token
)

// Pointing says whether the hostname's DNS sends traffic to this zone now.
type Pointing int

// The pointing states. The zero value is PointingUnknown so that an unfilled
// Result never reads as "the customer left".
const (
	// PointingUnknown: the lookups that decide it could not be done.
	PointingUnknown Pointing = iota
	// PointingElsewhere: the DNS answered, and it does not point here: no
	// CNAME to this zone's target, and (without a CNAME) not only edge
	// addresses.
	PointingElsewhere
	// PointingAtUs: the CNAME chain reaches the zone's target, or the name
	// has no CNAME and all its A/AAAA records are edge addresses.
	PointingAtUs
)

// String returns "at_us", "elsewhere" or "unknown", for logs.
func (p Pointing) String() string {
	switch p {
	case PointingAtUs:
		return "at_us"
	case PointingElsewhere:
		return "elsewhere"
	default:
		return "unknown"
	}
}

// DNSStatus is the verify_dns_records status of the SaaS Custom Domains API:
// "valid" (the required records were found), "pending" (the check has not
// finished: here, it could not be done and will be retried) and "invalid"
// (the records were not found; checks continue).
type DNSStatus string

// The DNS statuses.
const (
	DNSValid   DNSStatus = "valid"
	DNSPending DNSStatus = "pending"
	DNSInvalid DNSStatus = "invalid"
)

// Result is what one check found. It holds no secret: the ownership token is
// never copied into it, so it is safe to log and to store.
type Result struct {
	Outcome Outcome
	// Method is the proof that succeeded; "" unless Outcome is Proven.
	Method Method
	// Pointing says whether DNS sends the hostname's traffic to this zone.
	// The scheduler uses it to notice a customer leaving (Decide).
	Pointing Pointing
	// DNSStatus is Outcome in the SaaS Custom Domains vocabulary.
	DNSStatus DNSStatus
	// Errors say in plain words what was found and what was expected, for
	// the hostname's verification_errors. Empty when Outcome is Proven.
	Errors []string
	// CheckedAt is when the check started (last_dns_check_at).
	CheckedAt time.Time
	// CNAMEChain is the hostname's CNAME chain as found (for a wildcard,
	// that of a random name under its base); for logs and the dashboard.
	CNAMEChain []string
	// Addrs are the A/AAAA addresses looked up to decide Pointing, if any.
	Addrs []netip.Addr
}

// dnsStatusOf maps an outcome to the SaaS Custom Domains status.
func dnsStatusOf(o Outcome) DNSStatus {
	switch o {
	case Proven:
		return DNSValid
	case NotProven:
		return DNSInvalid
	default:
		return DNSPending
	}
}
