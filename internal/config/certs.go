package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// The issuers --issuer accepts.
const (
	IssuerACME     = "acme"
	IssuerInternal = "internal"
)

// Certs configures managed certificates: which CA issues them, and the
// authoritative DNS server for the DCV delegation zone.
type Certs struct {
	// Issuer is "acme" or "internal"; "" picks acme when ACMEDirectory is
	// set and internal otherwise (the embedded default, which works
	// offline).
	Issuer string
	// ACMEDirectory is the default CA's ACME directory URL.
	ACMEDirectory string
	// ACMEEmail is the ACME account contact (optional).
	ACMEEmail string
	// ACMERootCA is a PEM bundle trusted, in addition to the system roots,
	// for TLS to the ACME directories and for the issued chains.
	ACMERootCA string
	// ACMEEABKeyID and ACMEEABHMAC are the External Account Binding of the
	// default CA, for CAs that require one.
	ACMEEABKeyID, ACMEEABHMAC string
	// ACMECAs are more CAs, "name=URL,name=URL", selectable through
	// ssl.certificate_authority (lets_encrypt, google, ssl_com).
	ACMECAs string
	// ACMECAEAB are the External Account Bindings of CAs in ACMECAs,
	// "name=KEYID:HMAC,name=KEYID:HMAC" (Google Trust Services and SSL.com
	// require one).
	ACMECAEAB string
	// ACMEProfile is the ACME profile to order ("" lets the CA choose).
	ACMEProfile string
	// InternalCADir is where the internal CA keeps its certificate and
	// sealed key ("": internal-ca next to the master key file, else in the
	// data directory). Nodes sharing a PostgreSQL database should share it.
	InternalCADir string
	// InternalCertLifetime is the lifetime of certificates the internal CA
	// signs (0: 90 days).
	InternalCertLifetime time.Duration
	// DNSListen is the address of the authoritative DNS server for the DCV
	// zone (UDP and TCP); "" or "off" runs none.
	DNSListen string
	// DNSNameservers are the names of the DCV zone's nameservers, for its
	// NS and SOA records, comma-separated (default ns1.<dcv zone>).
	DNSNameservers string
	// CertWorkers is how many certificate orders run at once per node (0:
	// 4).
	CertWorkers int
}

// Register adds the certificate flags to fs.
func (c *Certs) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.Issuer, "issuer", "", "who signs managed certificates: acme or internal (default: acme when --acme-directory is set, else internal)")
	fs.StringVar(&c.ACMEDirectory, "acme-directory", "", "ACME directory URL of the default CA, e.g. https://acme-v02.api.letsencrypt.org/directory")
	fs.StringVar(&c.ACMEEmail, "acme-email", "", "contact email of the ACME account")
	fs.StringVar(&c.ACMERootCA, "acme-root-ca", "", "PEM bundle trusted (besides the system roots) for TLS to ACME directories and for issued chains")
	fs.StringVar(&c.ACMEEABKeyID, "acme-eab-kid", "", "External Account Binding key id of the default CA")
	fs.StringVar(&c.ACMEEABHMAC, "acme-eab-hmac", "", "External Account Binding MAC key (base64url) of the default CA")
	fs.StringVar(&c.ACMECAs, "acme-ca", "", "more CAs selectable by ssl.certificate_authority, as name=URL,name=URL (names: lets_encrypt, google, ssl_com)")
	fs.StringVar(&c.ACMECAEAB, "acme-ca-eab", "", "External Account Bindings of --acme-ca CAs, as name=KEYID:HMAC,name=KEYID:HMAC")
	fs.StringVar(&c.ACMEProfile, "acme-profile", "", "ACME profile to order, e.g. classic or shortlived (default: the CA's)")
	fs.StringVar(&c.InternalCADir, "internal-ca-dir", "", "directory of the internal CA's certificate and sealed key (default: internal-ca beside the master key file, or in the data directory)")
	fs.DurationVar(&c.InternalCertLifetime, "internal-cert-lifetime", 90*24*time.Hour, "lifetime of certificates the internal CA signs")
	fs.StringVar(&c.DNSListen, "dns-listen", "", `authoritative DNS server for --dcv-zone (UDP and TCP), e.g. :53 ("" or "off": none)`)
	fs.StringVar(&c.DNSNameservers, "dns-nameservers", "", "names of the DCV zone's nameservers for its NS and SOA records, comma-separated (default ns1.<dcv-zone>)")
	fs.IntVar(&c.CertWorkers, "cert-workers", 4, "certificate orders run at once per node")
}

