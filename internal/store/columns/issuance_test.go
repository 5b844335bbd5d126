package columns

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/acme"
)

func TestIssuanceColumns(t *testing.T) {
	if Authzs(nil) != nil || Authzs([]acme.Authz{}) != nil || Result(nil) != nil {
		t.Error("an empty value did not encode as NULL")
	}
	if r, err := ParseResult(nil); r != nil || err != nil {
		t.Errorf("ParseResult(NULL) = %v, %v; want nil", r, err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	authzs := []acme.Authz{{URL: "u", Identifier: "*.x.example", Status: "pending", ChallengeType: "dns-01",
		ChallengeURL: "c", Token: "t", KeyAuth: "t.k", TXTValue: "v"}, {URL: "u2"}}
	gotAuthzs, err := ParseAuthzs(Authzs(authzs))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(authzs, gotAuthzs); d != "" {
		t.Errorf("authzs (-want +got):\n%s", d)
	}
	for _, r := range []*acme.Result{
		{CertificateID: "id"},
		{CertificateID: "id", ChainPEM: []byte("pem"), KeyCiphertext: []byte{0, 0xff}, Issuer: "ï", SerialNumber: "1",
			Signature: "s", FingerprintSHA256: "f", Hosts: []string{"a", "b"}, NotBefore: at, NotAfter: at.Add(time.Hour),
			ARICertID: "ari", ARI: &acme.Window{Start: at, End: at.Add(time.Hour), ExplanationURL: "e", RetryAfter: at}},
	} {
		got, err := ParseResult(Result(r))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(r, got); d != "" {
			t.Errorf("result (-want +got):\n%s", d)
		}
	}
	if _, err := ParseResult(ptr("{")); err == nil {
		t.Error("a broken result decoded")
	}
}

func ptr(s string) *string { return &s }
