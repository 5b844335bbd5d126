package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/verify"
)

// MaxURLLength caps an endpoint URL.
const MaxURLLength = 2048

// Network says where deliveries may go. The zero value is the production
// policy: https URLs, delivered only to globally routable addresses.
type Network struct {
	// AllowHTTP accepts http:// URLs whose host is loopback (127.0.0.0/8,
	// ::1, localhost) and lets deliveries reach loopback addresses, for
	// development and tests (--webhook-allow-http). http:// to any other
	// host is refused even then: a signed body in clear text crosses no
	// network.
	AllowHTTP bool
	// AllowPrivate lets deliveries reach private addresses (RFC 1918, RFC
	// 4193, RFC 6598), for receivers inside the operator's own network
	// (--webhook-allow-private). Link-local addresses (where cloud metadata
	// services answer), multicast and unspecified addresses stay refused.
	AllowPrivate bool
}

// ErrAddressNotAllowed is the cause of a delivery whose connection the
// Network refused.
var ErrAddressNotAllowed = errors.New("address not allowed for webhooks")

// cgnat is RFC 6598 shared address space, private in all but name.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// allowAddr reports whether a delivery may connect to a.
func (n Network) allowAddr(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case verify.PublicAddr(a):
		return true
	case a.IsLoopback():
		return n.AllowHTTP
	case a.IsPrivate(), cgnat.Contains(a):
		return n.AllowPrivate
	}
	return false
}

// addrKind names a refused address's range for error messages.
func addrKind(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate(), cgnat.Contains(a):
		return "private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	}
	return "not globally routable"
}

// control is a net.Dialer ControlContext: it runs after name resolution,
// on the address about to be connected, so that the policy holds whatever
// DNS answered and however often it changes its answer.
func (n Network) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrAddressNotAllowed, address)
	}
	if !n.allowAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s is %s", ErrAddressNotAllowed, ap.Addr().Unmap(), addrKind(ap.Addr()))
	}
	return nil
}

// isLoopbackHost reports whether host (lowercase, no brackets) names this
// machine: a loopback address, localhost or a name under .localhost.
func isLoopbackHost(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().IsLoopback()
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// ParseURL checks an endpoint URL against the policy and returns it
// normalized (scheme and host lowercase, IPv6 canonical). Refusals are
// *core.Error with reason ReasonInvalidURL and a message that says what to
// change. A hostname is not resolved here: its addresses are checked at
// every delivery.
func (n Network) ParseURL(raw string) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", invalid(ReasonInvalidURL, "url", format, args...)
	}
	if raw == "" {
		return bad("url is required: the HTTPS URL that receives the events.")
	}
	if len(raw) > MaxURLLength {
		return bad("url is %d characters; at most %d are allowed.", len(raw), MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return bad("url must be an absolute URL such as https://hooks.example.com/portico.")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return bad("url must use https.")
	}
	if u.User != nil {
		return bad("url must not carry credentials (user:password@): verify the Portico-Webhook-Signature header instead.")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad("url must not have a fragment (#...).")
	}
	o, err := dnsname.ParseOrigin(scheme + "://" + u.Host)
	if err != nil {
		var de *dnsname.Error
		if errors.As(err, &de) {
			return bad("url host: %s", de.Error())
		}
		return bad("url has an invalid host.")
	}
	loopback := isLoopbackHost(o.Host)
	if scheme == "http" && !(n.AllowHTTP && loopback) {
		return bad("url must use https (http is accepted only for loopback receivers when the operator allows it).")
	}
	if a, err := netip.ParseAddr(o.Host); err == nil && !n.allowAddr(a) {
		return bad("url points at a %s address (%s), which webhooks may not reach.", addrKind(a), a)
	}
	if loopback && !n.AllowHTTP {
		return bad("url points at this machine (%s), which webhooks may not reach.", o.Host)
	}
	norm := url.URL{Scheme: scheme, Host: strings.TrimPrefix(o.String(), scheme+"://"), Path: u.Path,
		RawPath: u.RawPath, RawQuery: u.RawQuery}
	if norm.Path == "" {
		norm.Path = "/"
	}
	return norm.String(), nil
}

// urlHost returns the host of a stored URL, for logs (the path and query may
// carry the receiver's own token; the host does not).
func urlHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
