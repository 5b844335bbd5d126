package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Dialer opens TCP connections to host names resolved through a Resolver,
// never through the system resolver, so that --resolver governs HTTP fetches
// as it governs lookups. The connection goes to an address the Resolver
// returned (the host is resolved once per dial and the IP dialed directly),
// so nothing between the check and the connection can re-resolve the name.
// Use its DialContext as http.Transport.DialContext.
type Dialer struct {
	// Resolver resolves host names. Required.
	Resolver Resolver

	// Allow, when set, is asked about every address before it is dialed;
	// refused addresses are skipped. Verification uses it to keep customer
	// DNS from steering fetches into private networks (see PublicAddr).
	Allow func(netip.Addr) bool

	// Net dials the chosen addresses. Its zero value is fine; set its
	// Timeout to bound each connection attempt.
	Net net.Dialer
}

// ErrAddrNotAllowed is returned when every address of a host is refused by
// Dialer.Allow.
var ErrAddrNotAllowed = errors.New("address not allowed")

// ErrNoAddrs is returned when a host has no A or AAAA records.
var ErrNoAddrs = errors.New("no A or AAAA records")

// DialContext connects to address ("host:port") over network ("tcp",
// "tcp4" or "tcp6"). A host that is an IP literal is dialed as it is, still
// subject to Allow. The addresses are tried in the order the Resolver gave
// them until one connects. When the lookup could not be done and gave no
// address, the error wraps ErrUnavailable.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("dialing %s: network %q not supported", address, network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", address, err)
	}
	var addrs []netip.Addr
	var lookupErr error
	if ip, perr := netip.ParseAddr(host); perr == nil {
		addrs = []netip.Addr{ip.Unmap()}
	} else {
		addrs, lookupErr = d.Resolver.LookupAddrs(ctx, host)
		if len(addrs) == 0 {
			if lookupErr != nil {
				return nil, fmt.Errorf("dialing %s: %w", address, lookupErr)
			}
			return nil, fmt.Errorf("dialing %s: %w", address, ErrNoAddrs)
		}
	}
	var lastErr error
	tried := 0
	for _, a := range addrs {
		if network == "tcp4" && !a.Is4() || network == "tcp6" && !a.Is6() {
			continue
		}
		if d.Allow != nil && !d.Allow(a) {
			lastErr = fmt.Errorf("%w: %s", ErrAddrNotAllowed, a)
			continue
		}
		tried++
		conn, err := d.Net.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("%w for %s", ErrNoAddrs, network)
	}
	return nil, fmt.Errorf("dialing %s (%d of %d addresses tried): %w", address, tried, len(addrs), lastErr)
}

// PublicAddr reports whether a is a globally routable unicast address: not
// loopback, private (RFC 1918, RFC 4193), shared (RFC 6598), link-local,
// multicast, unspecified or another special-purpose range. Verification fetches go only to such addresses
// by default, because the customer's DNS, not Portico, picks where they go.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsLoopback(), a.IsPrivate(), a.IsUnspecified(),
		a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast(), a.IsMulticast():
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// nonPublic are the special-purpose ranges (RFC 6890) that netip's
// predicates do not cover and that no customer's site lives in.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // RFC 6598 carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215)
	netip.MustParsePrefix("100::/64"),       // discard-only
}
