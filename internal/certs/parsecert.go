package certs

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"
)

// parseCertificates decodes the uploaded bundle. Duplicate certificates are
// dropped (pasting the leaf twice is a common slip, not an error); order is
// kept otherwise.
func parseCertificates(certPEM string) ([]*x509.Certificate, error) {
	if strings.TrimSpace(certPEM) == "" {
		return nil, invalid(ReasonCertEmpty, "No certificate was provided.", nil)
	}
	if len(certPEM) > maxCertInput {
		return nil, invalid(ReasonCertUnparseable,
			"The certificate bundle is larger than "+sizeText(maxCertInput)+".", nil)
	}
	blocks, err := splitPEM([]byte(certPEM), maxCerts)
	if err != nil {
		return nil, invalid(ReasonCertUnparseable, "The certificate is not valid PEM: "+err.Error()+".", err)
	}
	var certs []*x509.Certificate
	for i, b := range blocks {
		switch {
		case isKeyBlock(b.Type):
			return nil, invalid(ReasonCertUnparseable,
				"The certificate field holds a private key; send the key in the key field and the certificate here.", nil)
		case b.Type != "CERTIFICATE":
			return nil, invalid(ReasonCertUnparseable,
				fmt.Sprintf("PEM block %d of the certificate bundle is a %s block, not a CERTIFICATE.", i+1, blockName(b.Type)), nil)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, invalid(ReasonCertUnparseable,
				fmt.Sprintf("Certificate %d of the bundle cannot be parsed: %s.", i+1, plainX509(err)), err)
		}
		if !containsCert(certs, c) {
			certs = append(certs, c)
		}
	}
	return certs, nil
}

func containsCert(certs []*x509.Certificate, c *x509.Certificate) bool {
	for _, have := range certs {
		if bytes.Equal(have.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// plainX509 strips the package prefix from an x509 error for a public
// message: "x509: malformed certificate" -> "malformed certificate".
func plainX509(err error) string {
	return strings.TrimPrefix(err.Error(), "x509: ")
}

// sizeText writes a byte count for a message: "1 MiB", "64 KiB".
func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
