package cfclients

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	cf0 "github.com/cloudflare/cloudflare-go"
	cf7 "github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/testkit/node"
	"github.com/porticohq/portico/internal/testkit/secretscan"
)

// recorder is an http.RoundTripper that counts requests and keeps every
// response body, so tests can assert "sent once" and scan replies for keys.
type recorder struct {
	mu     sync.Mutex
	calls  map[string]int // "METHOD path" -> count
	bodies [][]byte
}

func newRecorder() *recorder { return &recorder{calls: map[string]int{}} }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[req.Method+" "+req.URL.Path]++
	if err == nil && resp.Body != nil {
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if rerr == nil {
			r.bodies = append(r.bodies, b)
		}
	}
	return resp, err
}

func (r *recorder) count(methodPath string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[methodPath]
}

// assertNoSecrets fails when any recorded response carries key material.
func (r *recorder) assertNoSecrets(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bodies {
		if hits := secretscan.Find(b); len(hits) > 0 {
			t.Errorf("a response carries secrets %v: %.300s", hits, b)
		}
	}
}

// env is one Portico node with two tenants and clients for each.
type env struct {
	node   *node.Node
	a, b   node.Tenant
	rec    *recorder
	v0     *cf0.API // tenant a, bearer token
	v7     *cf7.Client
	v7b    *cf7.Client // tenant b
	caPEM  []byte
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
}

func newEnv(t *testing.T, backend string) *env {
	t.Helper()
	e := &env{rec: newRecorder()}
	e.caCert, e.caKey, e.caPEM = newCA(t)
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, e.caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	e.node = node.Start(t, backend, func(c *config.Serve) { c.CustomCertRoots = roots })
	e.a = e.node.NewTenant(t, "saasprovider.com")
	e.b = e.node.NewTenant(t, "other-saas.net")
	var err error
	e.v0, err = cf0.NewWithAPIToken(e.a.Token, cf0.BaseURL(e.base()), cf0.UsingRateLimit(1000),
		cf0.HTTPClient(&http.Client{Transport: e.rec, Timeout: 30 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	e.v7 = e.client7(e.a.Token)
	e.v7b = e.client7(e.b.Token)
	return e
}

func (e *env) base() string { return e.node.BaseURL + "/client/v4" }

func (e *env) client7(token string, opts ...option.RequestOption) *cf7.Client {
	all := append([]option.RequestOption{
		option.WithBaseURL(e.base() + "/"),
		option.WithAPIToken(token),
		option.WithHTTPClient(&http.Client{Transport: e.rec, Timeout: 30 * time.Second}),
	}, opts...)
	return cf7.NewClient(all...)
}

// forEachBackend runs f on SQLite and on PostgreSQL.
func forEachBackend(t *testing.T, f func(t *testing.T, e *env)) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend)
			f(t, e)
			e.rec.assertNoSecrets(t)
		})
	}
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Portico Test Root"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// leaf issues an ECDSA P-256 certificate for names from the test CA and
// returns the certificate and key PEM.
func (e *env) leaf(t *testing.T, names ...string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return e.issue(t, key, names)
}

// leafRSA is leaf with an RSA 2048 key.
func (e *env) leafRSA(t *testing.T, names ...string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return e.issue(t, key, names)
}

func (e *env) issue(t *testing.T, key crypto.Signer, names []string) (certPEM, keyPEM string) {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(12 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, e.caCert, key.Public(), e.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}
