package config

import (
	"strings"
	"testing"
)

func TestExtraEABs(t *testing.T) {
	const mac = "c2VjcmV0LW1hYy1rZXk"
	base := Certs{
		ACMEDirectory: "https://acme-v02.api.letsencrypt.org/directory",
		ACMECAs:       "google=https://dv.acme-v02.api.pki.goog/directory,ssl_com=https://acme.ssl.com/sslcom-dv-ecc",
	}
	for _, tc := range []struct {
		name, eab string
		want      map[string]EABCredentials
		err       string
	}{
		{name: "none", eab: "", want: map[string]EABCredentials{}},
		{name: "one", eab: "google=kid-1:" + mac, want: map[string]EABCredentials{"google": {"kid-1", mac}}},
		{name: "two, spaced", eab: " google=kid-1:" + mac + " , ssl_com=k:2:" + mac,
			want: map[string]EABCredentials{"google": {"kid-1", mac}, "ssl_com": {"k:2", mac}}},
		{name: "no key id", eab: "google=:" + mac, err: "entry 1: want name=KEYID:HMAC"},
		{name: "no mac", eab: "google=kid-1:", err: "entry 1: want name=KEYID:HMAC"},
		{name: "no colon", eab: "google=" + mac, err: "entry 1: want name=KEYID:HMAC"},
		{name: "no name", eab: "=kid:" + mac, err: "want name=KEYID:HMAC"},
		{name: "the default CA", eab: "lets_encrypt=kid:" + mac, err: "--acme-eab-kid"},
		{name: "not a CA", eab: "zerossl=kid:" + mac, err: "zerossl is not a CA of --acme-ca"},
		{name: "padded", eab: "google=kid-1:" + mac + "=", want: map[string]EABCredentials{"google": {"kid-1", mac + "="}}},
		{name: "not base64url", eab: "google=kid-1:abc+/def", err: "not base64url"},
		{name: "twice", eab: "google=a:" + mac + ",google=b:" + mac, err: "google given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.ACMECAEAB = tc.eab
			got, err := c.ExtraEABs()
			verr := c.Validate("")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one saying %q", err, tc.err)
				}
				if verr == nil {
					t.Error("Validate accepts it")
				}
				if strings.Contains(err.Error(), mac) {
					t.Errorf("the error quotes the MAC key: %v", err)
				}
				return
			}
			if err != nil || verr != nil {
				t.Fatalf("ExtraEABs: %v; Validate: %v", err, verr)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: got %+v, want %+v", k, got[k], v)
				}
			}
		})
	}
}

func TestDefaultEABValidate(t *testing.T) {
	for _, tc := range []struct {
		kid, hmac, err string
	}{
		{"", "", ""},
		{"kid-1", "c2VjcmV0LW1hYy1rZXk", ""},
		{"kid-1", "c2VjcmV0LW1hYy1rZXk=", ""},
		{"kid-1", "", "go together"},
		{"", "c2VjcmV0LW1hYy1rZXk", "go together"},
		{"kid-1", "not base64!", "--acme-eab-hmac: the MAC key is not base64url"},
	} {
		c := Certs{ACMEDirectory: "https://ca.example/directory", ACMEEABKeyID: tc.kid, ACMEEABHMAC: tc.hmac}
		err := c.Validate("")
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("kid %q hmac %q: %v, want %q", tc.kid, tc.hmac, err, tc.err)
		}
		if err != nil && tc.hmac != "" && strings.Contains(err.Error(), tc.hmac) {
			t.Errorf("the error quotes the MAC key: %v", err)
		}
	}
}
