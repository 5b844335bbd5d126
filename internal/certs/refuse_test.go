package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/testkit/secretscan"
)

func TestParseCustomRefuses(t *testing.T) {
	p := testPKI(t)
	k := keys()
	opts := func(hostname string) Options {
		return Options{Hostname: hostname, Now: now, Roots: p.roots}
	}
	withBundle := func(o Options, m core.BundleMethod) Options { o.Bundle = m; return o }

	goodCert, goodKey := chainPEM(p.leafRSA, p.interRSA), pkcs8(t, p.leafRSA.key)
	expired := mk(t, spec{cn: "old.example.com", dns: []string{"old.example.com"}, key: k.ecE, parent: p.interEC,
		notBefore: now.AddDate(-1, 0, 0), notAfter: now.Add(-time.Second)})
	future := mk(t, spec{cn: "new.example.com", dns: []string{"new.example.com"}, key: k.ecE, parent: p.interEC,
		notBefore: now.Add(time.Hour)})
	cnOnly := mk(t, spec{cn: "cn.example.com", key: k.ecE, parent: p.interEC})
	single := mk(t, spec{cn: "a.example.com", dns: []string{"a.example.com"}, key: k.ecE, parent: p.interEC})
	edLeaf := mk(t, spec{cn: "ed.example.com", dns: []string{"ed.example.com"}, key: k.ed, parent: p.interEC})
	edCA := mk(t, spec{cn: "Ed25519 CA", ca: true, key: k.ed, parent: p.root})
	edSigned := mk(t, spec{cn: "eds.example.com", dns: []string{"eds.example.com"}, key: k.ecE, parent: edCA})
	sha1Leaf := mk(t, spec{cn: "legacy.example.com", dns: []string{"legacy.example.com"}, key: k.ecE,
		parent: p.interRSA, sigAlg: x509.SHA1WithRSA})
	untrustedRoot := mk(t, spec{cn: "Untrusted Root", ca: true, key: k.ecD})
	untrustedLeaf := mk(t, spec{cn: "app.example.net", dns: []string{"app.example.net"}, key: k.ecE, parent: untrustedRoot})
	expiredInter := mk(t, spec{cn: "Expired CA", ca: true, key: k.ecD, parent: p.root,
		notBefore: now.AddDate(-2, 0, 0), notAfter: now.Add(-time.Hour)})
	underExpired := mk(t, spec{cn: "u.example.com", dns: []string{"u.example.com"}, key: k.ecE, parent: expiredInter,
		notAfter: now.Add(-time.Minute).Add(time.Hour * 24)})
	clientOnly := mk(t, spec{cn: "c.example.com", dns: []string{"c.example.com"}, key: k.ecE, parent: p.interEC,
		eku: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	// impostor has interRSA's name but another key: it cannot have signed leafRSA.
	impostor := mk(t, spec{cn: "Portico Test RSA CA", ca: true, key: k.ecD, parent: p.root})
	rsa1024Leaf := mk(t, spec{cn: "weak.example.com", dns: []string{"weak.example.com"}, key: k.rsa1024, parent: p.interEC})
	p521Leaf := mk(t, spec{cn: "p521.example.com", dns: []string{"p521.example.com"}, key: k.p521, parent: p.interEC})
	// nonCAIssuer is a v3 non-CA certificate that signed a leaf (force must refuse the pair).
	nonCAIssuer := mk(t, spec{cn: "Not A CA", key: k.ecD, parent: p.root})
	underNonCA := mk(t, spec{cn: "n.example.com", dns: []string{"n.example.com"}, key: k.ecE, parent: nonCAIssuer})

	eleven := strings.Repeat(chainPEM(p.interRSA), 10) + chainPEM(p.leafRSA)
	var manyDistinct []*node
	for i := range 11 {
		manyDistinct = append(manyDistinct, mk(t, spec{cn: "CA", ca: true, key: k.ecD, parent: p.root, serial: int64(i + 1)}))
	}
	encryptedKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"},
		Bytes:   []byte("ciphertext")}))
	garbageBlock := "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
	truncated := goodCert + "-----BEGIN CERTIFICATE-----\nMIIB\n"
	damagedFirst := "-----BEGIN CERTIFICATE-----\nMIIB!!!\n" + goodCert

	tests := []struct {
		name       string
		cert, key  string
		opts       Options
		wantReason string
	}{
		{"bad bundle method", goodCert, goodKey, withBundle(opts("example.com"), "bogus"), ReasonBadBundleMethod},
		{"bundle method is case-sensitive", goodCert, goodKey, withBundle(opts("example.com"), "Force"), ReasonBadBundleMethod},
		{"empty certificate", "", goodKey, opts("example.com"), ReasonCertEmpty},
		{"blank certificate", " \n\t", goodKey, opts("example.com"), ReasonCertEmpty},
		{"not PEM", "hello, this is my certificate", goodKey, opts("example.com"), ReasonCertUnparseable},
		{"raw DER", string(p.leafRSA.cert.Raw), goodKey, opts("example.com"), ReasonCertUnparseable},
		{"garbage in a PEM block", garbageBlock, goodKey, opts("example.com"), ReasonCertUnparseable},
		{"trailing junk", goodCert + "junk\n", goodKey, opts("example.com"), ReasonCertUnparseable},
		{"truncated last block", truncated, goodKey, opts("example.com"), ReasonCertUnparseable},
		{"damaged block before good ones", damagedFirst, goodKey, opts("example.com"), ReasonCertUnparseable},
		{"key in the certificate field", goodKey, goodKey, opts("example.com"), ReasonCertUnparseable},
		{"key with the certificate", goodCert + goodKey, goodKey, opts("example.com"), ReasonCertUnparseable},
		{"public key block", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", goodKey, opts("example.com"), ReasonCertUnparseable},
		{"eleven certificates", chainPEM(append(manyDistinct, p.leafRSA)...), goodKey, opts("example.com"), ReasonCertUnparseable},
		{"eleven blocks with duplicates", eleven, goodKey, opts("example.com"), ReasonCertUnparseable},
		{"over 1 MiB", goodCert + strings.Repeat(" ", maxCertInput), goodKey, opts("example.com"), ReasonCertUnparseable},
		{"a megabyte of BEGIN lines", strings.Repeat("-----BEGIN X-----\n", maxCertInput/19), goodKey, opts("example.com"), ReasonCertUnparseable},
		{"empty key", goodCert, "", opts("example.com"), ReasonKeyUnparseable},
		{"garbage key", goodCert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", opts("example.com"), ReasonKeyUnparseable},
		{"key not PEM", goodCert, "not a key", opts("example.com"), ReasonKeyUnparseable},
		{"key with trailing junk", goodCert, goodKey + "x", opts("example.com"), ReasonKeyUnparseable},
		{"encrypted key", goodCert, encryptedKey, opts("example.com"), ReasonKeyUnparseable},
		{"PKCS#8 encrypted key", goodCert, strings.ReplaceAll(goodKey, "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), opts("example.com"), ReasonKeyUnparseable},
		{"certificate in the key field", goodCert, goodCert, opts("example.com"), ReasonKeyUnparseable},
		{"two keys", goodCert, goodKey + goodKey, opts("example.com"), ReasonKeyUnparseable},
		{"key over 64 KiB", goodCert, goodKey + strings.Repeat("\n", maxKeyInput), opts("example.com"), ReasonKeyUnparseable},
		{"Ed25519 leaf and key", chainPEM(edLeaf, p.interEC), pkcs8(t, k.ed), opts("ed.example.com"), ReasonKeyUnparseable},
		{"RSA 1024 key", chainPEM(rsa1024Leaf, p.interEC), pkcs8(t, k.rsa1024), opts("weak.example.com"), ReasonKeyUnparseable},
		{"P-521 key", chainPEM(p521Leaf, p.interEC), pkcs8(t, k.p521), opts("p521.example.com"), ReasonKeyUnparseable},
		{"swapped key", goodCert, pkcs8(t, p.leafEC.key), opts("example.com"), ReasonKeyMismatch},
		{"key of the intermediate", goodCert, pkcs8(t, p.interRSA.key), opts("example.com"), ReasonKeyMismatch},
		{"two leaves", chainPEM(p.leafRSA, p.leafEC, p.interRSA, p.interEC), goodKey, opts("example.com"), ReasonMultipleLeaves},
		{"only CA certificates", chainPEM(p.interRSA, p.root), goodKey, opts("example.com"), ReasonNoLeaf},
		{"Ed25519-signed leaf", chainPEM(edSigned, edCA), pkcs8(t, k.ecE), opts("eds.example.com"), ReasonUnsupportedSig},
		{"expired", chainPEM(expired, p.interEC), pkcs8(t, k.ecE), opts("old.example.com"), ReasonCertExpired},
		{"not yet valid", chainPEM(future, p.interEC), pkcs8(t, k.ecE), opts("new.example.com"), ReasonCertNotYetValid},
		{"SAN mismatch", goodCert, goodKey, opts("shop.example.com"), ReasonHostnameMismatch},
		{"parent name not covered", chainPEM(single, p.interEC), pkcs8(t, k.ecE), opts("example.com"), ReasonHostnameMismatch},
		{"wildcard cert, two labels deep", chainPEM(p.leafEC, p.interEC), pkcs8(t, p.leafEC.key), opts("a.b.example.com"), ReasonHostnameMismatch},
		{"wildcard cert, apex", chainPEM(p.leafEC, p.interEC), pkcs8(t, p.leafEC.key), opts("example.com"), ReasonHostnameMismatch},
		{"wildcard hostname, single-name cert", chainPEM(single, p.interEC), pkcs8(t, k.ecE), opts("*.example.com"), ReasonHostnameMismatch},
		{"wildcard hostname, other base", chainPEM(p.leafEC, p.interEC), pkcs8(t, p.leafEC.key), opts("*.shop.example.com"), ReasonHostnameMismatch},
		{"common name only", chainPEM(cnOnly, p.interEC), pkcs8(t, k.ecE), opts("cn.example.com"), ReasonHostnameMismatch},
		{"untrusted root, ubiquitous", chainPEM(untrustedLeaf, untrustedRoot), pkcs8(t, k.ecE), withBundle(opts("app.example.net"), core.BundleUbiquitous), ReasonBundleFailed},
		{"untrusted root, optimal", chainPEM(untrustedLeaf, untrustedRoot), pkcs8(t, k.ecE), withBundle(opts("app.example.net"), core.BundleOptimal), ReasonBundleFailed},
		{"missing intermediate", chainPEM(p.leafRSA), goodKey, opts("example.com"), ReasonBundleFailed},
		{"nil Roots means the system roots", goodCert, goodKey, Options{Hostname: "example.com", Now: now}, ReasonBundleFailed},
		{"SHA-1 leaf, ubiquitous", chainPEM(sha1Leaf, p.interRSA), pkcs8(t, k.ecE), opts("legacy.example.com"), ReasonBundleFailed},
		{"expired intermediate", chainPEM(underExpired, expiredInter), pkcs8(t, k.ecE), opts("u.example.com"), ReasonBundleFailed},
		{"client-auth-only leaf", chainPEM(clientOnly, p.interEC), pkcs8(t, k.ecE), opts("c.example.com"), ReasonBundleFailed},
		{"impostor intermediate, ubiquitous", chainPEM(p.leafRSA, impostor), goodKey, opts("example.com"), ReasonBundleFailed},
		{"impostor intermediate, force", chainPEM(p.leafRSA, impostor), goodKey, withBundle(opts("example.com"), core.BundleForce), ReasonBundleFailed},
		{"stray CA, force", chainPEM(p.leafRSA, p.interRSA, p.interEC), goodKey, withBundle(opts("example.com"), core.BundleForce), ReasonBundleFailed},
		{"non-CA issuer, force", chainPEM(underNonCA, nonCAIssuer), pkcs8(t, k.ecE), withBundle(opts("n.example.com"), core.BundleForce), ReasonBundleFailed},
	}
	keyBodies := []string{goodKey, pkcs8(t, p.leafEC.key), pkcs8(t, p.interRSA.key), pkcs8(t, k.ed), pkcs8(t, k.ecE)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCustom(tt.cert, tt.key, tt.opts)
			if err == nil {
				t.Fatalf("ParseCustom accepted it (chain of %d bytes)", len(got.ChainPEM))
			}
			var ce *core.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *core.Error: %v", err, err)
			}
			if ce.Kind != core.KindInvalid || ce.Reason != tt.wantReason {
				t.Errorf("Kind, Reason = %v, %q; want KindInvalid, %q (%s)", ce.Kind, ce.Reason, tt.wantReason, ce.Public)
			}
			t.Logf("%s: %s", ce.Reason, ce.Public)
			if ce.Public == "" || !strings.HasSuffix(ce.Public, ".") {
				t.Errorf("Public %q is not a sentence", ce.Public)
			}
			checkNoKeyMaterial(t, err.Error(), keyBodies)
		})
	}
}

