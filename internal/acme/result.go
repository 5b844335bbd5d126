package acme

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/mholt/acmez/v3/acme"
	"github.com/porticohq/portico/internal/certs"
	"github.com/porticohq/portico/internal/core"
)

// result checks an issued chain the way an uploaded one is checked
// (package certs: the key matches, the leaf is valid and covers every
// identifier, the chain verifies against the CA's roots) and returns the
// Result, with the key sealed for the certificate row. A chain that fails
// is a configuration problem (the roots, --acme-root-ca), not something a
// new order fixes: the error is fatal.
func (is *Issuer) result(ca *caClient, iss *Issuance, chainPEM []byte, key crypto.Signer, ri *acme.RenewalInfo) (*Result, error) {
	block, _ := pem.Decode(chainPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fatalError("The certificate authority returned no certificate.", errors.New("chain has no CERTIFICATE block"))
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fatalError("The certificate authority returned an unreadable certificate.", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the certificate key: %w", err)
	}
	defer clear(keyDER)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	defer clear(keyPEM)

	// A fresh certificate may start a few seconds after our clock's now
	// (clock skew; Pebble does not backdate): check it at its start then.
	now := is.clk.Now()
	if now.Before(leaf.NotBefore) {
		now = leaf.NotBefore
	}
	p, err := certs.ParseCustom(string(chainPEM), string(keyPEM), certs.Options{Hostname: iss.Identifiers[0], Roots: ca.roots, Now: now})
	if err != nil {
		return nil, fatalError("The issued certificate did not pass its checks: "+core.AsError(err).Public, err)
	}
	clear(p.KeyPEM)
	for _, name := range iss.Identifiers[1:] {
		if !covers(p.Leaf, name) {
			return nil, fatalError(fmt.Sprintf("The issued certificate does not cover %s.", name), nil)
		}
	}
	// Sealed as PKCS#8 PEM, the form uploaded certificates' keys take, so
	// that the edge opens both alike.
	sealed, err := is.box.Seal(keyPEM, CertificateKeyAAD(iss.ID, iss.HostnameID))
	if err != nil {
		return nil, fmt.Errorf("sealing the certificate key: %w", err)
	}
	res := &Result{
		CertificateID:     iss.ID,
		ChainPEM:          p.ChainPEM,
		KeyCiphertext:     sealed,
		Issuer:            p.Issuer,
		SerialNumber:      p.SerialNumber,
		Signature:         p.Signature,
		FingerprintSHA256: p.FingerprintSHA256,
		Hosts:             p.Hosts,
		NotBefore:         p.NotBefore,
		NotAfter:          p.NotAfter,
	}
	if len(p.Leaf.AuthorityKeyId) > 0 {
		res.ARICertID, _ = acme.ARIUniqueIdentifier(p.Leaf)
	}
	if ri != nil {
		res.ARI = windowOf(*ri)
	}
	return res, nil
}

// covers reports whether leaf is valid for name: by TLS rules, or, for a
// wildcard, by carrying that exact wildcard.
func covers(leaf *x509.Certificate, name string) bool {
	if strings.HasPrefix(name, "*.") {
		for _, san := range leaf.DNSNames {
			if strings.EqualFold(san, name) {
				return true
			}
		}
		return false
	}
	return leaf.VerifyHostname(name) == nil
}
