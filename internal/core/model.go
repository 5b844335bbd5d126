package core

import (
	"encoding/json"
	"time"
)

// Zone is a SaaS provider's tenant: the Cloudflare "zone" and the SaaS Custom
// Domains "account". Custom hostnames belong to exactly one zone, and an API
// token sees exactly one zone.
type Zone struct {
	ID          string // 32 lowercase hex characters
	Name        string // the provider's own domain, e.g. saasprovider.com
	CNAMETarget string // what customers CNAME to, e.g. customers.saasprovider.com
	// NoWildcards refuses wildcard custom hostnames in this zone.
	NoWildcards bool
	// Fallback is the zone's fallback origin; nil when none is set.
	Fallback  *FallbackOrigin
	CreatedAt time.Time
}

// FallbackOrigin is where the edge sends a custom hostname's traffic when the
// hostname has no custom origin server.
type FallbackOrigin struct {
	Origin    string // host, host:port or http(s)://host[:port]
	Status    FallbackOriginStatus
	Errors    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// APIToken authorises requests for one zone. Only a hash of the secret is
// kept; the secret is shown once, when the token is created.
type APIToken struct {
	ID         string // public lookup id, part of the token string
	ZoneID     string
	SecretHash []byte // SHA-256 of the secret part
	CreatedAt  time.Time
}

// Hostname is a custom hostname: a customer's domain served by the zone.
type Hostname struct {
	ID     string // 36-character UUID
	ZoneID string
	// Name is the canonical hostname (lowercase, A-labels, no trailing dot),
	// as produced by package dnsname. "*.example.com" for a wildcard.
	Name   string
	Status HostnameStatus
	// VerificationErrors say, in plain words, why the hostname is not active.
	VerificationErrors []string
	// OwnershipToken is the value the customer publishes in the TXT record
	// _cf-custom-hostname.<name> or serves at the HTTP token URL. It carries
	// at least 128 random bits and is bound to this (zone, hostname).
	OwnershipToken     string
	CustomOriginServer string
	CustomOriginSNI    string
	// CustomMetadata is the JSON object the client sent, kept verbatim
	// (values need not be strings: cloudflare-go v0 sends numbers too).
	CustomMetadata json.RawMessage
	SSL            SSL
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Version increases on every write; updates are conditional on it.
	Version int64
}

// OwnershipTXTName is the DNS name of the hostname's ownership TXT record.
func (h Hostname) OwnershipTXTName() string { return "_cf-custom-hostname." + h.baseName() }

// OwnershipHTTPURL is where the customer may serve the ownership token instead.
func (h Hostname) OwnershipHTTPURL() string {
	return "http://" + h.baseName() + "/.well-known/cf-custom-hostname-challenge/" + h.ID
}

// IsWildcard reports whether the hostname is "*.<base>".
func (h Hostname) IsWildcard() bool { return len(h.Name) > 2 && h.Name[:2] == "*." }

func (h Hostname) baseName() string {
	if h.IsWildcard() {
		return h.Name[2:]
	}
	return h.Name
}

// SSL is a custom hostname's certificate configuration and state: the
// Cloudflare "ssl" object, whose id is also the certificate pack id.
type SSL struct {
	ID                   string // 36-character UUID
	Type                 string // always "dv"
	Method               DCVMethod
	Status               SSLStatus
	Wildcard             bool
	CertificateAuthority string // lets_encrypt, google, ssl_com, digicert; "" = default
	BundleMethod         BundleMethod
	Settings             TLSSettings
	ValidationRecords    []ValidationRecord
	DCVDelegation        []ValidationRecord
	// DCVLabel is the hostname's label in the DCV delegation zone (the
	// first label of DCVDelegation's CNAME target), unique to this
	// hostname: the authoritative DNS server answers DNS-01 values under
	// it. "" when Portico has no DCV zone.
	DCVLabel         string
	ValidationErrors []string
	// Certificates are the hostname's deployed certificates, newest first.
	// A custom (uploaded) certificate takes priority over a managed one.
	Certificates []Certificate
}

// DCVMethod is how the CA validates control of the name.
type DCVMethod string

// The domain control validation methods.
const (
	DCVHTTP  DCVMethod = "http"
	DCVTXT   DCVMethod = "txt"
	DCVEmail DCVMethod = "email"
)

// BundleMethod is how an uploaded chain is bundled.
type BundleMethod string

// The bundle methods Cloudflare documents.
const (
	BundleUbiquitous BundleMethod = "ubiquitous"
	BundleOptimal    BundleMethod = "optimal"
	BundleForce      BundleMethod = "force"
)

// TLSSettings are the per-hostname TLS settings (ssl.settings). Empty strings
// mean "not set": the edge uses its defaults.
type TLSSettings struct {
	MinTLSVersion string   // "1.0", "1.1", "1.2", "1.3"
	TLS13         string   // "on" or "off"
	HTTP2         string   // "on" or "off"
	EarlyHints    string   // "on" or "off"
	Ciphers       []string // BoringSSL names
}

// ValidationRecord is one record the customer (or Portico for them) must
// publish for validation: TXT, HTTP or CNAME, with its status.
type ValidationRecord struct {
	TXTName     string
	TXTValue    string
	HTTPURL     string
	HTTPBody    string
	CNAME       string
	CNAMETarget string
	Emails      []string
	Status      string
}

// CertificateSource says where a certificate came from.
type CertificateSource string

// The certificate sources.
const (
	SourceCustom  CertificateSource = "custom"  // uploaded by the provider
	SourceManaged CertificateSource = "managed" // issued by Portico (ACME or internal CA)
)

// Certificate is one deployed certificate of a custom hostname, with its
// private key encrypted at rest. The key never leaves Portico's process in
// clear text except to the TLS stack.
type Certificate struct {
	ID         string // 36-character UUID
	HostnameID string
	Source     CertificateSource
	// ChainPEM is the leaf followed by intermediates, as served.
	ChainPEM []byte
	// KeyCiphertext is the private key sealed by package secrets; never PEM.
	KeyCiphertext     []byte
	Issuer            string
	SerialNumber      string // decimal
	Signature         string // e.g. SHA256WithRSA, ECDSAWithSHA256
	Hosts             []string
	FingerprintSHA256 string // hex
	BundleMethod      BundleMethod
	IssuedOn          time.Time // NotBefore
	ExpiresOn         time.Time // NotAfter
	UploadedOn        time.Time
}
