package dnsname

import (
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// checkSuffix applies R13–R16 to the base name: the name's place in the DNS
// rather than its spelling.
func checkSuffix(input, base string, p Policy) *Error {
	tld := base[strings.LastIndexByte(base, '.')+1:]
	if isReservedTLD(tld) { // R14's TLD half, before R13: see the package doc
		return newError(input, ReasonReservedTLD, fmt.Sprintf(".%s is reserved and never resolves on the public internet", tld))
	}
	if !isICANNTLD(tld) { // R13
		return newError(input, ReasonUnknownTLD, fmt.Sprintf(".%s is not a top-level domain in the public suffix list", clip(tld)))
	}
	for _, d := range [...]string{"example.com", "example.net", "example.org"} { // R14
		if under(base, d) {
			return newError(input, ReasonReservedDomain, fmt.Sprintf("names under %s are reserved for documentation (RFC 2606)", d))
		}
	}
	if ps, _ := publicsuffix.PublicSuffix(base); ps == base { // R15
		return newError(input, ReasonIsPublicSuffix, fmt.Sprintf("%q is a public suffix that anyone can register under; add the name registered under it", clip(base)))
	}
	for _, d := range p.ProviderDomains { // R16
		// Tolerate a provider domain written in another case or with a
		// trailing dot: config mistakes must not open the provider's zone.
		d = strings.TrimSuffix(asciiLower(d), ".")
		if d != "" && under(base, d) {
			return newError(input, ReasonProviderZone, "this name belongs to the service provider and cannot be added as a custom hostname")
		}
	}
	return nil
}

// isReservedTLD reports the special-use TLDs of R14 (RFC 2606, 6761, 6762,
// 7686, 9476, ICANN's .internal) and .arpa, which holds infrastructure
// names such as home.arpa.
func isReservedTLD(tld string) bool {
	switch tld {
	case "test", "example", "invalid", "localhost", "local", "internal", "onion", "alt", "arpa":
		return true
	}
	return false
}

// isICANNTLD applies R13. x/net's PublicSuffix accepts any TLD through the
// implicit "*" rule, reporting icann=false, so the ICANN flag must be tested.
// It is tested on a child of the TLD, not the TLD alone: for TLDs listed only
// through a wildcard rule ("*.ck", "*.er", "*.jm", ...) PublicSuffix reports
// icann=false for the bare TLD. No PSL rule can name the child "-" (it is not
// a valid label), so the answer is the TLD's own.
func isICANNTLD(tld string) bool {
	if allDigits(tld) { // RFC 3696 §2; "127.1" must not pass as a name
		return false
	}
	_, icann := publicsuffix.PublicSuffix("-." + tld)
	return icann
}

// RegistrableDomain returns the eTLD+1 of name (a canonical name, as
// Parse returns it): the public suffix, ICANN or private, plus one label. It
// groups names by owner, as CA rate limits do, so "a.myshop.github.io" gives
// "myshop.github.io". A leading "*." is ignored and ASCII case is folded;
// nothing else is validated. The error is an *Error.
func RegistrableDomain(name string) (string, error) {
	n := strings.TrimPrefix(asciiLower(name), "*.")
	switch {
	case n == "":
		return "", newError(name, ReasonEmpty, "")
	case strings.HasSuffix(n, "."):
		return "", newError(name, ReasonTrailingDot, "remove the trailing dot")
	case strings.HasPrefix(n, ".") || strings.Contains(n, ".."):
		return "", newError(name, ReasonEmptyLabel, "")
	case isIPLiteral(n):
		return "", newError(name, ReasonIPLiteral, "an IP address has no registrable domain")
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(n)
	if err != nil {
		return "", newError(name, ReasonIsPublicSuffix, "a public suffix has no registrable domain")
	}
	return d, nil
}

// under reports whether name is d or a subdomain of d.
func under(name, d string) bool {
	return name == d || strings.HasSuffix(name, "."+d)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
