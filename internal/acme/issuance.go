package acme

import (
	"slices"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// Step is how far an Issuance has got. Each value names what has been done
// and saved, so the engine knows which network call comes next.
type Step string

// The steps, in order. StepDone and StepFailed are terminal.
const (
	// StepNew: nothing is at the CA yet. Next: CAA preflight, then newOrder.
	StepNew Step = "new"
	// StepOrdered: the order exists; OrderURL, FinalizeURL and the authz
	// URLs are saved. Next: fetch the authorizations.
	StepOrdered Step = "ordered"
	// StepAuthorized: the authorizations are fetched and a challenge chosen
	// for each; tokens and key authorizations are saved. Next: publish them.
	StepAuthorized Step = "authorized"
	// StepChallengeReady: the challenge responses are published. Next: tell
	// the CA to validate.
	StepChallengeReady Step = "challenge_ready"
	// StepChallengeSubmitted: the CA was told to validate. Next: poll the
	// authorizations, then finalize with a CSR.
	StepChallengeSubmitted Step = "challenge_submitted"
	// StepFinalizing: the order was finalized. Next: poll it and download
	// the certificate.
	StepFinalizing Step = "finalizing"
	// StepDownloaded: the certificate is downloaded, verified and in
	// Result. Next: the commit (StepDone), with no network call.
	StepDownloaded Step = "downloaded"
	// StepDone: Result is final; the certificate can be deployed.
	StepDone Step = "done"
	// StepFailed: the Issuance will not be tried again; LastError says why.
	StepFailed Step = "failed"
)

// Terminal reports whether s is StepDone or StepFailed.
func (s Step) Terminal() bool { return s == StepDone || s == StepFailed }

// Valid reports whether s is one of the steps.
func (s Step) Valid() bool {
	switch s {
	case StepNew, StepOrdered, StepAuthorized, StepChallengeReady, StepChallengeSubmitted,
		StepFinalizing, StepDownloaded, StepDone, StepFailed:
		return true
	}
	return false
}

// SSLStatus is the Cloudflare ssl.status an Issuance at step s shows, for a
// hostname that has no active certificate yet. StepDone maps to
// pending_deployment: the service sets active once the edge serves it.
// StepFailed maps to validation_timed_out, the status Cloudflare shows when
// it gave up.
func (s Step) SSLStatus() core.SSLStatus {
	switch s {
	case StepNew:
		return core.SSLInitializing
	case StepOrdered, StepAuthorized, StepChallengeReady, StepChallengeSubmitted:
		return core.SSLPendingValidation
	case StepFinalizing:
		return core.SSLPendingIssuance
	case StepDownloaded, StepDone:
		return core.SSLPendingDeployment
	default:
		return core.SSLValidationTimedOut
	}
}

// Issuance is the write-ahead record of one certificate request for one
// custom hostname: a first issuance or a renewal. The service creates it at
// StepNew; from then on only the Issuer changes it, one saved step at a time.
type Issuance struct {
	// ID is a 36-character UUID. It is also the id of the certificate the
	// Issuance produces (Result.CertificateID), so committing the result
	// twice can only write the same row.
	ID         string
	ZoneID     string
	HostnameID string
	// Identifiers are the canonical names (package dnsname) the certificate
	// covers, the custom hostname first; "*.base" for a wildcard.
	Identifiers []string
	// Method is the hostname's ssl.method: core.DCVHTTP or core.DCVTXT;
	// empty means http.
	Method core.DCVMethod
	// HTTPReady says the hostname already resolves to Portico's edge, so
	// HTTP-01 is used for non-wildcard names whatever Method says. The
	// verification loop sets it.
	HTTPReady bool
	// DCVLabel is the hostname's delegation label in the DCV zone (package
	// authdns): DNS-01 values are published under it. Empty when the
	// hostname has no delegation; DNS-01 is then impossible.
	DCVLabel string
	// CA names the certificate authority in Config.CAs ("lets_encrypt",
	// "google", "ssl_com", ...); empty means Config.DefaultCA.
	CA string
	// Replaces is the ARI certificate id (Result.ARICertID) of the
	// certificate this renews; empty for a first issuance. Sent as the
	// order's "replaces" field, which exempts it from LE's limits.
	Replaces string
	// Deadline, when set, is the time after which no new order is placed
	// and the Issuance fails instead (an order in flight is finished): the
	// old certificate's expiry for a renewal.
	Deadline time.Time

	Step Step
	// AccountURL is the ACME account that placed the order; a resumed order
	// is continued with that account only.
	AccountURL  string
	OrderURL    string
	FinalizeURL string
	CertURL     string
	Authzs      []Authz
	// KeyCiphertext is the certificate's private key, PKCS#8 sealed with
	// package secrets under IssuanceKeyAAD(ID). Generated once per order.
	KeyCiphertext []byte
	// Result is set from StepDownloaded on.
	Result *Result

	// Attempts counts orders that failed validation (or CAA); Backoff uses
	// it. Retries counts transient failures since the last progress;
	// RetryDelay uses it.
	Attempts      int
	Retries       int
	NextAttemptAt time.Time
	// LastError is the private cause of the last failure, for operators.
	LastError string
	// ValidationErrors are plain-words reasons for the customer, shown as
	// ssl.validation_errors.
	ValidationErrors []string
	// ValidationRecords are what the CA checks, shown as
	// ssl.validation_records as soon as the order exists.
	ValidationRecords []core.ValidationRecord
	// HTTPFailed records that HTTP-01 failed for this hostname, so the next
	// order uses DNS-01 when the hostname is delegated.
	HTTPFailed bool

	CreatedAt time.Time
	UpdatedAt time.Time
	// Version increases by one on every save; saves are conditional on it.
	Version int64
}

// Authz is one authorization of the order and the challenge chosen for it.
type Authz struct {
	URL string
	// Identifier is the name the authorization is for, "*.base" for a
	// wildcard authorization.
	Identifier string
	// Status is the ACME status last seen: pending, valid, invalid, ...
	Status string
	// ChallengeType is "http-01" or "dns-01"; empty when the authorization
	// was already valid and needs no challenge.
	ChallengeType string
	ChallengeURL  string
	Token         string
	// KeyAuth is the key authorization: the HTTP-01 response body. Not a
	// secret: the CA fetches it in the clear.
	KeyAuth string
	// TXTValue is the DNS-01 record value (base64url SHA-256 of KeyAuth).
	TXTValue string
}

// Result is the certificate an Issuance produced, ready to become a
// core.Certificate with Source managed (see Certificate).
type Result struct {
	// CertificateID equals the Issuance ID.
	CertificateID string
	// ChainPEM is the leaf and intermediates, as served, verified against
	// the CA's roots.
	ChainPEM []byte
	// KeyCiphertext is the private key sealed under
	// CertificateKeyAAD(CertificateID, HostnameID), the AAD core
	// certificates use.
	KeyCiphertext     []byte
	Issuer            string
	SerialNumber      string // decimal
	Signature         string
	FingerprintSHA256 string
	Hosts             []string
	NotBefore         time.Time
	NotAfter          time.Time
	// ARICertID is the certificate's ARI unique identifier, the value of
	// Issuance.Replaces when it is renewed.
	ARICertID string
	// ARI is the renewal window the CA suggested at download, nil when the
	// CA does not offer ARI.
	ARI *Window
}

// Certificate returns the core.Certificate for r, uploaded (committed) at
// now.
func (r *Result) Certificate(hostnameID string, now time.Time) core.Certificate {
	return core.Certificate{
		ID:                r.CertificateID,
		HostnameID:        hostnameID,
		Source:            core.SourceManaged,
		ChainPEM:          slices.Clone(r.ChainPEM),
		KeyCiphertext:     slices.Clone(r.KeyCiphertext),
		Issuer:            r.Issuer,
		SerialNumber:      r.SerialNumber,
		Signature:         r.Signature,
		Hosts:             slices.Clone(r.Hosts),
		FingerprintSHA256: r.FingerprintSHA256,
		BundleMethod:      core.BundleUbiquitous,
		IssuedOn:          r.NotBefore,
		ExpiresOn:         r.NotAfter,
		UploadedOn:        now,
	}
}

// IssuanceKeyAAD is the AAD the certificate key is sealed with while the
// Issuance is in progress: it binds the ciphertext to the record.
func IssuanceKeyAAD(issuanceID string) string { return "acme_issuance_key:" + issuanceID }

// CertificateKeyAAD is the AAD of a certificate's key in core.Certificate
// (see docs/architecture.md, package secrets).
func CertificateKeyAAD(certificateID, hostnameID string) string {
	return "certificate_key:" + certificateID + ":" + hostnameID
}

// Clone returns a deep copy of iss, so that stores and callers never share
// slices.
func (iss Issuance) Clone() Issuance {
	out := iss
	out.Identifiers = slices.Clone(iss.Identifiers)
	out.Authzs = slices.Clone(iss.Authzs)
	out.KeyCiphertext = slices.Clone(iss.KeyCiphertext)
	out.ValidationErrors = slices.Clone(iss.ValidationErrors)
	out.ValidationRecords = make([]core.ValidationRecord, len(iss.ValidationRecords))
	for i, r := range iss.ValidationRecords {
		r.Emails = slices.Clone(r.Emails)
		out.ValidationRecords[i] = r
	}
	if iss.ValidationRecords == nil {
		out.ValidationRecords = nil
	}
	if iss.Result != nil {
		r := *iss.Result
		r.ChainPEM = slices.Clone(r.ChainPEM)
		r.KeyCiphertext = slices.Clone(r.KeyCiphertext)
		r.Hosts = slices.Clone(r.Hosts)
		if r.ARI != nil {
			w := *r.ARI
			r.ARI = &w
		}
		out.Result = &r
	}
	return out
}