// checkNoKeyMaterial fails if an error text carries any part of a key.
func checkNoKeyMaterial(t *testing.T, msg string, keyPEMs []string) {
	t.Helper()
	if hits := secretscan.Find([]byte(msg)); len(hits) > 0 {
		t.Errorf("error text holds secrets: %v", hits)
	}
	for _, k := range keyPEMs {
		block, _ := pem.Decode([]byte(k))
		body := strings.Split(strings.TrimSpace(k), "\n")
		for _, line := range body[1 : len(body)-1] {
			if len(line) >= 16 && strings.Contains(msg, line[:16]) {
				t.Errorf("error text holds a line of a %s", block.Type)
			}
		}
	}
}

func TestErrorTexts(t *testing.T) {
	p := testPKI(t)
	tests := []struct {
		name      string
		cert, key string
		opts      Options
		want      []string
	}{
		{"mismatch names the covered names", chainPEM(p.leafRSA, p.interRSA), pkcs8(t, p.leafRSA.key),
			Options{Hostname: "shop.example.com", Now: now, Roots: p.roots},
			[]string{"shop.example.com", `"www.example.com", "example.com"`}},
		{"expiry date", chainPEM(p.leafRSA, p.interRSA), pkcs8(t, p.leafRSA.key),
			Options{Hostname: "example.com", Now: p.leafRSA.cert.NotAfter.Add(time.Second), Roots: p.roots},
			[]string{"expired", p.leafRSA.cert.NotAfter.UTC().Format("2006-01-02")}},
		{"unknown issuer explains what to do", chainPEM(p.leafRSA), pkcs8(t, p.leafRSA.key),
			Options{Hostname: "example.com", Now: now, Roots: p.roots},
			[]string{"intermediate", "force"}},
		{"bundle method is quoted", chainPEM(p.leafRSA), pkcs8(t, p.leafRSA.key),
			Options{Bundle: "user_defined"}, []string{`"user_defined"`, "ubiquitous, optimal or force"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCustom(tt.cert, tt.key, tt.opts)
			if err == nil {
				t.Fatal("want an error")
			}
			public := core.AsError(err).Public
			for _, w := range tt.want {
				if !strings.Contains(public, w) {
					t.Errorf("Public %q does not contain %q", public, w)
				}
			}
		})
	}
}
