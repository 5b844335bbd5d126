package config

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"strings"
)

// Verify configures ownership verification in `portico serve`.
type Verify struct {
	// Resolver is the DNS server(s) verification asks, "ip:port" or "ip",
	// comma-separated (--resolver). Empty: the nameservers of
	// /etc/resolv.conf.
	Resolver string
	// EdgeIPv4 and EdgeIPv6 are the edge's public addresses, comma-separated
	// (--edge-ipv4, --edge-ipv6). A name without a CNAME whose A/AAAA
	// records are all edge addresses points at Portico (an apex); these
	// never prove ownership alone. Default none.
	EdgeIPv4, EdgeIPv6 string
	// VerifyWorkers is how many checks run at once (default 4; 0 means
	// the default).
	VerifyWorkers int
	// VerifyHTTPPort is the port of HTTP token fetches (default 80; 0 means
	// the default). For tests and labs whose token servers listen elsewhere.
	VerifyHTTPPort int
	// VerifyAllowPrivate lets HTTP token fetches reach loopback and private
	// addresses (default false: the customer's DNS picks the address, and
	// must not be able to aim Portico at its own network). For labs.
	VerifyAllowPrivate bool
}

// Register adds the verification flags to fs.
func (v *Verify) Register(fs *flag.FlagSet) {
	fs.StringVar(&v.Resolver, "resolver", "", "DNS server(s) for ownership checks, ip:port, comma-separated (default: /etc/resolv.conf)")
	fs.StringVar(&v.EdgeIPv4, "edge-ipv4", "", "the edge's public IPv4 addresses, comma-separated (apex hostnames point here)")
	fs.StringVar(&v.EdgeIPv6, "edge-ipv6", "", "the edge's public IPv6 addresses, comma-separated")
	fs.IntVar(&v.VerifyWorkers, "verify-workers", 4, "ownership checks run at once")
	fs.IntVar(&v.VerifyHTTPPort, "verify-http-port", 80, "port of HTTP ownership token fetches (for tests and labs)")
	fs.BoolVar(&v.VerifyAllowPrivate, "verify-allow-private", false, "let HTTP token fetches reach loopback and private addresses (for labs)")
}

// Validate checks the verification settings.
func (v Verify) Validate() error {
	var errs []error
	if _, err := v.ResolverServers(); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := v.EdgeAddrs(); err != nil {
		errs = append(errs, err)
	}
	if v.VerifyWorkers < 0 {
		errs = append(errs, fmt.Errorf("--verify-workers %d: want at least 1", v.VerifyWorkers))
	}
	if v.VerifyHTTPPort < 0 || v.VerifyHTTPPort > 65535 {
		errs = append(errs, fmt.Errorf("--verify-http-port %d: want 1 to 65535", v.VerifyHTTPPort))
	}
	return errors.Join(errs...)
}

// ResolverServers returns the --resolver servers as given ("ip" or
// "ip:port"); nil means the system's.
func (v Verify) ResolverServers() ([]string, error) {
	var out []string
	for _, s := range splitList(v.Resolver) {
		if _, err := netip.ParseAddrPort(s); err != nil {
			if _, err := netip.ParseAddr(s); err != nil {
				return nil, fmt.Errorf("--resolver %q: want ip:port or ip (a name would need a resolver to resolve)", s)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// EdgeAddrs parses --edge-ipv4 and --edge-ipv6.
func (v Verify) EdgeAddrs() (v4, v6 []netip.Addr, err error) {
	for _, s := range splitList(v.EdgeIPv4) {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return nil, nil, fmt.Errorf("--edge-ipv4 %q: not an IPv4 address", s)
		}
		v4 = append(v4, a)
	}
	for _, s := range splitList(v.EdgeIPv6) {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() || a.Is4In6() {
			return nil, nil, fmt.Errorf("--edge-ipv6 %q: not an IPv6 address", s)
		}
		v6 = append(v6, a)
	}
	return v4, v6, nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
