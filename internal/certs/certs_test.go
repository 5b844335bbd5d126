package certs

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/core"
)

var certComparer = cmp.Comparer(func(a, b *x509.Certificate) bool { return a.Equal(b) })

func TestParseCustomGood(t *testing.T) {
	p := testPKI(t)
	fp := func(n *node) string {
		s := sha256.Sum256(n.cert.Raw)
		return hex.EncodeToString(s[:])
	}
	tests := []struct {
		name      string
		cert, key string
		opts      Options
		want      Parsed
	}{
		{
			name: "RSA 2048 leaf, ubiquitous",
			cert: chainPEM(p.leafRSA, p.interRSA),
			key:  pkcs8(t, p.leafRSA.key),
			opts: Options{Hostname: "www.example.com", Bundle: core.BundleUbiquitous, Now: now, Roots: p.roots},
			want: Parsed{
				ChainPEM:          []byte(chainPEM(p.leafRSA, p.interRSA)),
				KeyPEM:            []byte(pkcs8(t, p.leafRSA.key)),
				Leaf:              p.leafRSA.cert,
				Issuer:            "Portico Test RSA CA",
				SerialNumber:      "123456789012345",
				Signature:         "SHA256WithRSA",
				FingerprintSHA256: fp(p.leafRSA),
				Hosts:             []string{"www.example.com", "example.com"},
				NotBefore:         p.leafRSA.cert.NotBefore,
				NotAfter:          p.leafRSA.cert.NotAfter,
			},
		},
		{
			name: "ECDSA P-256 wildcard leaf, optimal, issuer named by organization",
			cert: chainPEM(p.leafEC, p.interEC),
			key:  keyPEM(t, p.leafEC.key, "sec1"),
			opts: Options{Hostname: "*.example.com", Bundle: core.BundleOptimal, Now: now, Roots: p.roots},
			want: Parsed{
				ChainPEM:          []byte(chainPEM(p.leafEC, p.interEC)),
				KeyPEM:            []byte(pkcs8(t, p.leafEC.key)),
				Leaf:              p.leafEC.cert,
				Issuer:            "Portico EC Issuing",
				SerialNumber:      "4242",
				Signature:         "ECDSAWithSHA384",
				FingerprintSHA256: fp(p.leafEC),
				Hosts:             []string{"*.example.com"},
				NotBefore:         p.leafEC.cert.NotBefore,
				NotAfter:          p.leafEC.cert.NotAfter,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCustom(tt.cert, tt.key, tt.opts)
			if err != nil {
				t.Fatalf("ParseCustom: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, certComparer); diff != "" {
				t.Errorf("Parsed mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseCustomAccepts covers inputs that must be accepted, and what the
// edge would serve for them.
func TestParseCustomAccepts(t *testing.T) {
	p := testPKI(t)
	k := keys()
	ok := func(hostname string) Options {
		return Options{Hostname: hostname, Now: now, Roots: p.roots}
	}
	force := func(hostname string) Options {
		o := ok(hostname)
		o.Bundle = core.BundleForce
		o.Roots = x509.NewCertPool() // force must not consult it
		return o
	}
	untrustedRoot := mk(t, spec{cn: "Untrusted Root", ca: true, key: k.ecD})
	untrustedLeaf := mk(t, spec{cn: "app.example.net", dns: []string{"app.example.net"}, key: k.ecE, parent: untrustedRoot})
	sha1Leaf := mk(t, spec{cn: "legacy.example.com", dns: []string{"legacy.example.com"}, key: k.ecE,
		parent: p.interRSA, sigAlg: x509.SHA1WithRSA})
	sha384Leaf := mk(t, spec{cn: "s384.example.com", dns: []string{"s384.example.com"}, key: k.ecE,
		parent: p.interRSA, sigAlg: x509.SHA384WithRSA})
	selfSigned := mk(t, spec{cn: "self.example.com", dns: []string{"self.example.com"}, key: k.ecE})
	upperSAN := mk(t, spec{cn: "x", dns: []string{"WWW.Example.COM"}, key: k.ecE, parent: p.interEC})

	tests := []struct {
		name      string
		cert, key string
		opts      Options
		wantChain string
		wantSig   string
	}{
		{"no bundle method means ubiquitous", chainPEM(p.leafRSA, p.interRSA), pkcs8(t, p.leafRSA.key), ok("example.com"), chainPEM(p.leafRSA, p.interRSA), "SHA256WithRSA"},
		{"PKCS#1 RSA key", chainPEM(p.leafRSA, p.interRSA), keyPEM(t, p.leafRSA.key, "pkcs1"), ok("www.example.com"), chainPEM(p.leafRSA, p.interRSA), ""},
		{"SEC1 EC key after EC PARAMETERS", chainPEM(p.leafEC, p.interEC), "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + keyPEM(t, p.leafEC.key, "sec1"), ok("a.example.com"), chainPEM(p.leafEC, p.interEC), ""},
		{"PKCS#8 key labelled RSA PRIVATE KEY", chainPEM(p.leafRSA, p.interRSA), strings.ReplaceAll(pkcs8(t, p.leafRSA.key), "PRIVATE KEY", "RSA PRIVATE KEY"), ok("www.example.com"), chainPEM(p.leafRSA, p.interRSA), ""},
		{"wildcard cert covers one label", chainPEM(p.leafEC, p.interEC), pkcs8(t, p.leafEC.key), ok("shop.example.com"), chainPEM(p.leafEC, p.interEC), ""},
		{"SAN case is ignored", chainPEM(upperSAN, p.interEC), pkcs8(t, k.ecE), ok("www.example.com"), chainPEM(upperSAN, p.interEC), ""},
		{"leaf uploaded after its intermediate", chainPEM(p.interRSA, p.leafRSA), pkcs8(t, p.leafRSA.key), ok("example.com"), chainPEM(p.leafRSA, p.interRSA), ""},
		{"root in the upload is not served", chainPEM(p.leafRSA, p.interRSA, p.root), pkcs8(t, p.leafRSA.key), ok("example.com"), chainPEM(p.leafRSA, p.interRSA), ""},
		{"unrelated uploaded CA is not served", chainPEM(p.leafRSA, p.interEC, p.interRSA), pkcs8(t, p.leafRSA.key), ok("example.com"), chainPEM(p.leafRSA, p.interRSA), ""},
		{"duplicate leaf is ignored", chainPEM(p.leafRSA, p.leafRSA, p.interRSA), pkcs8(t, p.leafRSA.key), ok("example.com"), chainPEM(p.leafRSA, p.interRSA), ""},
		{"openssl text before blocks", "subject=CN = www.example.com\nissuer=CN = Portico Test RSA CA\n" + chainPEM(p.leafRSA) + "Bag Attributes\n" + chainPEM(p.interRSA) + "\n\n", pkcs8(t, p.leafRSA.key), ok("example.com"), chainPEM(p.leafRSA, p.interRSA), ""},
		{"CRLF line endings", strings.ReplaceAll(chainPEM(p.leafRSA, p.interRSA), "\n", "\r\n"), strings.ReplaceAll(pkcs8(t, p.leafRSA.key), "\n", "\r\n"), ok("example.com"), chainPEM(p.leafRSA, p.interRSA), ""},
		{"empty hostname skips the coverage check", chainPEM(p.leafRSA, p.interRSA), pkcs8(t, p.leafRSA.key), ok(""), chainPEM(p.leafRSA, p.interRSA), ""},
		{"SHA-384/RSA accepted", chainPEM(sha384Leaf, p.interRSA), pkcs8(t, k.ecE), ok("s384.example.com"), chainPEM(sha384Leaf, p.interRSA), "SHA384WithRSA"},
		{"SHA-1/RSA accepted with force", chainPEM(sha1Leaf, p.interRSA), pkcs8(t, k.ecE), force("legacy.example.com"), chainPEM(sha1Leaf, p.interRSA), "SHA1WithRSA"},
		{"force serves an untrusted chain", chainPEM(untrustedLeaf, untrustedRoot), pkcs8(t, k.ecE), force("app.example.net"), chainPEM(untrustedLeaf, untrustedRoot), "ECDSAWithSHA256"},
		{"force reorders leaf first", chainPEM(untrustedRoot, untrustedLeaf), pkcs8(t, k.ecE), force("app.example.net"), chainPEM(untrustedLeaf, untrustedRoot), ""},
		{"force follows issuers", chainPEM(p.root, p.leafRSA, p.interRSA), pkcs8(t, p.leafRSA.key), force("example.com"), chainPEM(p.leafRSA, p.interRSA, p.root), ""},
		{"force with the leaf alone", chainPEM(p.leafRSA), pkcs8(t, p.leafRSA.key), force("example.com"), chainPEM(p.leafRSA), ""},
		{"force with a self-signed leaf", chainPEM(selfSigned), pkcs8(t, k.ecE), force("self.example.com"), chainPEM(selfSigned), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCustom(tt.cert, tt.key, tt.opts)
			if err != nil {
				t.Fatalf("ParseCustom: %v", err)
			}
			if diff := cmp.Diff(tt.wantChain, string(got.ChainPEM)); diff != "" {
				t.Errorf("ChainPEM mismatch (-want +got):\n%s", diff)
			}
			if tt.wantSig != "" && got.Signature != tt.wantSig {
				t.Errorf("Signature = %q, want %q", got.Signature, tt.wantSig)
			}
			block, _ := pem.Decode(got.KeyPEM)
			if block == nil || block.Type != "PRIVATE KEY" {
				t.Fatalf("KeyPEM is not a PKCS#8 PEM block")
			}
			if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
				t.Errorf("KeyPEM: %v", err)
			}
		})
	}
}

// TestBundleChoice checks optimal and ubiquitous against a cross-signed
// hierarchy: newRoot is trusted directly and, through crossNew, via the older
// oldRoot.
func TestBundleChoice(t *testing.T) {
	k := keys()
	oldRoot := mk(t, spec{cn: "Old Root", ca: true, key: k.ecA, notBefore: now.AddDate(-15, 0, 0), notAfter: now.AddDate(5, 0, 0)})
	newRoot := mk(t, spec{cn: "New Root", ca: true, key: k.ecD, notBefore: now.AddDate(-1, 0, 0), notAfter: now.AddDate(20, 0, 0)})
	crossNew := mk(t, spec{cn: "New Root", ca: true, key: k.ecD, parent: oldRoot, notAfter: now.AddDate(4, 0, 0)})
	inter := mk(t, spec{cn: "Issuing CA", ca: true, key: k.ecC, parent: newRoot})
	leaf := mk(t, spec{cn: "x.example.com", dns: []string{"x.example.com"}, key: k.ecE, parent: inter})
	roots := x509.NewCertPool()
	roots.AddCert(oldRoot.cert)
	roots.AddCert(newRoot.cert)
	upload := chainPEM(leaf, inter, crossNew)
	for _, tt := range []struct {
		method core.BundleMethod
		want   string
	}{
		{core.BundleOptimal, chainPEM(leaf, inter)},
		{core.BundleUbiquitous, chainPEM(leaf, inter, crossNew)},
		{"", chainPEM(leaf, inter, crossNew)},
		{core.BundleForce, chainPEM(leaf, inter, crossNew)},
	} {
		name := string(tt.method)
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			got, err := ParseCustom(upload, pkcs8(t, k.ecE), Options{Hostname: "x.example.com", Bundle: tt.method, Now: now, Roots: roots})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got.ChainPEM)); diff != "" {
				t.Errorf("ChainPEM mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
