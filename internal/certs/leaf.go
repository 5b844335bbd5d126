package certs

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
)

// pickLeaf finds the one leaf in the bundle: a certificate that is not a CA
// and that issued no other certificate in the bundle. The second rule keeps
// old v1 CA certificates (which have no CA flag) out of the count.
func pickLeaf(certs []*x509.Certificate) (leaf *x509.Certificate, others []*x509.Certificate, err error) {
	var leaves []*x509.Certificate
	for _, c := range certs {
		if isCA(c) || issuesAny(c, certs) {
			continue
		}
		leaves = append(leaves, c)
	}
	switch len(leaves) {
	case 0:
		return nil, nil, invalid(ReasonNoLeaf,
			"The bundle has no leaf certificate: every certificate in it is a CA certificate.", nil)
	case 1:
	default:
		return nil, nil, invalid(ReasonMultipleLeaves,
			fmt.Sprintf("The bundle has %d leaf certificates (%s and %s); upload one leaf with its intermediates.",
				len(leaves), describe(leaves[0]), describe(leaves[1])), nil)
	}
	leaf = leaves[0]
	for _, c := range certs {
		if c != leaf {
			others = append(others, c)
		}
	}
	return leaf, others, nil
}

func isCA(c *x509.Certificate) bool { return c.BasicConstraintsValid && c.IsCA }

// issuesAny reports whether parent signed any other certificate in certs.
func issuesAny(parent *x509.Certificate, certs []*x509.Certificate) bool {
	for _, c := range certs {
		if c != parent && signedBy(c, parent) == nil {
			return true
		}
	}
	return false
}

// signedBy checks that parent's name and key issued child. It uses
// Certificate.CheckSignature rather than CheckSignatureFrom because the
// latter refuses SHA-1, which Cloudflare still accepts for uploads.
// The name comparison runs first so that unrelated pairs cost no signature
// check.
func signedBy(child, parent *x509.Certificate) error {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return errNameMismatch
	}
	return parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
}

var errNameMismatch = errors.New("issuer name does not match")

// describe names a certificate for a public message: its subject common
// name, organization or first DNS name, else its serial number.
func describe(c *x509.Certificate) string {
	switch {
	case c.Subject.CommonName != "":
		return fmt.Sprintf("%q", c.Subject.CommonName)
	case len(c.Subject.Organization) > 0:
		return fmt.Sprintf("%q", c.Subject.Organization[0])
	case len(c.DNSNames) > 0:
		return fmt.Sprintf("%q", c.DNSNames[0])
	}
	return "serial " + c.SerialNumber.String()
}
