package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// The edge's default listen addresses, as the issue asks. As a user who is
// not root usually cannot bind them, `portico serve` with these defaults
// logs an error and runs without the edge when binding fails; an address
// given explicitly must bind, or serve fails.
const (
	DefaultHTTPSListen = ":443"
	DefaultHTTPListen  = ":80"
)

// Edge configures the edge: the listeners visitors reach, and how it talks
// to origins.
type Edge struct {
	// HTTPSListen is the HTTPS listener (default :443); "" or "off"
	// disables it.
	HTTPSListen string
	// HTTPListen is the plain HTTP listener for ACME HTTP-01, ownership
	// tokens and redirects (default :80); "" or "off" disables it.
	HTTPListen string
	// TrustedProxies lists the CIDRs (or addresses) of load balancers in
	// front of the edge, comma-separated; their X-Forwarded-For is kept.
	TrustedProxies string
	// DefaultCertFile and DefaultKeyFile are the PEM certificate and key
	// shown to clients that send no SNI; both or neither.
	DefaultCertFile, DefaultKeyFile string
	// MetadataHeader names the request header that carries a hostname's
	// custom_metadata to its origin ("" = not sent).
	MetadataHeader string
	// AccessLog writes one log record per edge request (default true).
	AccessLog bool
	// CacheSize is how many hostnames' parsed certificates and routes stay
	// in memory (default 10000).
	CacheSize int
	// NetHTTPOnly serves every HTTPS request through net/http, without the
	// edge's HTTP/1.1 loop: a way out should the loop misbehave, and the
	// other half of an A/B benchmark.
	NetHTTPOnly bool
	// The edge's timeouts; see the README.
	HandshakeTimeout, HeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, OriginTimeout time.Duration
}

// Register adds the edge flags to fs.
func (e *Edge) Register(fs *flag.FlagSet) {
	fs.StringVar(&e.HTTPSListen, "https-listen", DefaultHTTPSListen, `edge HTTPS listen address ("off" disables)`)
	fs.StringVar(&e.HTTPListen, "http-listen", DefaultHTTPListen, `edge HTTP listen address for ACME HTTP-01, ownership tokens and redirects ("off" disables)`)
	fs.StringVar(&e.TrustedProxies, "trusted-proxies", "", "CIDRs of load balancers in front of the edge whose X-Forwarded-For is kept, comma-separated")
	fs.StringVar(&e.DefaultCertFile, "edge-default-cert", "", "PEM certificate for TLS clients that send no SNI (default: none, they are refused)")
	fs.StringVar(&e.DefaultKeyFile, "edge-default-key", "", "PEM key of --edge-default-cert")
	fs.StringVar(&e.MetadataHeader, "edge-metadata-header", "", "request header carrying a hostname's custom_metadata (JSON) to its origin, e.g. Portico-Hostname-Metadata (default: not sent)")
	fs.BoolVar(&e.AccessLog, "edge-access-log", true, "log one line per edge request")
	fs.BoolVar(&e.NetHTTPOnly, "edge-nethttp-only", false, "serve HTTPS/1.1 through net/http alone, without the edge's own request loop (slower; for comparison)")
	fs.IntVar(&e.CacheSize, "edge-cache-size", 10000, "hostnames whose parsed certificates and routes stay in memory")
	fs.DurationVar(&e.HandshakeTimeout, "edge-handshake-timeout", 10*time.Second, "TLS handshake deadline")
	fs.DurationVar(&e.HeaderTimeout, "edge-header-timeout", 10*time.Second, "deadline for a request's headers")
	fs.DurationVar(&e.ReadTimeout, "edge-read-timeout", 60*time.Second, "deadline for a whole request, body included")
	fs.DurationVar(&e.WriteTimeout, "edge-write-timeout", 60*time.Second, "how long one write to a visitor may block")
	fs.DurationVar(&e.IdleTimeout, "edge-idle-timeout", 120*time.Second, "keep-alive idle timeout")
	fs.DurationVar(&e.OriginTimeout, "edge-origin-timeout", 60*time.Second, "wait for an origin's response headers before 504")
}

// listenAddr returns the address to bind, "" when disabled.
func listenAddr(s string) string {
	if s == "off" {
		return ""
	}
	return s
}

// HTTPSAddr is the HTTPS listen address, "" when disabled.
func (e Edge) HTTPSAddr() string { return listenAddr(e.HTTPSListen) }

// HTTPAddr is the HTTP listen address, "" when disabled.
func (e Edge) HTTPAddr() string { return listenAddr(e.HTTPListen) }

// Enabled reports whether any edge listener is configured.
func (e Edge) Enabled() bool { return e.HTTPSAddr() != "" || e.HTTPAddr() != "" }

// OnDefaultPorts reports whether both listeners are at their defaults (or
// off), where failing to bind is not fatal.
func (e Edge) OnDefaultPorts() bool {
	return (e.HTTPSListen == DefaultHTTPSListen || e.HTTPSAddr() == "") &&
		(e.HTTPListen == DefaultHTTPListen || e.HTTPAddr() == "")
}

// Proxies parses TrustedProxies; a bare address is a one-address prefix.
func (e Edge) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(e.TrustedProxies, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is neither a CIDR nor an address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Validate checks the edge configuration.
func (e Edge) Validate() error {
	var errs []error
	for flagName, addr := range map[string]string{"--https-listen": e.HTTPSAddr(), "--http-listen": e.HTTPAddr()} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", flagName, addr, err))
		}
	}
	if _, err := e.Proxies(); err != nil {
		errs = append(errs, err)
	}
	if (e.DefaultCertFile == "") != (e.DefaultKeyFile == "") {
		errs = append(errs, errors.New("--edge-default-cert and --edge-default-key go together"))
	}
	for _, c := range e.MetadataHeader {
		if !(c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			errs = append(errs, fmt.Errorf("--edge-metadata-header %q: use letters, digits and dashes", e.MetadataHeader))
			break
		}
	}
	if e.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("--edge-cache-size %d: must not be negative", e.CacheSize))
	}
	return errors.Join(errs...)
}
