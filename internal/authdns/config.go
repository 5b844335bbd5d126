package authdns

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Config configures a Server. Only Zone is required; every other field has
// the default its comment states.
type Config struct {
	// Zone is the DCV delegation zone, e.g. "dcv.saasprovider.com", in
	// canonical form: lowercase LDH labels, no trailing dot. Required.
	Zone string
	// Listen is the host:port to serve on, UDP and TCP alike. Port 0 picks a
	// free port (tests). Default ":53".
	Listen string
	// NS names the zone's nameservers, for the apex NS records; the first is
	// the SOA's primary. Default: "ns1.<Zone>".
	NS []string
	// NSAddrs gives the addresses of nameservers named inside the zone, such
	// as ns1.<Zone>: the server answers A and AAAA for them and adds them to
	// NS answers as glue. A nameserver inside the zone with no address here
	// answers NODATA, which the parent's glue papers over but a resolver that
	// asks the zone itself will not; set it in production.
	NSAddrs map[string][]netip.Addr
	// Hostmaster is the SOA mailbox, as "hostmaster@example.com" or in DNS
	// form "hostmaster.example.com". Default "hostmaster.<Zone>".
	Hostmaster string
	// TTL is the TTL of TXT, SOA, NS, glue and the ANY stand-in. Default 60 s:
	// a deleted label leaves caches within a minute (threat model A4).
	TTL time.Duration
	// NegativeTTL is the SOA minimum, how long resolvers cache NXDOMAIN and
	// NODATA (RFC 2308). Default 60 s. It stays short because the ACME engine
	// publishes a value just before the CA looks, and a NODATA cached from an
	// earlier look would hide it.
	NegativeTTL time.Duration
	// QueryTimeout bounds each Records lookup; when it passes, the server
	// answers SERVFAIL. Default 500 ms, well inside the few seconds a
	// resolver waits before it retries elsewhere.
	QueryTimeout time.Duration
	// CountQuery, when set, is called once per answered message with the
	// response code's mnemonic ("NOERROR", "NXDOMAIN", "REFUSED", ...), so the
	// caller can feed portico_authdns_queries_total{rcode} without this
	// package choosing a metrics registry. It must be safe for concurrent use
	// and fast: it runs on the query path.
	CountQuery func(rcode string)
}

// soaSerial is constant: the zone's contents live in Records and are never
// transferred (AXFR is refused), so a serial would count nothing, and a
// constant one lets several nodes agree (threat model B12).
const soaSerial = 1

// settings is a validated Config in the forms the handler uses: fully
// qualified lowercase names and TTLs in seconds.
type settings struct {
	zone       string // "dcv.saasprovider.com."
	zoneLabels int
	listen     string
	ns         []string                // fully qualified
	nsHosts    map[string][]netip.Addr // in-zone nameserver label ("ns1") -> its addresses
	mbox       string
	ttl        uint32
	negTTL     uint32
	timeout    time.Duration
	countRcode func(string)
}

// resolve checks cfg and fills in its defaults.
func (cfg Config) resolve() (settings, error) {
	s := settings{listen: cfg.Listen, timeout: cfg.QueryTimeout, countRcode: cfg.CountQuery}
	if cfg.Zone == "" {
		return s, errors.New("zone is required")
	}
	labels := strings.Split(cfg.Zone, ".")
	if len(labels) < 2 || !allValid(labels) {
		return s, fmt.Errorf("zone %q is not a canonical name of two or more labels (lowercase, no trailing dot)", cfg.Zone)
	}
	// Leave room for a label: "<26 chars>.<zone>." must stay within 255 octets.
	if len(cfg.Zone) > 200 {
		return s, fmt.Errorf("zone %q is longer than 200 characters", cfg.Zone)
	}
	s.zone = cfg.Zone + "."
	s.zoneLabels = len(labels)
	if s.listen == "" {
		s.listen = ":53"
	}

	ns := cfg.NS
	if len(ns) == 0 {
		ns = []string{"ns1." + cfg.Zone}
	}
	for _, n := range ns {
		fq := dns.CanonicalName(n)
		if _, ok := dns.IsDomainName(fq); !ok || fq == "." {
			return s, fmt.Errorf("nameserver %q is not a domain name", n)
		}
		if !slices.Contains(s.ns, fq) {
			s.ns = append(s.ns, fq)
		}
	}
	// In-zone nameservers are names the server answers for itself. Deeper
	// ones would make the names between them and the zone exist too, which
	// nothing here answers for.
	s.nsHosts = make(map[string][]netip.Addr)
	for _, fq := range s.ns {
		if label, ok := strings.CutSuffix(fq, "."+s.zone); ok {
			if !validLabel(label) {
				return s, fmt.Errorf("nameserver %q is inside the zone but not one label below it", fq)
			}
			s.nsHosts[label] = nil
		}
	}
	for n, addrs := range cfg.NSAddrs {
		label, ok := strings.CutSuffix(dns.CanonicalName(n), "."+s.zone)
		if _, isNS := s.nsHosts[label]; !ok || !isNS {
			return s, fmt.Errorf("address given for %q, which is not a nameserver in NS inside the zone", n)
		}
		for _, a := range addrs {
			if !a.IsValid() {
				return s, fmt.Errorf("invalid address for nameserver %q", n)
			}
		}
		s.nsHosts[label] = slices.Clone(addrs)
	}

	var err error
	if s.mbox, err = mailbox(cfg.Hostmaster, cfg.Zone); err != nil {
		return s, err
	}
	if s.ttl, err = seconds("TTL", cfg.TTL, 60*time.Second); err != nil {
		return s, err
	}
	if s.negTTL, err = seconds("negative TTL", cfg.NegativeTTL, 60*time.Second); err != nil {
		return s, err
	}
	if s.timeout < 0 {
		return s, fmt.Errorf("query timeout %v is negative", s.timeout)
	}
	if s.timeout == 0 {
		s.timeout = 500 * time.Millisecond
	}
	return s, nil
}

func allValid(labels []string) bool {
	for _, l := range labels {
		if !validLabel(l) {
			return false
		}
	}
	return true
}

// mailbox turns a hostmaster address into the SOA RNAME form, escaping dots
// in the local part ("first.last@x.com" -> "first\.last.x.com.").
func mailbox(hostmaster, zone string) (string, error) {
	if hostmaster == "" {
		return "hostmaster." + zone + ".", nil
	}
	name := hostmaster
	if local, domain, ok := strings.Cut(hostmaster, "@"); ok {
		name = strings.ReplaceAll(local, ".", `\.`) + "." + domain
	}
	fq := dns.CanonicalName(name)
	if _, ok := dns.IsDomainName(fq); !ok || dns.CountLabel(fq) < 2 {
		return "", fmt.Errorf("hostmaster %q is not a mailbox", hostmaster)
	}
	return fq, nil
}

// seconds converts a TTL to whole seconds, applying def when d is zero.
// TTLs over a day are refused: nothing in this zone is worth caching longer,
// and a long TTL would keep deleted labels alive in caches.
func seconds(what string, d, def time.Duration) (uint32, error) {
	if d == 0 {
		d = def
	}
	if d < time.Second || d > 24*time.Hour {
		return 0, fmt.Errorf("%s %v is outside 1s..24h", what, d)
	}
	return uint32(d / time.Second), nil
}
