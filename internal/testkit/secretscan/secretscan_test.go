package secretscan

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/apitoken"
)

type testKeys struct {
	rsa     *rsa.PrivateKey
	ec256   *ecdsa.PrivateKey
	ec384   *ecdsa.PrivateKey
	ed      ed25519.PrivateKey
	rsaCert []byte // DER of a self-signed certificate for rsa
	ecCert  []byte // DER of a self-signed certificate for ec256
}

var keys = sync.OnceValue(func() testKeys {
	var k testKeys
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	k.ec256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k.ec384, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
	k.rsaCert = selfSigned(k.rsa)
	k.ecCert = selfSigned(k.ec256)
	return k
})

func selfSigned(key crypto.Signer) []byte {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0), // serial 0 puts "02 01 00 30" in the certificate
		Subject:      pkix.Name{CommonName: "www.example.com"},
		DNSNames:     []string{"www.example.com"},
		NotBefore:    time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0),
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	return der
}

func pkcs8(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// noise returns deterministic pseudo-random bytes.
func noise(n int, seed uint64) []byte {
	r := mrand.NewChaCha8([32]byte{byte(seed)})
	b := make([]byte, n)
	r.Read(b)
	return b
}

func embed(secret []byte) []byte {
	out := append(noise(1001, 1), secret...)
	return append(out, noise(777, 2)...)
}

func TestFindsKeys(t *testing.T) {
	k := keys()
	sec1, _ := x509.MarshalECPrivateKey(k.ec256)
	sec1384, _ := x509.MarshalECPrivateKey(k.ec384)
	pkcs1 := x509.MarshalPKCS1PrivateKey(k.rsa)
	token, _, _ := apitoken.New()
	jsonBody, _ := json.Marshal(map[string]string{"custom_key": string(pemOf("PRIVATE KEY", pkcs8(t, k.ec256)))})
	tests := []struct {
		name string
		data []byte
		want string // a substring of some finding
	}{
		{"PEM PKCS#8", pemOf("PRIVATE KEY", pkcs8(t, k.rsa)), "PEM private key block (PRIVATE KEY)"},
		{"PEM PKCS#1", pemOf("RSA PRIVATE KEY", pkcs1), "(RSA PRIVATE KEY)"},
		{"PEM SEC1", pemOf("EC PRIVATE KEY", sec1), "(EC PRIVATE KEY)"},
		{"PEM encrypted", []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMII...\n"), "ENCRYPTED PRIVATE KEY"},
		{"PEM OpenSSH", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n"), "OPENSSH PRIVATE KEY"},
		{"PEM in JSON", jsonBody, "PEM private key block"},
		{"DER PKCS#8 RSA", embed(pkcs8(t, k.rsa)), "DER PKCS#8 private key (rsaEncryption)"},
		{"DER PKCS#8 EC P-256", embed(pkcs8(t, k.ec256)), "DER PKCS#8 private key (id-ecPublicKey)"},
		{"DER PKCS#8 EC P-384", embed(pkcs8(t, k.ec384)), "DER PKCS#8 private key (id-ecPublicKey)"},
		{"DER PKCS#8 Ed25519", embed(pkcs8(t, k.ed)), "DER PKCS#8 private key (Ed25519)"},
		{"DER PKCS#1", embed(pkcs1), "DER PKCS#1 RSA private key"},
		{"DER SEC1 P-256", embed(sec1), "DER SEC1 EC private key"},
		{"DER SEC1 P-384", embed(sec1384), "DER SEC1 EC private key"},
		{"base64 without armour", []byte(`{"key":"` + base64.StdEncoding.EncodeToString(pkcs8(t, k.rsa)) + `"}`), "rsaEncryption) in base64 text"},
		{"base64url without armour", []byte("k=" + base64.RawURLEncoding.EncodeToString(pkcs8(t, k.ec256))), "in base64 text"},
		{"base64 after a stray letter", []byte("x" + base64.StdEncoding.EncodeToString(sec1)), "SEC1 EC private key in base64 text"},
		{"hex in a bytea dump", []byte(`COPY certificates (id, key) FROM stdin;` + "\n1\t\\\\x" + hex.EncodeToString(pkcs8(t, k.ec256)) + "\n"), "in hex text"},
		{"API token in a log line", []byte(`level=INFO msg=request auth="Bearer ` + token + `"`), "Portico API token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Find(tt.data)
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Fatalf("Find = %q, want a finding containing %q", got, tt.want)
			}
			for _, f := range got {
				if strings.Contains(f, "MII") || strings.Contains(f, "ptk_") {
					t.Errorf("finding %q quotes the secret", f)
				}
			}
		})
	}
}

func TestFindOffsets(t *testing.T) {
	k := keys()
	prefix := "some log text\n"
	data := []byte(prefix + string(pemOf("EC PRIVATE KEY", mustSEC1(k.ec256))))
	got := Find(data)
	if len(got) == 0 || !strings.HasPrefix(got[0], "offset 14: PEM") {
		t.Fatalf("Find = %q, want the PEM block first at offset %d", got, len(prefix))
	}
}

func mustSEC1(k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		panic(err)
	}
	return der
}

func TestNoFalseHits(t *testing.T) {
	k := keys()
	rsaPub, _ := x509.MarshalPKIXPublicKey(k.rsa.Public())
	ecPub, _ := x509.MarshalPKIXPublicKey(k.ec256.Public())
	var sb strings.Builder
	sb.Write(pemOf("CERTIFICATE", k.rsaCert))
	sb.Write(pemOf("CERTIFICATE", k.ecCert))
	fingerprint := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name string
		data []byte
	}{
		{"certificate PEM bundle", []byte(sb.String())},
		{"certificate DER", append(append([]byte{}, k.rsaCert...), k.ecCert...)},
		{"certificate base64 in JSON", []byte(`{"certificate":"` + base64.StdEncoding.EncodeToString(k.rsaCert) + `"}`)},
		{"certificate hex", []byte(hex.EncodeToString(k.ecCert))},
		{"public keys", append(append(pemOf("PUBLIC KEY", rsaPub), ecPub...), x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)...)},
		{"random bytes", noise(4<<20, 3)},
		{"random base64", []byte(base64.StdEncoding.EncodeToString(noise(1<<20, 4)))},
		{"random hex", []byte(hex.EncodeToString(noise(1<<19, 5)))},
		{"fingerprints and ids", []byte(`{"fingerprint_sha256":"` + fingerprint + `","id":"0d3b2c8e-1c1d-4f56-9a1b-2f0e6a1c9e77"}`)},
		{"text mentioning keys", []byte("the private key is sealed; PRIVATE KEY material never leaves; ptk_ prefix")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Find(tt.data); len(got) > 0 {
				t.Errorf("Find = %q, want nothing", got)
			}
		})
	}
}

func FuzzFind(f *testing.F) {
	f.Add([]byte("-----BEGIN PRIVATE KEY-----"))
	f.Add([]byte{0x30, 0x13, 0x02, 0x01, 0x01, 0x04, 0x20})
	f.Add([]byte{0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x83, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Find(data) // must not panic
	})
}
