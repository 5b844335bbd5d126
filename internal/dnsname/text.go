package dnsname

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxInput bounds the raw input before any parsing (R1): far above any valid
// name, low enough that no check below can be made expensive.
const maxInput = 1024

// checkRaw applies R1 (non-empty, bounded, UTF-8), R2 (no whitespace or
// control characters) and R3 (ASCII only) to the raw input.
func checkRaw(input string) *Error {
	if e := checkPrintable(input); e != nil {
		return e
	}
	if !isASCII(input) {
		return nonASCII(input, input)
	}
	return nil
}

// checkPrintable applies R1 and R2, which hostnames and origins share.
func checkPrintable(input string) *Error {
	switch {
	case input == "":
		return newError(input, ReasonEmpty, "enter a hostname such as shop.example.com")
	case len(input) > maxInput:
		return newError(input, ReasonTooLong, "a hostname has at most 253 characters")
	case !utf8.ValidString(input):
		return newError(input, ReasonNonASCIIInvalidIDN, "the input is not valid UTF-8")
	}
	for _, r := range input {
		// Never trim: " shop.x.com" must not become a second spelling of
		// shop.x.com, and a NUL could cut the name short in C code downstream.
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return newError(input, ReasonControlOrSpace, fmt.Sprintf("remove %U; the input is never trimmed", r))
		}
	}
	return nil
}

// nonASCII refuses a name (or the host of an origin) that is not ASCII. The
// hint is the A-label that IDNA2008 registration (non-transitional, so "ß"
// stays "ß") gives for the name, which is what the user should send. We do
// not accept the U-label ourselves because idna's Lookup mapping is lossy
// (U+3002 becomes ".", U+00AD vanishes): the user must see and confirm the
// exact name that will be stored.
func nonASCII(input, name string) *Error {
	name = strings.TrimSuffix(asciiLower(name), ".") // the canonical form has no trailing dot
	prefix := ""
	if strings.HasPrefix(name, "*.") {
		prefix, name = "*.", name[2:]
	}
	a, err := idna.Registration.ToASCII(name)
	if err != nil {
		return newError(input, ReasonNonASCIIInvalidIDN, invalidIDNHint(name))
	}
	return newError(input, ReasonNonASCII, fmt.Sprintf("use the A-label %q", prefix+a))
}

// invalidIDNHint names the kind of character that most often makes a
// pasted name invalid: invisible formatting and look-alike dots.
func invalidIDNHint(name string) string {
	for _, r := range name {
		switch {
		case r == '\u3002' || r == '\uff0e' || r == '\uff61':
			return fmt.Sprintf("replace %U with an ASCII dot", r)
		case unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("remove the invisible character %U", r)
		}
	}
	return "the name is not valid IDNA2008 (lowercase, permitted characters only); enter it in ASCII"
}

// isIPLiteral recognizes an IP address in the forms users paste: bare,
// bracketed, with a zone or a port, after "*." or before one trailing dot.
func isIPLiteral(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "*."), ".")
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if _, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return true
		}
	}
	_, err := netip.ParseAddrPort(s)
	return err == nil
}

// checkChars applies R4: only letters, digits, "-", "." and, for the later
// rules to judge, "*" and "_". Everything else, in particular the pieces of a
// URL, is refused with a hint about what the user probably pasted.
func checkChars(input string) *Error {
	for i := 0; i < len(input); i++ {
		c := input[i]
		if isLDH(c) || c == '.' || c == '*' || c == '_' || c >= 'A' && c <= 'Z' {
			continue
		}
		var hint string
		switch {
		case strings.Contains(input, "://"):
			hint = "enter the hostname only, without a scheme such as https://"
		case c == ':':
			hint = "remove the port; enter the hostname only"
		case c == '@':
			hint = "remove the user name; enter the hostname only"
		case c == '/' || c == '?' || c == '#':
			hint = "remove the path, query or fragment; enter the hostname only"
		case c == '%':
			hint = "percent-encoding is not decoded; enter the plain hostname"
		default:
			hint = fmt.Sprintf("%q is not allowed; use letters, digits, hyphens and dots", c)
		}
		return newError(input, ReasonInvalidChar, hint)
	}
	return nil
}

// checkTrailingDot applies R6. A trailing dot makes a second spelling of the
// same name, so it is refused rather than stripped; the hint gives the
// canonical form when the name without the dot is valid.
func checkTrailingDot(input, name string, p Policy) *Error {
	if !strings.HasSuffix(name, ".") {
		return nil
	}
	hint := "remove the trailing dot"
	// Only one level of recursion: the stripped name must not end in a dot.
	if stripped := name[:len(name)-1]; !strings.HasSuffix(stripped, ".") {
		if n, err := Parse(stripped, p); err == nil {
			hint = fmt.Sprintf("use %q", n.String())
		}
	}
	return newError(input, ReasonTrailingDot, hint)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isLDH reports whether c is a lowercase letter, a digit or a hyphen.
func isLDH(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

// asciiLower lowercases ASCII letters only and leaves every other byte as
// it is; it does not allocate when there is nothing to change.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
