package dnsname

import "strings"

// NormalizeHost turns a Host header or TLS SNI value into the form routing
// looks up: ASCII-lowercased, without a ":port" (a bracketed IPv6 literal
// loses its brackets) and without one trailing dot, so "SHOP.x.com.:443"
// becomes "shop.x.com". It does not validate: a value that is not a
// canonical name simply matches no route. It never allocates when the value
// is already normal, since it runs on every request and handshake.
//
// A port is stripped only when it is all digits: "shop.x.com:evil" is left
// as it is and routes nowhere, rather than to shop.x.com.
func NormalizeHost(hostOrSNI string) string {
	h := hostOrSNI
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end > 0 && (end == len(h)-1 || h[end+1] == ':' && allDigits(h[end+2:])) {
			return asciiLower(h[1:end])
		}
		return asciiLower(h)
	}
	// Exactly one colon: host:port. More than one is a bare IPv6 address
	// (never valid in Host, but no reason to mangle it).
	if i := strings.IndexByte(h, ':'); i >= 0 && strings.LastIndexByte(h, ':') == i && allDigits(h[i+1:]) {
		h = h[:i]
	}
	return asciiLower(strings.TrimSuffix(h, "."))
}
