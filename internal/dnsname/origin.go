package dnsname

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Origin is where the edge sends a hostname's traffic (a fallback or custom
// origin). Scheme is "", "http" or "https" ("" lets the caller choose);
// Host is a lowercase hostname or an IP literal (IPv6 without brackets);
// Port is "" or a decimal port from 1 to 65535.
type Origin struct {
	Scheme, Host, Port string
}

// String returns the origin in the form ParseOrigin reads back to the same
// value: "https://origin.example.com:8443", "origin.example.com",
// "[2001:db8::1]:8443". An IPv6 host is always bracketed, since ParseOrigin
// refuses a bare one.
func (o Origin) String() string {
	h := o.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if o.Port != "" {
		h += ":" + o.Port
	}
	if o.Scheme != "" {
		return o.Scheme + "://" + h
	}
	return h
}

// ParseOrigin reads host, host:port, http(s)://host[:port], an IPv4
// address, [IPv6] or [IPv6]:port. It refuses paths, queries, fragments,
// user info, other schemes, ports outside 1–65535, whitespace and control
// characters, and hosts that are not LDH hostnames (labels of 1–63 octets,
// at most 253 in all, no underscores, no all-digit last label). Scheme and
// host are lowercased; an IPv6 host is written in its canonical form. The
// error is an *Error.
//
// It does not decide whether an address may be used: refusing loopback or
// private addresses is the caller's policy.
func ParseOrigin(s string) (Origin, error) {
	if e := checkPrintable(s); e != nil {
		return Origin{}, e
	}
	var o Origin
	rest := s
	if i := strings.Index(s, "://"); i >= 0 {
		o.Scheme = asciiLower(s[:i])
		if o.Scheme != "http" && o.Scheme != "https" {
			return Origin{}, newError(s, ReasonBadScheme, "use http:// or https://, or give the host alone")
		}
		rest = s[i+3:]
	}
	if i := strings.IndexAny(rest, "@/?#\\"); i >= 0 {
		hint := "remove the path, query or fragment; an origin is a host and an optional port"
		if rest[i] == '@' {
			hint = "remove the user info; credentials do not belong in an origin"
		}
		return Origin{}, newError(s, ReasonInvalidChar, hint)
	}
	host, port, e := splitOrigin(s, rest)
	if e != nil {
		return Origin{}, e
	}
	if port != "" || strings.HasSuffix(rest, ":") {
		if e := checkPort(s, port); e != nil {
			return Origin{}, e
		}
	}
	o.Host, o.Port = host, port
	return o, nil
}

// splitOrigin separates host and port and validates the host.
func splitOrigin(s, rest string) (host, port string, _ *Error) {
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", newError(s, ReasonInvalidHostname, `close the IPv6 address with "]"`)
		}
		after := rest[end+1:]
		switch {
		case after == "":
		case after[0] == ':':
			port = after[1:]
		default:
			return "", "", newError(s, ReasonInvalidChar, `only ":port" may follow "]"`)
		}
		a, err := netip.ParseAddr(rest[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", "", newError(s, ReasonInvalidHostname, "brackets must hold an IPv6 address without a zone")
		}
		return a.String(), port, nil
	}
	host = rest
	switch strings.Count(rest, ":") {
	case 0:
	case 1:
		host, port, _ = strings.Cut(rest, ":")
	default:
		if a, err := netip.ParseAddr(rest); err == nil && a.Is6() {
			// Bare "2001:db8::1:8443" is ambiguous; brackets settle it.
			return "", "", newError(s, ReasonInvalidHostname, fmt.Sprintf("put an IPv6 address in brackets: %q", "["+a.String()+"]"))
		}
		return "", "", newError(s, ReasonInvalidChar, `only one ":" may separate host and port; bracket IPv6 addresses`)
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return a.String(), port, nil
	}
	if e := checkOriginHost(s, host); e != nil {
		return "", "", e
	}
	return asciiLower(host), port, nil
}

// checkOriginHost checks that host is an LDH hostname. It is looser than
// Parse (an origin may be a single label such as "backend", or sit under any
// TLD of a private network) but refuses what a dialer or a certificate
// check could read two ways.
func checkOriginHost(s, host string) *Error {
	if host == "" {
		return newError(s, ReasonInvalidHostname, "the host is missing")
	}
	if !isASCII(host) {
		return nonASCII(s, host)
	}
	h := asciiLower(host)
	if strings.HasSuffix(h, ".") {
		return newError(s, ReasonInvalidHostname, "remove the trailing dot")
	}
	if len(h) > maxName {
		return newError(s, ReasonInvalidHostname, fmt.Sprintf("the host has %d characters; at most %d are allowed", len(h), maxName))
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		switch {
		case l == "":
			return newError(s, ReasonInvalidHostname, "remove the extra dot; labels are separated by single dots")
		case len(l) > maxLabel:
			return newError(s, ReasonInvalidHostname, fmt.Sprintf("label %q is longer than %d characters", clip(l), maxLabel))
		case l[0] == '-' || l[len(l)-1] == '-':
			return newError(s, ReasonInvalidHostname, fmt.Sprintf("label %q must start and end with a letter or digit", clip(l)))
		}
		for i := 0; i < len(l); i++ {
			switch c := l[i]; {
			case c == '_':
				return newError(s, ReasonInvalidHostname, "underscores are not allowed in hostnames")
			case !isLDH(c):
				return newError(s, ReasonInvalidChar, fmt.Sprintf("%q is not allowed in a hostname", c))
			}
		}
	}
	// Resolvers built on inet_aton read "127.1" or "2130706433" as
	// addresses; an all-digit last label is never a name (RFC 3696 §2).
	if allDigits(labels[len(labels)-1]) {
		return newError(s, ReasonInvalidHostname, "give an IPv4 address as four decimal numbers, as in 192.0.2.1")
	}
	return nil
}

// checkPort accepts 1–65535 in plain decimal; leading zeros are refused so
// that each port has one spelling.
func checkPort(s, port string) *Error {
	n, err := strconv.Atoi(port)
	if err != nil || !allDigits(port) || port[0] == '0' || n < 1 || n > 65535 {
		return newError(s, ReasonBadPort, "use a port from 1 to 65535")
	}
	return nil
}
