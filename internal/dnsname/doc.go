// Package dnsname turns untrusted input into normalized hostname and origin
// values. Every custom hostname enters Portico through Parse, so later code
// (store, ACME, edge) never re-checks strings: a Name is valid by construction.
//
// The principle is "normalize only what is lossless, reject everything else
// with a reason and a hint". ASCII lowercasing is the only silent change.
// Anything else a browser or resolver might map (IDNA mappings, a trailing
// dot, surrounding spaces) is refused, because a silent mapping is how two
// spellings come to claim, route or issue for one name.
//
// Parse applies rules R1–R16 of the threat model (section 3) in order, and the
// first failure wins, with two exceptions that make the reason more specific:
// an IP literal is recognized before the character check (R7 before R4; an
// IPv6 literal is made of characters R4 refuses), and reserved TLDs are
// recognized before unknown ones (the TLD half of R14 before R13; "test" and
// "internal" are not in the public suffix list, so R13 would otherwise report
// them as unknown).
//
// Each refusal is an *Error whose Reason is one of the Reason constants, the
// machine code the API layer maps to its own error codes.
//
// The package imports only the standard library and golang.org/x/net's idna
// and publicsuffix. The public suffix list is the one compiled into x/net, so
// updating x/net updates the list.
package dnsname