// caKnownHosts maps ACME directory hosts to the ssl.certificate_authority
// name they serve, so that --acme-directory alone already answers requests
// naming its CA.
var caKnownHosts = map[string]string{
	"letsencrypt.org": "lets_encrypt",
	"pki.goog":        "google",
	"ssl.com":         "ssl_com",
}

// DefaultCAName is the ssl.certificate_authority name of --acme-directory:
// lets_encrypt, google or ssl_com when its host is theirs, else "default".
func (c Certs) DefaultCAName() string {
	u, err := url.Parse(c.ACMEDirectory)
	if err != nil {
		return "default"
	}
	host := u.Hostname()
	for suffix, name := range caKnownHosts {
		if host == suffix || strings.HasSuffix(host, "."+suffix) {
			return name
		}
	}
	return "default"
}

// EffectiveIssuer is Issuer with its default applied.
func (c Certs) EffectiveIssuer() string {
	if c.Issuer != "" {
		return c.Issuer
	}
	if c.ACMEDirectory != "" {
		return IssuerACME
	}
	return IssuerInternal
}

// ExtraCAs parses ACMECAs into name -> directory URL.
func (c Certs) ExtraCAs() (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(c.ACMECAs) == "" {
		return out, nil
	}
	for _, part := range strings.Split(c.ACMECAs, ",") {
		name, dir, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || name == "" || dir == "" {
			return nil, fmt.Errorf("--acme-ca %q: want name=URL", part)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--acme-ca: %s given twice", name)
		}
		if err := checkDirectoryURL(dir); err != nil {
			return nil, fmt.Errorf("--acme-ca %s: %w", name, err)
		}
		out[name] = dir
	}
	return out, nil
}

// EABCredentials are an External Account Binding: the key id and the
// base64url MAC key the CA gave.
type EABCredentials struct{ KeyID, HMAC string }

// DefaultEAB is the default CA's External Account Binding (--acme-eab-kid,
// --acme-eab-hmac); nil when it has none.
func (c Certs) DefaultEAB() *EABCredentials {
	if c.ACMEEABKeyID == "" {
		return nil
	}
	return &EABCredentials{KeyID: c.ACMEEABKeyID, HMAC: c.ACMEEABHMAC}
}

// MACKey is the MAC key unpadded, as ACME clients decode it (RFC 8555 uses
// base64url without padding; some CAs print it padded).
func (b EABCredentials) MACKey() string { return strings.TrimRight(b.HMAC, "=") }

func (b EABCredentials) check() error {
	if _, err := base64.RawURLEncoding.DecodeString(b.MACKey()); err != nil {
		return errors.New("the MAC key is not base64url (give it exactly as the CA printed it)")
	}
	return nil
}

