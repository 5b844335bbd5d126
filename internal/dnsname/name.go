package dnsname

import "strings"

// Name is a hostname that passed Parse. Its zero value is the empty name,
// which Parse never returns.
type Name struct {
	s string // canonical: lowercase ASCII, A-labels, no trailing dot; "*.base" for a wildcard
}

// String returns the canonical form, the key for uniqueness and storage.
func (n Name) String() string { return n.s }

// IsWildcard reports whether the name is "*.base".
func (n Name) IsWildcard() bool { return strings.HasPrefix(n.s, "*.") }

// Base returns the name without its "*." wildcard label; for a name that is
// not a wildcard it is the name itself.
func (n Name) Base() string { return strings.TrimPrefix(n.s, "*.") }

// Policy is what Parse needs to know about the zone a name is added to. The
// zero value refuses wildcards and knows no provider domains.
type Policy struct {
	// AllowWildcard admits "*.base" names. The zone must opt in because a
	// wildcard can only be validated by DNS-01. False: reason wildcard_not_allowed.
	AllowWildcard bool

	// ProviderDomains are the provider's own zones (API host, CNAME target
	// zone, DCV zone), as canonical names. A name equal to or under any of
	// them is refused (reason provider_zone), so a tenant cannot claim the
	// provider's names.
	ProviderDomains []string
}

// Parse validates a custom hostname and returns its canonical form. It
// applies rules R1–R16 of the threat model in order and reports the first
// failure as an *Error. Input is never trimmed or mapped, only
// ASCII-lowercased: a name that needs any other change is refused, with the
// name to use instead in the Hint where one exists.
func Parse(input string, p Policy) (Name, error) {
	if e := checkRaw(input); e != nil { // R1–R3
		return Name{}, e
	}
	if isIPLiteral(input) { // R7, before R4: see the package doc
		return Name{}, newError(input, ReasonIPLiteral, "enter a DNS name; IP addresses cannot be custom hostnames")
	}
	if e := checkChars(input); e != nil { // R4
		return Name{}, e
	}
	// R5: the only silent change.
	name := asciiLower(input)
	if e := checkTrailingDot(input, name, p); e != nil { // R6
		return Name{}, e
	}
	base, e := checkWildcard(input, name, p) // R8
	if e != nil {
		return Name{}, e
	}
	if e := checkLengths(input, name); e != nil { // R9
		return Name{}, e
	}
	if e := checkLabels(input, base); e != nil { // R10–R12
		return Name{}, e
	}
	if e := checkSuffix(input, base, p); e != nil { // R13–R16
		return Name{}, e
	}
	return Name{s: name}, nil
}
