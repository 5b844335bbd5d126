package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/porticohq/portico/internal/core"
)

var knownReasons = map[string]bool{
	ReasonCertUnparseable: true, ReasonCertEmpty: true, ReasonKeyUnparseable: true, ReasonKeyMismatch: true,
	ReasonBundleFailed: true, ReasonMultipleLeaves: true, ReasonNoLeaf: true, ReasonHostnameMismatch: true,
	ReasonUnsupportedSig: true, ReasonBadBundleMethod: true, ReasonCertExpired: true, ReasonCertNotYetValid: true,
}

// FuzzParseCustom checks that no input panics, that every refusal is a
// well-formed domain error, and that an accepted upload is consistent. It
// uses ECDSA certificates only: RSA key generation under the fuzzer's
// instrumentation would stall every worker start.
func FuzzParseCustom(f *testing.F) {
	k := ecOnly()
	root := mk(f, spec{cn: "Fuzz Root", ca: true, key: k.ecA, notBefore: now.AddDate(-1, 0, 0)})
	inter := mk(f, spec{org: "Fuzz CA", ca: true, key: k.ecC, parent: root})
	leaf := mk(f, spec{cn: "www.example.com", dns: []string{"www.example.com", "*.example.com"}, key: k.ecB, parent: inter})
	other := mk(f, spec{cn: "other.example.com", dns: []string{"other.example.com"}, key: k.ecD, parent: inter})
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)
	good, goodKey := chainPEM(leaf, inter), pkcs8(f, k.ecB)
	f.Add(good, goodKey, "www.example.com", "")
	f.Add(good, keyPEM(f, k.ecB, "sec1"), "*.example.com", "optimal")
	f.Add(chainPEM(inter, leaf, root), goodKey, "a.example.com", "force")
	f.Add(chainPEM(leaf, other, inter), goodKey, "www.example.com", "ubiquitous")
	f.Add(good, pkcs8(f, k.ecD), "example.com", "ubiquitous")
	f.Add(good+"junk", goodKey, "example.com", "")
	f.Add(chainPEM(leaf), pkcs8(f, k.ed), "", "force")
	f.Add("-----BEGIN CERTIFICATE-----\nMIIB\n", "", "", "bogus")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, certPEM, keyPEM, hostname, method string) {
		got, err := ParseCustom(certPEM, keyPEM, Options{Hostname: hostname, Bundle: core.BundleMethod(method), Now: now, Roots: roots})
		if err != nil {
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Kind != core.KindInvalid || !knownReasons[ce.Reason] || ce.Public == "" {
				t.Fatalf("unexpected error shape: %#v", err)
			}
			return
		}
		block, _ := pem.Decode(got.ChainPEM)
		if block == nil {
			t.Fatal("accepted, but ChainPEM is empty")
		}
		leaf, err := x509.ParseCertificate(block.Bytes)
		if err != nil || !leaf.Equal(got.Leaf) {
			t.Fatal("ChainPEM does not start with the leaf")
		}
		if k, _ := pem.Decode(got.KeyPEM); k == nil || k.Type != "PRIVATE KEY" {
			t.Fatal("KeyPEM is not PKCS#8 PEM")
		}
	})
}