// ExtraEABs parses ACMECAEAB into CA name -> binding. Every name must be a CA
// of ACMECAs other than the default one (whose binding is --acme-eab-kid and
// --acme-eab-hmac). Errors never quote the MAC key.
func (c Certs) ExtraEABs() (map[string]EABCredentials, error) {
	out := map[string]EABCredentials{}
	if strings.TrimSpace(c.ACMECAEAB) == "" {
		return out, nil
	}
	extra, err := c.ExtraCAs()
	if err != nil {
		return nil, err
	}
	for i, part := range strings.Split(c.ACMECAEAB, ",") {
		name, cred, _ := strings.Cut(strings.TrimSpace(part), "=")
		// The MAC key is base64url, which has no ':'; a key id might.
		at := strings.LastIndex(cred, ":")
		if name == "" || at <= 0 || at == len(cred)-1 {
			return nil, fmt.Errorf("--acme-ca-eab: entry %d: want name=KEYID:HMAC", i+1)
		}
		if name == c.DefaultCAName() {
			return nil, fmt.Errorf("--acme-ca-eab: %s is the default CA: give its binding with --acme-eab-kid and --acme-eab-hmac", name)
		}
		if _, ok := extra[name]; !ok {
			return nil, fmt.Errorf("--acme-ca-eab: %s is not a CA of --acme-ca", name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--acme-ca-eab: %s given twice", name)
		}
		b := EABCredentials{KeyID: cred[:at], HMAC: cred[at+1:]}
		if err := b.check(); err != nil {
			return nil, fmt.Errorf("--acme-ca-eab: %s: %w", name, err)
		}
		out[name] = b
	}
	return out, nil
}

// CANames returns the sorted names ssl.certificate_authority may use.
func (c Certs) CANames() []string {
	extra, _ := c.ExtraCAs()
	names := []string{c.DefaultCAName()}
	for n := range extra {
		if n != names[0] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// DNSEnabled reports whether the DCV DNS server runs.
func (c Certs) DNSEnabled() bool { return c.DNSListen != "" && c.DNSListen != "off" }

// Nameservers returns DNSNameservers as a list (nil: the server's default).
func (c Certs) Nameservers() []string {
	var out []string
	for _, n := range strings.Split(c.DNSNameservers, ",") {
		if n = strings.TrimSpace(strings.TrimSuffix(n, ".")); n != "" {
			out = append(out, strings.ToLower(n))
		}
	}
	return out
}

// Validate checks the certificate flags; dcvZone is --dcv-zone.
func (c Certs) Validate(dcvZone string) error {
	var errs []error
	switch c.EffectiveIssuer() {
	case IssuerInternal:
	case IssuerACME:
		if c.ACMEDirectory == "" {
			errs = append(errs, errors.New("--issuer acme needs --acme-directory"))
		} else if err := checkDirectoryURL(c.ACMEDirectory); err != nil {
			errs = append(errs, fmt.Errorf("--acme-directory: %w", err))
		}
		if (c.ACMEEABKeyID == "") != (c.ACMEEABHMAC == "") {
			errs = append(errs, errors.New("--acme-eab-kid and --acme-eab-hmac go together"))
		} else if b := c.DefaultEAB(); b != nil {
			if err := b.check(); err != nil {
				errs = append(errs, fmt.Errorf("--acme-eab-hmac: %w", err))
			}
		}
		if _, err := c.ExtraCAs(); err != nil {
			errs = append(errs, err)
		} else if _, err := c.ExtraEABs(); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("--issuer %q: want acme or internal", c.Issuer))
	}
	if c.ACMERootCA != "" {
		if _, err := os.Stat(c.ACMERootCA); err != nil {
			errs = append(errs, fmt.Errorf("--acme-root-ca: %w", err))
		}
	}
	if c.InternalCertLifetime != 0 && c.InternalCertLifetime < time.Hour {
		errs = append(errs, fmt.Errorf("--internal-cert-lifetime %v: at least 1h", c.InternalCertLifetime))
	}
	if c.DNSEnabled() {
		if dcvZone == "" {
			errs = append(errs, errors.New("--dns-listen serves the DCV zone: set --dcv-zone too"))
		}
		if _, _, err := net.SplitHostPort(c.DNSListen); err != nil {
			errs = append(errs, fmt.Errorf("--dns-listen %q: %w", c.DNSListen, err))
		}
	}
	if c.CertWorkers < 0 {
		errs = append(errs, fmt.Errorf("--cert-workers %d: must not be negative", c.CertWorkers))
	}
	return errors.Join(errs...)
}

func checkDirectoryURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}
