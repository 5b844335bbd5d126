package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

// now is the fixed time every test checks validity at.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// node is a certificate with its private key.
type node struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// spec describes a certificate to make. Zero fields get test defaults.
type spec struct {
	cn        string
	org       string
	dns       []string
	ca        bool
	v1        bool // no basic constraints, like old v1 roots
	notBefore time.Time
	notAfter  time.Time
	sigAlg    x509.SignatureAlgorithm
	key       crypto.Signer // the subject's key
	parent    *node         // nil: self-signed
	serial    int64
	eku       []x509.ExtKeyUsage
}

func mk(t testing.TB, s spec) *node {
	t.Helper()
	if s.notBefore.IsZero() {
		s.notBefore = now.Add(-30 * 24 * time.Hour)
	}
	if s.notAfter.IsZero() {
		s.notAfter = now.Add(60 * 24 * time.Hour)
	}
	if s.serial == 0 {
		s.serial = 4242
	}
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(s.serial),
		Subject:            pkix.Name{CommonName: s.cn},
		DNSNames:           s.dns,
		NotBefore:          s.notBefore,
		NotAfter:           s.notAfter,
		SignatureAlgorithm: s.sigAlg,
		ExtKeyUsage:        s.eku,
	}
	if s.org != "" {
		tmpl.Subject.Organization = []string{s.org}
	}
	if !s.v1 {
		tmpl.BasicConstraintsValid = true
		tmpl.IsCA = s.ca
	}
	if s.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if tmpl.ExtKeyUsage == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
	}
	parent, signer := tmpl, s.key
	if s.parent != nil {
		parent, signer = s.parent.cert, s.parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, s.key.Public(), signer)
	if err != nil {
		t.Fatalf("creating test certificate %q: %v", s.cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &node{cert: c, key: s.key}
}

// Keys are generated once per test binary. RSA generation is slow, more so
// under the fuzzer's coverage instrumentation, so the EC keys (all the fuzz
// target needs) are made separately.
type testKeys struct {
	ecKeys
	rsaA, rsaB, rsa1024 *rsa.PrivateKey
}

type ecKeys struct {
	ecA, ecB, ecC, ecD, ecE *ecdsa.PrivateKey
	p521                    *ecdsa.PrivateKey
	ed                      ed25519.PrivateKey
}

var ecOnly = sync.OnceValue(func() ecKeys {
	ecKey := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return ecKeys{
		ecA: ecKey(elliptic.P256()), ecB: ecKey(elliptic.P256()), ecC: ecKey(elliptic.P384()),
		ecD: ecKey(elliptic.P256()), ecE: ecKey(elliptic.P256()),
		p521: ecKey(elliptic.P521()),
		ed:   ed,
	}
})

var keys = sync.OnceValue(func() testKeys {
	rsaKey := func(bits int) *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	}
	return testKeys{ecKeys: ecOnly(), rsaA: rsaKey(2048), rsaB: rsaKey(2048), rsa1024: rsaKey(1024)}
})

// pki is the trusted hierarchy most tests use:
//
//	root (ECDSA) -> interRSA (RSA) -> leafRSA   www.example.com, example.com
//	root         -> interEC (ECDSA P-384) -> leafEC  *.example.com
type pki struct {
	root, interRSA, interEC *node
	leafRSA, leafEC         *node
	roots                   *x509.CertPool
}

var pkiOnce sync.Once
var thePKI pki

func testPKI(t testing.TB) pki {
	t.Helper()
	pkiOnce.Do(func() {
		k := keys()
		p := pki{}
		p.root = mk(t, spec{cn: "Portico Test Root", org: "Portico Test", ca: true, key: k.ecA,
			notBefore: now.AddDate(-5, 0, 0), notAfter: now.AddDate(10, 0, 0)})
		p.interRSA = mk(t, spec{cn: "Portico Test RSA CA", ca: true, key: k.rsaA, parent: p.root,
			notAfter: now.AddDate(3, 0, 0)})
		p.interEC = mk(t, spec{cn: "", org: "Portico EC Issuing", ca: true, key: k.ecC, parent: p.root,
			notAfter: now.AddDate(3, 0, 0)})
		p.leafRSA = mk(t, spec{cn: "www.example.com", dns: []string{"www.example.com", "example.com"},
			key: k.rsaB, parent: p.interRSA, serial: 123456789012345})
		p.leafEC = mk(t, spec{cn: "*.example.com", dns: []string{"*.example.com"},
			key: k.ecB, parent: p.interEC})
		p.roots = x509.NewCertPool()
		p.roots.AddCert(p.root.cert)
		thePKI = p
	})
	return thePKI
}

// chainPEM encodes certificates as a PEM bundle in the given order.
func chainPEM(nodes ...*node) string {
	var b strings.Builder
	for _, n := range nodes {
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: n.cert.Raw}))
	}
	return b.String()
}

// keyPEM encodes a key in one of the formats uploads use.
func keyPEM(t testing.TB, key crypto.Signer, format string) string {
	t.Helper()
	var typ string
	var der []byte
	var err error
	switch format {
	case "pkcs8":
		typ = "PRIVATE KEY"
		der, err = x509.MarshalPKCS8PrivateKey(key)
	case "pkcs1":
		typ = "RSA PRIVATE KEY"
		der = x509.MarshalPKCS1PrivateKey(key.(*rsa.PrivateKey))
	case "sec1":
		typ = "EC PRIVATE KEY"
		der, err = x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
	default:
		t.Fatalf("unknown key format %q", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func pkcs8(t testing.TB, key crypto.Signer) string { return keyPEM(t, key, "pkcs8") }
