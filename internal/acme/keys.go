package acme

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"

	"github.com/porticohq/portico/internal/secrets"
)

// newCertKey generates a certificate key of type kt and returns it with
// its sealed PKCS#8 form, bound to aad.
func newCertKey(kt KeyType, box *secrets.Box, aad string) (crypto.Signer, []byte, error) {
	var key crypto.Signer
	var err error
	switch kt {
	case KeyP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case KeyRSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("generating a %s key: %w", kt, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the certificate key: %w", err)
	}
	defer clear(der)
	sealed, err := box.Seal(der, aad)
	if err != nil {
		return nil, nil, fmt.Errorf("sealing the certificate key: %w", err)
	}
	return key, sealed, nil
}

// openCertKey opens a key sealed by newCertKey.
func openCertKey(box *secrets.Box, sealed []byte, aad string) (crypto.Signer, error) {
	if len(sealed) == 0 {
		return nil, fmt.Errorf("the issuance has no certificate key")
	}
	der, err := box.Open(sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("opening the certificate key: %w", err)
	}
	defer clear(der)
	return parseSigner(der)
}

// csrDER returns a DER certificate request for names signed by key. The
// names go in the SAN extension only: CAs ignore the subject.
func csrDER(key crypto.Signer, names []string) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: names}, key)
	if err != nil {
		return nil, fmt.Errorf("creating the CSR: %w", err)
	}
	return der, nil
}
