package service_test

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/certs"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/testkit/secretscan"
)

func custom(h core.Hostname) []core.Certificate {
	var out []core.Certificate
	for _, c := range h.SSL.Certificates {
		if c.Source == core.SourceCustom {
			out = append(out, c)
		}
	}
	return out
}

func TestUploadedCertificates(t *testing.T) {
	e := servicetest.New(t, nil)
	z, _ := e.Zone(t, saas)
	const host = "secure.example-customer.com"
	rsaCert, rsaKey := e.CA.Issue(t, "rsa", host)
	ecCert, ecKey := e.CA.Issue(t, "ecdsa", host)

	h, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: host,
		SSL: &service.SSLInput{CustomCertificates: []service.CertKeyPair{{Certificate: rsaCert, Key: rsaKey}}}})
	if err != nil {
		t.Fatal(err)
	}
	if h.SSL.Status != core.SSLActive || len(custom(h)) != 1 {
		t.Fatalf("ssl status %s with %d uploaded certificates", h.SSL.Status, len(custom(h)))
	}
	c := custom(h)[0]
	if c.Issuer == "" || c.SerialNumber == "" || c.FingerprintSHA256 == "" || c.ExpiresOn.IsZero() || !c.UploadedOn.Equal(servicetest.Start.Truncate(1000)) {
		t.Errorf("certificate metadata = %+v", c)
	}
	// The key is stored sealed, bound to this certificate and hostname.
	plain, err := e.Box.Open(c.KeyCiphertext, "certificate_key:"+c.ID+":"+h.ID)
	if err != nil {
		t.Fatalf("opening the sealed key: %v", err)
	}
	if !strings.Contains(string(plain), "PRIVATE KEY") {
		t.Errorf("sealed key is not PEM")
	}
	if _, err := e.Box.Open(c.KeyCiphertext, "certificate_key:"+c.ID+":"+ident.UUID()); err == nil {
		t.Error("the sealed key opened with another hostname's AAD")
	}

	t.Run("revalidate keeps an active uploaded certificate", func(t *testing.T) {
		got, err := e.Svc.EditHostname(ctx, z.ID, h.ID, service.HostnamePatch{SSL: &service.SSLInput{Method: ptr("http"), Type: ptr("dv")}})
		if err != nil || got.SSL.Status != core.SSLActive {
			t.Errorf("status %s, %v", got.SSL.Status, err)
		}
	})

	t.Run("edit uploads a bundle that replaces it", func(t *testing.T) {
		got, err := e.Svc.EditHostname(ctx, z.ID, h.ID, service.HostnamePatch{SSL: &service.SSLInput{CustomCertificates: []service.CertKeyPair{
			{Certificate: rsaCert, Key: rsaKey}, {Certificate: ecCert, Key: ecKey}}}})
		if err != nil {
			t.Fatal(err)
		}
		cs := custom(got)
		if len(cs) != 2 || cs[0].ID == c.ID || cs[1].ID == c.ID {
			t.Fatalf("after the bundle upload: %d certificates (%v)", len(cs), cs)
		}
		h = got
	})

	t.Run("replace one certificate of the pack", func(t *testing.T) {
		cs := custom(h)
		var rsaID string
		for _, c := range cs {
			if isRSA(t, c) {
				rsaID = c.ID
			}
		}
		newCert, newKey := e.CA.Issue(t, "rsa", host)
		got, err := e.Svc.ReplaceCertificate(ctx, z.ID, h.ID, h.SSL.ID, rsaID, newCert, newKey)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, c := range custom(got) {
			if c.ID == rsaID {
				found = true
				if leaf := leafOf(t, c); leaf.SerialNumber.String() != c.SerialNumber || c.SerialNumber == "" {
					t.Errorf("serial %s", c.SerialNumber)
				}
			}
		}
		if !found || len(custom(got)) != 2 {
			t.Errorf("replaced certificate kept id: %v; %d certificates", found, len(custom(got)))
		}
		// Replacing the RSA certificate with an ECDSA one would leave two ECDSA.
		_, err = e.Svc.ReplaceCertificate(ctx, z.ID, h.ID, h.SSL.ID, rsaID, ecCert, ecKey)
		wantErr(t, err, core.KindInvalid, service.ReasonInvalidCertBundle)
		_, err = e.Svc.ReplaceCertificate(ctx, z.ID, h.ID, ident.UUID(), rsaID, newCert, newKey)
		wantErr(t, err, core.KindNotFound, service.ReasonCertificateNotFound)
		_, err = e.Svc.ReplaceCertificate(ctx, z.ID, h.ID, h.SSL.ID, ident.UUID(), newCert, newKey)
		wantErr(t, err, core.KindNotFound, service.ReasonCertificateNotFound)
		_, err = e.Svc.ReplaceCertificate(ctx, z.ID, h.ID, h.SSL.ID, rsaID, newCert, ecKey)
		wantErr(t, err, core.KindInvalid, certs.ReasonKeyMismatch)
	})

	t.Run("delete one, never the last", func(t *testing.T) {
		cs := custom(h)
		if err := e.Svc.DeleteCertificate(ctx, z.ID, h.ID, h.SSL.ID, cs[0].ID); err != nil {
			t.Fatal(err)
		}
		got, _ := e.Svc.GetHostname(ctx, z.ID, h.ID)
		if len(custom(got)) != 1 {
			t.Fatalf("%d certificates left", len(custom(got)))
		}
		err := e.Svc.DeleteCertificate(ctx, z.ID, h.ID, h.SSL.ID, custom(got)[0].ID)
		wantErr(t, err, core.KindInvalid, service.ReasonLastCertificate)
		wantErr(t, e.Svc.DeleteCertificate(ctx, z.ID, h.ID, h.SSL.ID, cs[0].ID), core.KindNotFound, service.ReasonCertificateNotFound)
	})

	t.Run("managed certificates are not the client's", func(t *testing.T) {
		m := core.Certificate{ID: ident.UUID(), HostnameID: h.ID, Source: core.SourceManaged, ChainPEM: []byte(ecCert), KeyCiphertext: []byte("x")}
		if err := e.Store.PutCertificate(ctx, z.ID, m); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.Svc.DeleteCertificate(ctx, z.ID, h.ID, h.SSL.ID, m.ID), core.KindInvalid, service.ReasonCertificateNotCustom)
	})

	t.Run("refused uploads", func(t *testing.T) {
		other, otherKey := e.CA.Issue(t, "ecdsa", "other.example-customer.com")
		newEC, newECKey := e.CA.Issue(t, "ecdsa", "new.example-customer.com")
		for _, tc := range []struct {
			name   string
			pairs  []service.CertKeyPair
			reason string
		}{
			{"key mismatch", []service.CertKeyPair{{Certificate: rsaCert, Key: ecKey}}, certs.ReasonKeyMismatch},
			{"wrong host", []service.CertKeyPair{{Certificate: other, Key: otherKey}}, certs.ReasonHostnameMismatch},
			{"no certificate", []service.CertKeyPair{{Key: ecKey}}, certs.ReasonCertEmpty},
			{"garbage key", []service.CertKeyPair{{Certificate: ecCert, Key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}}, certs.ReasonKeyUnparseable},
			{"two ecdsa", []service.CertKeyPair{{Certificate: newEC, Key: newECKey}, {Certificate: newEC, Key: newECKey}}, service.ReasonInvalidCertBundle},
			{"three", []service.CertKeyPair{{}, {}, {}}, service.ReasonInvalidCertBundle},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.Count(t, z.ID)
				_, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "new.example-customer.com",
					SSL: &service.SSLInput{CustomCertificates: tc.pairs}})
				wantErr(t, err, core.KindInvalid, tc.reason)
				if e.Count(t, z.ID) != before {
					t.Error("a refused upload created a hostname")
				}
			})
		}
	})

	// No key material reached the logs.
	if f := secretscan.Find([]byte(e.Logs.String())); len(f) > 0 {
		t.Errorf("key material in the logs: %v", f)
	}
	if n := len(e.Logs.Records(map[string]string{"event": service.EventCertificateUploaded})); n != 3 {
		t.Errorf("%d certificate_uploaded events, want 3", n)
	}
}

func leafOf(t *testing.T, c core.Certificate) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(c.ChainPEM)
	if b == nil {
		t.Fatal("no PEM in the chain")
	}
	leaf, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

func isRSA(t *testing.T, c core.Certificate) bool {
	return leafOf(t, c).PublicKeyAlgorithm == x509.RSA
}
