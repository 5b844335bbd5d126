package edge

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/service"
)

func ptr[T any](v T) *T { return &v }

func leafNames(st tls.ConnectionState) []string {
	if len(st.PeerCertificates) == 0 {
		return nil
	}
	return st.PeerCertificates[0].DNSNames
}

func wantAlert(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "unrecognized name") {
		t.Errorf("%s: handshake error %v, want the unrecognized_name alert", what, err)
	}
}

// TestCertificateSelection is threat model E12: exact SNI beats a
// wildcard of another tenant, a wildcard covers one label, unknown names
// get unrecognized_name, and clients without SNI get the default
// certificate or the alert.
func TestCertificateSelection(t *testing.T) {
	def := selfSigned(t, "default.portico.invalid")
	h := newHarness(t, harnessOpts{config: func(c *Config) { c.DefaultCertificate = &def }})
	a, b := h.zone(t, "saas-a.com"), h.zone(t, "saas-b.com")
	h.hostname(t, a, "*.shop-x.com", nil)
	h.hostname(t, b, "shop.shop-x.com", nil)
	before := h.src.lookups.Load()

	for _, tc := range []struct {
		sni  string
		want string // the leaf's name; "" = the alert
	}{
		{"shop.shop-x.com", "shop.shop-x.com"},
		{"SHOP.Shop-X.com", "shop.shop-x.com"},
		{"other.shop-x.com", "*.shop-x.com"},
		{"a.b.shop-x.com", ""}, // a wildcard covers one label
		{"shop-x.com", ""},     // and not the base
		{"unknown-customer.com", ""},
	} {
		t.Run(tc.sni, func(t *testing.T) {
			st, err := h.handshake(tc.sni, func(c *tls.Config) { c.InsecureSkipVerify = tc.want == "" })
			if tc.want == "" {
				wantAlert(t, tc.sni, err)
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if got := leafNames(st); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("certificate for %v, want %s", got, tc.want)
			}
		})
	}
	t.Run("no SNI gets the default certificate", func(t *testing.T) {
		st, err := h.handshake("", func(c *tls.Config) { c.InsecureSkipVerify = true })
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		if got := leafNames(st); !slices.Equal(got, []string{"default.portico.invalid"}) {
			t.Errorf("no-SNI certificate for %v", got)
		}
	})
	// Two loads per hostname (route, certificates), none for unknown names.
	if n := h.src.lookups.Load() - before; n > 4 {
		t.Errorf("%d database lookups for 2 hostnames and 3 unknown names", n)
	}

	t.Run("no SNI without a default certificate", func(t *testing.T) {
		h2 := newHarness(t, harnessOpts{})
		_, err := h2.handshake("", func(c *tls.Config) { c.InsecureSkipVerify = true })
		wantAlert(t, "no SNI", err)
	})
}

// TestPerHostTLSSettings is threat model E11: each hostname's
// min_tls_version, tls_1_3, ciphers and http2 apply to its handshakes, and
// nothing goes below TLS 1.2.
func TestPerHostTLSSettings(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	z := h.zone(t, "saas-a.com")
	settings := func(s service.TLSSettingsInput) func(*service.HostnameInput) {
		return func(in *service.HostnameInput) { in.SSL.Settings = &s }
	}
	h.hostname(t, z, "default.customer-a.com", nil)
	h.hostname(t, z, "modern.customer-a.com", settings(service.TLSSettingsInput{MinTLSVersion: ptr("1.3")}))
	h.hostname(t, z, "old.customer-a.com", settings(service.TLSSettingsInput{MinTLSVersion: ptr("1.0"), TLS13: ptr("off"),
		Ciphers: []string{"ECDHE-ECDSA-AES256-GCM-SHA384", "AES128-SHA"}}))
	h.hostname(t, z, "h1.customer-a.com", settings(service.TLSSettingsInput{HTTP2: ptr("off")}))

	maxV := func(v uint16) func(*tls.Config) { return func(c *tls.Config) { c.MaxVersion = v } }
	for _, tc := range []struct {
		name      string
		sni       string
		cfg       func(*tls.Config)
		fail      bool
		version   uint16
		protocol  string
		cipherSte uint16
	}{
		{name: "defaults: TLS 1.3 and h2", sni: "default.customer-a.com", version: tls.VersionTLS13, protocol: "h2"},
		{name: "defaults accept TLS 1.2", sni: "default.customer-a.com", cfg: maxV(tls.VersionTLS12), version: tls.VersionTLS12, protocol: "h2"},
		{name: "never TLS 1.1", sni: "old.customer-a.com", cfg: func(c *tls.Config) {
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		}, fail: true},
		{name: "min 1.3 refuses 1.2", sni: "modern.customer-a.com", cfg: maxV(tls.VersionTLS12), fail: true},
		{name: "min 1.3", sni: "modern.customer-a.com", version: tls.VersionTLS13, protocol: "h2"},
		{name: "tls_1_3 off", sni: "old.customer-a.com", version: tls.VersionTLS12, protocol: "h2",
			cipherSte: tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
		{name: "ciphers restrict TLS 1.2", sni: "old.customer-a.com", cfg: func(c *tls.Config) {
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
		}, fail: true},
		{name: "http2 off", sni: "h1.customer-a.com", version: tls.VersionTLS13, protocol: "http/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := h.handshake(tc.sni, tc.cfg)
			if tc.fail {
				if err == nil {
					t.Fatalf("handshake succeeded with %s", tls.VersionName(st.Version))
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if st.Version != tc.version || st.NegotiatedProtocol != tc.protocol {
				t.Errorf("negotiated %s %q, want %s %q", tls.VersionName(st.Version), st.NegotiatedProtocol,
					tls.VersionName(tc.version), tc.protocol)
			}
			if tc.cipherSte != 0 && st.CipherSuite != tc.cipherSte {
				t.Errorf("cipher %s, want %s", tls.CipherSuiteName(st.CipherSuite), tls.CipherSuiteName(tc.cipherSte))
			}
		})
	}
}

// TestRSAAndECDSA: a hostname with an RSA and an ECDSA certificate serves
// each client the one it supports. (The route keeps the parsed leaves for
// this choice; with a single certificate it drops them to save memory.)
func TestRSAAndECDSA(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	rsaCert, rsaKey := h.ca.Issue(t, "rsa", "both.customer-a.com")
	h.hostname(t, h.zone(t, "saas-a.com"), "both.customer-a.com", func(in *service.HostnameInput) {
		in.SSL.CustomCertificates = append(in.SSL.CustomCertificates, service.CertKeyPair{Certificate: rsaCert, Key: rsaKey})
	})
	for _, tc := range []struct {
		name  string
		suite uint16
		want  string
	}{
		{"ECDSA client", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "*ecdsa.PublicKey"},
		{"RSA client", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "*rsa.PublicKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // the second handshake finds the route cached
				st, err := h.handshake("both.customer-a.com", func(c *tls.Config) {
					// In TLS 1.2 the suite names the certificate's key type.
					c.MaxVersion = tls.VersionTLS12
					c.CipherSuites = []uint16{tc.suite}
				})
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				if got := fmt.Sprintf("%T", st.PeerCertificates[0].PublicKey); got != tc.want {
					t.Errorf("served a certificate with a %s, want %s", got, tc.want)
				}
			}
		})
	}
}
