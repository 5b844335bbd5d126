package edge

import (
	"crypto/tls"

	"github.com/porticohq/portico/internal/core"
)

// ALPN protocol names.
const (
	alpnH2    = "h2"
	alpnHTTP1 = "http/1.1"
)

var (
	protosH2    = []string{alpnH2, alpnHTTP1}
	protosHTTP1 = []string{alpnHTTP1}
)

// cipherIDs maps the BoringSSL names that ssl.settings.ciphers accepts
// (service.KnownCiphers) to crypto/tls suites. Only the suites crypto/tls
// lists as secure are here: the CBC-SHA and RSA key exchange names are
// accepted by the API but never negotiated, since Portico's floor is Go's
// default set (threat model E11). The list applies to TLS 1.2 only; Go
// offers no way to restrict TLS 1.3 suites, all of which are strong.
var cipherIDs = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
}

// hostTLSConfig builds the TLS configuration of one hostname, returned by
// GetConfigForClient for every handshake that names it. It is built once
// per route load, never per handshake. Session tickets keep working across
// hosts: a Config returned by GetConfigForClient uses the listener's ticket
// keys unless it sets its own.
//
//   - min_tls_version: 1.2 or 1.3; "1.0" and "1.1" mean 1.2, Portico's floor.
//   - tls_1_3 "off": TLS 1.2 at most (unless the minimum is 1.3, which the
//     API refuses together).
//   - ciphers: TLS 1.2 suites, in the given order, among cipherIDs; when
//     none maps, Go's defaults.
//   - http2 "off": ALPN offers http/1.1 only.
func hostTLSConfig(s core.TLSSettings, certs []tls.Certificate) *tls.Config {
	c := &tls.Config{
		Certificates: certs,
		MinVersion:   tls.VersionTLS12,
		NextProtos:   protosH2,
	}
	if s.MinTLSVersion == "1.3" {
		c.MinVersion = tls.VersionTLS13
	}
	if s.TLS13 == "off" && c.MinVersion < tls.VersionTLS13 {
		c.MaxVersion = tls.VersionTLS12
	}
	for _, name := range s.Ciphers {
		if id, ok := cipherIDs[name]; ok {
			c.CipherSuites = append(c.CipherSuites, id)
		}
	}
	if s.HTTP2 == "off" {
		c.NextProtos = protosHTTP1
	}
	return c
}
