package dnsname

import (
	"fmt"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Limits of R9 and R10.
const (
	maxName   = 253 // RFC 1035: 255 octets on the wire is 253 in text
	maxLabel  = 63
	minLabels = 2  // a single label is a TLD or an intranet name
	maxLabels = 10 // Let's Encrypt's limit, so that issuance cannot fail later
)

// checkWildcard applies R8 and returns the base name (the name without
// "*."). A wildcard is one "*" as the whole leftmost label. Its base must not
// be a public suffix, ICANN or private: "*.co.uk" or "*.github.io" would
// cover names that belong to unrelated owners.
func checkWildcard(input, name string, p Policy) (string, *Error) {
	if !strings.Contains(name, "*") {
		return name, nil
	}
	if !strings.HasPrefix(name, "*.") || strings.Count(name, "*") != 1 {
		return "", newError(input, ReasonBadWildcard, "a wildcard is a single * as the whole leftmost label, as in *.example.com")
	}
	base := name[2:]
	if ps, _ := publicsuffix.PublicSuffix(base); ps == base {
		return "", newError(input, ReasonWildcardOnPublicSuffix,
			fmt.Sprintf("%q is a public suffix; put the wildcard under a registrable name, as in *.shop.%s", clip(base), clip(base)))
	}
	// The zone's setting is checked last so that a malformed wildcard gets
	// the reason that is true whatever the setting.
	if !p.AllowWildcard {
		return "", newError(input, ReasonWildcardNotAllowed, "enable wildcards for the zone, or add each hostname on its own")
	}
	return base, nil
}

// checkLengths applies R9 to the whole name, "*" label included: that is the
// string that goes into a certificate, so it must itself be a valid DNS name.
// This is one label stricter than Boulder, which counts the base only.
func checkLengths(input, name string) *Error {
	if len(name) > maxName {
		return newError(input, ReasonNameTooLong, fmt.Sprintf("the name has %d characters; at most %d are allowed", len(name), maxName))
	}
	n := strings.Count(name, ".") + 1
	if n < minLabels {
		return newError(input, ReasonTooFewLabels, "enter a full name such as shop.example.com")
	}
	if n > maxLabels {
		return newError(input, ReasonTooManyLabels, fmt.Sprintf("the name has %d labels; at most %d are allowed", n, maxLabels))
	}
	return nil
}

// checkLabels applies R10 (label length and hyphens), R11 (no underscores)
// and R12 (R-LDH labels are valid A-labels) to the base name. Each rule is
// applied to all labels before the next rule, so that the first failing rule,
// not the first failing label, decides the reason.
func checkLabels(input, base string) *Error {
	labels := strings.Split(base, ".")
	for _, l := range labels { // R10
		switch {
		case l == "":
			return newError(input, ReasonEmptyLabel, "remove the extra dot; labels are separated by single dots")
		case len(l) > maxLabel:
			return newError(input, ReasonLabelTooLong, fmt.Sprintf("label %q has %d characters; at most %d are allowed", clip(l), len(l), maxLabel))
		case l[0] == '-' || l[len(l)-1] == '-':
			return newError(input, ReasonHyphenEdge, fmt.Sprintf("label %q must start and end with a letter or digit", clip(l)))
		}
	}
	for _, l := range labels { // R11, and the rest of LDH as a backstop to R4
		for i := 0; i < len(l); i++ {
			switch c := l[i]; {
			case c == '_':
				return newError(input, ReasonUnderscore, "underscores are not allowed in certificate names (CA/B Forum ballot SC12)")
			case !isLDH(c):
				return newError(input, ReasonInvalidChar, fmt.Sprintf("%q is not allowed; use letters, digits, hyphens and dots", c))
			}
		}
	}
	return checkALabels(input, base, labels) // R12
}

// checkALabels applies R12. "??--" is reserved for IDNA; only "xn--" is in
// use, and an xn-- label must be exactly what IDNA2008 registration would
// produce: Punycode that decodes to NFC text of permitted characters (joiner
// and bidi rules included), and that encodes back to the same label. Without
// the round trip, two different A-labels could display as the same name.
func checkALabels(input, base string, labels []string) *Error {
	hasA := false
	for _, l := range labels {
		if len(l) >= 4 && l[2] == '-' && l[3] == '-' {
			if !strings.HasPrefix(l, "xn--") {
				return newError(input, ReasonReservedLDH, fmt.Sprintf("label %q: only xn-- may have hyphens in the third and fourth positions", clip(l)))
			}
			hasA = true
		}
	}
	if !hasA {
		return nil
	}
	// The whole name is validated at once: the bidi rule (RFC 5893) applies
	// to every label of a name that has any right-to-left label.
	u, err := idna.Registration.ToUnicode(base)
	if err == nil {
		var a string
		if a, err = idna.Registration.ToASCII(u); err == nil && a != base {
			err = fmt.Errorf("round trip gives %q", a)
		}
	}
	if err != nil {
		return newError(input, ReasonBadPunycode, "each xn-- label must be the exact IDNA2008 A-label of a valid name; copy it from idna or a registrar")
	}
	return nil
}
