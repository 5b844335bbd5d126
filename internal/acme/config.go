package acme

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"time"
)

// Config configures an Issuer. CAs is required; every other field has the
// default its comment states.
type Config struct {
	// CAs are the certificate authorities by the name an Issuance (and the
	// API's certificate_authority) uses: "lets_encrypt", "google",
	// "ssl_com", or any name the operator picks. An Issuance naming a CA
	// that is not here fails with a clear error.
	CAs map[string]CAConfig
	// DefaultCA is the CA of an Issuance whose CA is empty. Default: the only
	// CA when there is one; required when there are several.
	DefaultCA string
	// KeyType is the certificate key type. Default KeyP256.
	KeyType KeyType
	// CAA looks up CAA records for the preflight check. nil skips the
	// check; production wires the --resolver one (NewDNSCAAResolver).
	CAA CAAResolver
	// DCVZone is the DCV delegation zone (--dcv-zone), for the
	// cname_target of DNS-01 validation records. Default: none (the
	// records then carry no CNAME).
	DCVZone string
	// Pacing limits how fast orders are placed. Zero fields take the
	// defaults stated on Pacing.
	Pacing Pacing
	// UserAgent is added to the ACME client's User-Agent. Default "portico".
	UserAgent string
	// RequestTimeout bounds one HTTP request to a CA. Default 30 s.
	RequestTimeout time.Duration
	// StepTimeout bounds one Step, polls included. Default 3 min.
	StepTimeout time.Duration
	// PollInterval is the pause between polls of a pending authorization,
	// and the longest pause between polls of a processing order (which
	// start at a quarter of it and double), when the CA sends no
	// Retry-After. Default 500 ms: a fresh order is usually ready within a
	// second, and a CA that needs longer says so with Retry-After.
	PollInterval time.Duration
	// PollTimeout is how long one Step polls before it gives up and retries
	// later (transient). Default 90 s.
	PollTimeout time.Duration
	// Rand returns uniform numbers in [0, 1) for jitter. Default
	// math/rand/v2.Float64. Tests make it deterministic.
	Rand func() float64
}

// CAConfig is one certificate authority.
type CAConfig struct {
	// DirectoryURL is the ACME directory (--acme-directory). Required,
	// except for a Local CA.
	DirectoryURL string
	// Email is the account contact (--acme-email); optional.
	Email string
	// RootsPEM are extra trusted roots (--acme-root-ca), added to the
	// system roots: used for TLS to the directory and as the roots the
	// issued chain must verify against.
	RootsPEM []byte
	// EAB is the External Account Binding, for CAs that require one
	// (Google, SSL.com, ZeroSSL); nil when not used.
	EAB *EAB
	// CAAIdentities are the issuer domain names this CA recognises in CAA
	// "issue" records, e.g. "letsencrypt.org". Default: the directory's
	// meta.caaIdentities; when both are empty, CAA is not checked for this
	// CA.
	CAAIdentities []string
	// Profile is the ACME profile to order (e.g. "classic", "tlsserver",
	// "shortlived"); empty lets the CA choose.
	Profile string
	// Local, when set, makes this an internal CA: certificates are signed
	// in-process (package internalca) with no ACME, no challenge and no
	// CAA check. DirectoryURL and the ACME fields are then ignored.
	Local LocalSigner
	// LocalLifetime is the lifetime of certificates a Local CA signs.
	// Default 90 days.
	LocalLifetime time.Duration
}

// EAB is an External Account Binding: the key id and the base64url MAC key
// the CA gave the operator.
type EAB struct {
	KeyID  string
	MACKey string
}

// KeyType is a certificate key algorithm.
type KeyType string

// The supported key types.
const (
	KeyP256    KeyType = "p256"
	KeyP384    KeyType = "p384"
	KeyRSA2048 KeyType = "rsa2048"
)

// Pacing limits the rate of new orders as token buckets that refill
// evenly, so that Portico stays inside a CA's limits (threat model B1) and
// spreads bulk work out (B15). Limits are per process; with several nodes
// give each a share.
type Pacing struct {
	// PerAccount is the most orders per account. Default 300 per 3 h, Let's
	// Encrypt's limit.
	PerAccount Rate
	// PerDomain is the most new certificates per registered domain (eTLD+1).
	// Default 50 per 7 days, Let's Encrypt's limit. Renewals that carry
	// Replaces are exempt, as they are at Let's Encrypt.
	PerDomain Rate
}

// Rate is Count events per Per, as a token bucket of Count tokens that
// refills one token every Per/Count. A negative Count disables the limit.
type Rate struct {
	Count int
	Per   time.Duration
}

// settings is a Config with defaults applied and the trust stores parsed.
type settings struct {
	Config
	roots map[string]*x509.CertPool // CA name -> system roots + RootsPEM
}

func (cfg Config) resolve() (settings, error) {
	st := settings{Config: cfg, roots: make(map[string]*x509.CertPool)}
	if len(cfg.CAs) == 0 {
		return st, errors.New("no certificate authority configured")
	}
	if st.DefaultCA == "" {
		if len(cfg.CAs) > 1 {
			names := make([]string, 0, len(cfg.CAs))
			for n := range cfg.CAs {
				names = append(names, n)
			}
			sort.Strings(names)
			return st, fmt.Errorf("several certificate authorities (%v): a default is required", names)
		}
		for n := range cfg.CAs {
			st.DefaultCA = n
		}
	}
	if _, ok := cfg.CAs[st.DefaultCA]; !ok {
		return st, fmt.Errorf("default certificate authority %q is not configured", st.DefaultCA)
	}
	for name, ca := range cfg.CAs {
		if ca.Local != nil {
			continue
		}
		u, err := url.Parse(ca.DirectoryURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return st, fmt.Errorf("certificate authority %q: directory %q is not an http(s) URL", name, ca.DirectoryURL)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if len(ca.RootsPEM) > 0 && !pool.AppendCertsFromPEM(ca.RootsPEM) {
			return st, fmt.Errorf("certificate authority %q: no certificate in the root CA bundle", name)
		}
		st.roots[name] = pool
		if ca.EAB != nil && (ca.EAB.KeyID == "" || ca.EAB.MACKey == "") {
			return st, fmt.Errorf("certificate authority %q: external account binding needs a key id and a MAC key", name)
		}
	}
	switch st.KeyType {
	case "":
		st.KeyType = KeyP256
	case KeyP256, KeyP384, KeyRSA2048:
	default:
		return st, fmt.Errorf("unknown key type %q", st.KeyType)
	}
	if st.Rand == nil {
		st.Rand = rand.Float64
	}
	if st.UserAgent == "" {
		st.UserAgent = "portico"
	}
	st.RequestTimeout = orDefault(st.RequestTimeout, 30*time.Second)
	st.StepTimeout = orDefault(st.StepTimeout, 3*time.Minute)
	st.PollInterval = orDefault(st.PollInterval, 500*time.Millisecond)
	st.PollTimeout = orDefault(st.PollTimeout, 90*time.Second)
	if st.Pacing.PerAccount == (Rate{}) {
		st.Pacing.PerAccount = Rate{Count: 300, Per: 3 * time.Hour}
	}
	if st.Pacing.PerDomain == (Rate{}) {
		st.Pacing.PerDomain = Rate{Count: 50, Per: 7 * 24 * time.Hour}
	}
	for _, r := range []Rate{st.Pacing.PerAccount, st.Pacing.PerDomain} {
		if r.Count > 0 && r.Per <= 0 {
			return st, fmt.Errorf("pacing rate %d per %v: the period must be positive", r.Count, r.Per)
		}
	}
	return st, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
