package certs

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"slices"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// Options say what an uploaded certificate is checked against.
type Options struct {
	// Hostname is the canonical custom hostname (from package dnsname) the
	// certificate must cover; it may be a wildcard "*.base". Empty skips the
	// check, for callers that have no hostname yet.
	Hostname string
	// Bundle is the bundle method; "" means ubiquitous.
	Bundle core.BundleMethod
	// Now is the time validity is checked at; zero means time.Now().
	Now time.Time
	// Roots is the trust store for the ubiquitous and optimal methods; nil
	// means the system roots. The force method ignores it.
	Roots *x509.CertPool
}

// Parsed is an accepted upload.
type Parsed struct {
	// ChainPEM is the leaf followed by intermediates, as the edge will serve
	// them (never the root, except when force was asked to serve one).
	ChainPEM []byte
	// KeyPEM is the private key as PKCS#8 PEM ("PRIVATE KEY"). The caller
	// seals it with package secrets at once and never stores or logs it.
	KeyPEM []byte
	Leaf   *x509.Certificate
	// Issuer is the leaf issuer's common name, or its organization when the
	// common name is empty.
	Issuer string
	// SerialNumber is the leaf's serial number in decimal.
	SerialNumber string
	// Signature is the leaf's signature algorithm in Cloudflare's spelling:
	// "SHA256WithRSA", "ECDSAWithSHA256", "SHA1WithRSA", ...
	Signature string
	// FingerprintSHA256 is the SHA-256 of the leaf's DER, lowercase hex.
	FingerprintSHA256 string
	// Hosts are the leaf's DNS names.
	Hosts               []string
	NotBefore, NotAfter time.Time
}

// ParseCustom checks an uploaded certificate bundle and private key the way
// Cloudflare checks a custom certificate, and returns what to store and
// serve. The checks run in this order and the first failure is returned:
// bundle method, certificate PEM, key PEM, exactly one leaf, key matches the
// leaf, leaf signature algorithm, leaf validity at o.Now, leaf covers
// o.Hostname, and the chain (bundled against o.Roots, or taken as uploaded
// for "force"). Every error is a *core.Error of kind core.KindInvalid with
// one of the Reason constants.
func ParseCustom(certPEM, keyPEM string, o Options) (Parsed, error) {
	switch o.Bundle {
	case "", core.BundleUbiquitous, core.BundleOptimal, core.BundleForce:
	default:
		return Parsed{}, invalid(ReasonBadBundleMethod,
			fmt.Sprintf("The bundle method %s is not valid; use ubiquitous, optimal or force.", bundleName(o.Bundle)), nil)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	certs, err := parseCertificates(certPEM)
	if err != nil {
		return Parsed{}, err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return Parsed{}, err
	}
	leaf, others, err := pickLeaf(certs)
	if err != nil {
		return Parsed{}, err
	}
	if err := checkKeyMatch(leaf, key); err != nil {
		return Parsed{}, err
	}
	sig, err := checkSignature(leaf)
	if err != nil {
		return Parsed{}, err
	}
	if err := checkValidity(leaf, now); err != nil {
		return Parsed{}, err
	}
	if o.Hostname != "" {
		if err := checkHostname(leaf, o.Hostname); err != nil {
			return Parsed{}, err
		}
	}
	chain, err := bundle(leaf, others, o, now)
	if err != nil {
		return Parsed{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		// Cannot happen for the RSA and ECDSA keys parseKey returns.
		return Parsed{}, &core.Error{Kind: core.KindInternal, Reason: "internal", Public: "internal error",
			Err: fmt.Errorf("encoding private key as PKCS#8: %w", err)}
	}
	fp := sha256.Sum256(leaf.Raw)
	return Parsed{
		ChainPEM:          encodeChain(chain),
		KeyPEM:            pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		Leaf:              leaf,
		Issuer:            issuerName(leaf),
		SerialNumber:      leaf.SerialNumber.String(),
		Signature:         sig,
		FingerprintSHA256: hex.EncodeToString(fp[:]),
		Hosts:             slices.Clone(leaf.DNSNames),
		NotBefore:         leaf.NotBefore,
		NotAfter:          leaf.NotAfter,
	}, nil
}

func encodeChain(chain []*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range chain {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}) // writes to memory cannot fail
	}
	return buf.Bytes()
}

func issuerName(leaf *x509.Certificate) string {
	switch {
	case leaf.Issuer.CommonName != "":
		return leaf.Issuer.CommonName
	case len(leaf.Issuer.Organization) > 0:
		return leaf.Issuer.Organization[0]
	}
	return leaf.Issuer.String()
}

// bundleName quotes an attacker-supplied bundle method for a message.
func bundleName(m core.BundleMethod) string {
	s := string(m)
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return fmt.Sprintf("%q", s)
}
