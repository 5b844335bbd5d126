// Package internalca is Portico's own certificate authority, for
// --issuer internal: private deployments whose clients trust a root the
// operator distributes (`portico ca root` prints it). No ACME, no
// challenge: the ACME engine's Local CA path signs with it directly.
//
// The root is an ECDSA P-256 key and a self-signed certificate valid for 10
// years, named "Portico Internal CA <8 hex digits>" so that two
// installations never share a name. They live in the data directory as
// ca.crt (PEM) and ca.key: PKCS#8 PEM with mode 0600, or, when a master key
// is given, sealed with it (package secrets), so that a copied data
// directory alone does not give the key away.
package internalca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/secrets"
)

// The file names inside the data directory.
const (
	CertFile = "ca.crt"
	KeyFile  = "ca.key"
)

// RootLifetime is how long a new root is valid.
const RootLifetime = 10 * 365 * 24 * time.Hour

// keyAAD binds a sealed CA key to its role.
const keyAAD = "internal_ca_key"

// sealedKeyType is the PEM type of a key sealed with the master key.
const sealedKeyType = "PORTICO SEALED PRIVATE KEY"

// CA is a loaded internal CA. It is safe for concurrent use.
type CA struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
	clk     clock.Clock
}

// LoadOrCreate loads the CA from dir, creating dir (0700), the key and the
// root certificate when they are absent. box, when not nil, seals the key
// at rest; a sealed key cannot be loaded without it. Two processes that
// create the CA at once end up with the one that was written first. A key
// whose certificate is missing (a crash between the two writes) gets a new
// root certificate.
func LoadOrCreate(dir string, box *secrets.Box, clk clock.Clock) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("internal CA: %w", err)
	}
	keyPath, certPath := filepath.Join(dir, KeyFile), filepath.Join(dir, CertFile)
	key, err := loadKey(keyPath, box)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(keyPath, box); err != nil {
			return nil, fmt.Errorf("internal CA: %w", err)
		}
		key, err = loadKey(keyPath, box)
	}
	if err != nil {
		return nil, fmt.Errorf("internal CA: %w", err)
	}
	certPEM, err := os.ReadFile(certPath)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createRoot(certPath, key, clk.Now()); err != nil {
			return nil, fmt.Errorf("internal CA: %w", err)
		}
		certPEM, err = os.ReadFile(certPath)
	}
	if err != nil {
		return nil, fmt.Errorf("internal CA: %w", err)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("internal CA: %s holds no certificate", certPath)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("internal CA: %s: %w", certPath, err)
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("internal CA: %s does not match the key in %s", certPath, keyPath)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("internal CA: %s is not a CA certificate", certPath)
	}
	return &CA{cert: cert, certPEM: pem.EncodeToMemory(block), key: key, clk: clk}, nil
}

// RootPEM returns the root certificate in PEM, for clients to trust.
func (c *CA) RootPEM() []byte { return bytes.Clone(c.certPEM) }

// Root returns the parsed root certificate.
func (c *CA) Root() *x509.Certificate { return c.cert }

// Issue signs a TLS server certificate for names (canonical DNS names,
// wildcards allowed) and pub, valid from a few minutes ago (clock skew)
// for lifetime, but never past the root's expiry. It returns the leaf in
// PEM: the root is not part of a served chain.
func (c *CA) Issue(names []string, pub crypto.PublicKey, lifetime time.Duration) ([]byte, error) {
	if len(names) == 0 {
		return nil, errors.New("internal CA: no names to certify")
	}
	if lifetime <= 0 {
		return nil, fmt.Errorf("internal CA: lifetime %v is not positive", lifetime)
	}
	now := c.clk.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		DNSNames:              append([]string(nil), names...),
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(lifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if len(names[0]) <= 64 {
		tmpl.Subject = pkix.Name{CommonName: names[0]}
	}
	if _, ok := pub.(*rsa.PublicKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	if tmpl.NotAfter.After(c.cert.NotAfter) {
		tmpl.NotAfter = c.cert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, pub, c.key)
	if err != nil {
		return nil, fmt.Errorf("internal CA: signing: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func randomSerial() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[0] &= 0x7f // positive, at most 127 bits, as RFC 5280 wants
	return new(big.Int).SetBytes(b)
}

func loadKey(path string, box *secrets.Box) (crypto.Signer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM key", path)
	}
	der := block.Bytes
	switch block.Type {
	case sealedKeyType:
		if box == nil {
			return nil, fmt.Errorf("%s is sealed with the master key, which is not available", path)
		}
		if der, err = box.Open(block.Bytes, keyAAD); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer clear(der)
	case "PRIVATE KEY":
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("%s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
		}
	default:
		return nil, fmt.Errorf("%s holds a %q block, not a private key", path, block.Type)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: key of type %T cannot sign", path, k)
	}
	return signer, nil
}

func createKey(path string, box *secrets.Box) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	defer clear(der)
	block := &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	if box != nil {
		sealed, err := box.Seal(der, keyAAD)
		if err != nil {
			return err
		}
		block = &pem.Block{Type: sealedKeyType, Bytes: sealed}
	}
	return writeNew(path, pem.EncodeToMemory(block))
}

func createRoot(path string, key crypto.Signer, now time.Time) error {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "Portico Internal CA " + hex.EncodeToString(suffix), Organization: []string{"Portico"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(RootLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return err
	}
	return writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// writeNew writes data to path with mode 0600 unless path exists: it
// writes a temporary file and hard-links it into place, which fails when
// another process got there first. Losing that race is not an error: the
// caller then loads the winner's file.
func writeNew(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}
