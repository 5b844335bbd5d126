package certs

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// signatureNames spells the leaf signature algorithms we accept the way
// Cloudflare reports them (cfssl's helpers.SignatureString). Cloudflare
// documents SHA-256/ECDSA, SHA-256/RSA and SHA-1/RSA; we also accept the
// SHA-384 and SHA-512 variants, because they are as strong or stronger,
// every TLS client verifies them, and public CAs issue them (e.g. ECDSA P-384
// intermediates sign with SHA-384). RSA-PSS, Ed25519, DSA, MD5 and SHA-1/ECDSA
// are refused.
var signatureNames = map[x509.SignatureAlgorithm]string{
	x509.SHA1WithRSA:     "SHA1WithRSA",
	x509.SHA256WithRSA:   "SHA256WithRSA",
	x509.SHA384WithRSA:   "SHA384WithRSA",
	x509.SHA512WithRSA:   "SHA512WithRSA",
	x509.ECDSAWithSHA256: "ECDSAWithSHA256",
	x509.ECDSAWithSHA384: "ECDSAWithSHA384",
	x509.ECDSAWithSHA512: "ECDSAWithSHA512",
}

func checkSignature(leaf *x509.Certificate) (string, error) {
	name, ok := signatureNames[leaf.SignatureAlgorithm]
	if !ok {
		return "", invalid(ReasonUnsupportedSig,
			fmt.Sprintf("The certificate is signed with %s; only SHA-256/ECDSA, SHA-256/RSA and SHA-1/RSA (and their SHA-384 and SHA-512 variants) are supported.",
				leaf.SignatureAlgorithm), nil)
	}
	return name, nil
}

// checkKeyMatch refuses a key that is not the leaf's.
func checkKeyMatch(leaf *x509.Certificate, key crypto.Signer) error {
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return invalid(ReasonKeyMismatch,
			fmt.Sprintf("The private key does not match the certificate %s.", describe(leaf)), nil)
	}
	return nil
}

func checkValidity(leaf *x509.Certificate, now time.Time) error {
	const layout = "2006-01-02 15:04:05 MST"
	switch {
	case now.After(leaf.NotAfter):
		return invalid(ReasonCertExpired,
			fmt.Sprintf("The certificate has expired: it was valid until %s.", leaf.NotAfter.UTC().Format(layout)), nil)
	case now.Before(leaf.NotBefore):
		return invalid(ReasonCertNotYetValid,
			fmt.Sprintf("The certificate is not valid yet: it becomes valid at %s.", leaf.NotBefore.UTC().Format(layout)), nil)
	}
	return nil
}

// checkHostname requires the leaf's DNS names to cover hostname with the
// rules TLS clients apply (x509 VerifyHostname: SANs only, a wildcard covers
// exactly one leftmost label). A wildcard custom hostname "*.base" is served
// for any one label under base, so only a certificate for "*.base" itself
// covers it.
func checkHostname(leaf *x509.Certificate, hostname string) error {
	var err error
	if strings.HasPrefix(hostname, "*.") {
		err = errNoWildcardSAN
		for _, san := range leaf.DNSNames {
			if strings.EqualFold(strings.TrimSuffix(san, "."), hostname) {
				err = nil
				break
			}
		}
	} else {
		err = leaf.VerifyHostname(hostname)
	}
	if err != nil {
		return invalid(ReasonHostnameMismatch,
			fmt.Sprintf("The certificate does not cover %s; it covers %s.", hostname, coverage(leaf)), err)
	}
	return nil
}

var errNoWildcardSAN = errors.New("no matching wildcard DNS name")

// coverage lists a few of the leaf's DNS names for a public message.
func coverage(leaf *x509.Certificate) string {
	names := leaf.DNSNames
	if len(names) == 0 {
		return "no DNS names (the subject common name is not used by browsers)"
	}
	const max = 5
	var extra string
	if len(names) > max {
		extra = fmt.Sprintf(" and %d more", len(names)-max)
		names = names[:max]
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, ", ") + extra
}
