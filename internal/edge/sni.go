package edge

import (
	"crypto/tls"

	"github.com/porticohq/portico/internal/dnsname"
)

// getConfigForClient selects the TLS configuration of a handshake by SNI:
// the exact hostname, then a wildcard one label up (see resolve), then, for
// a client that sent no SNI, the default certificate if one is configured.
//
// An unknown or inactive name gets a configuration with no certificate, on
// which crypto/tls answers with the unrecognized_name alert. Deciding that
// takes two hash lookups in memory: no database query, no ACME order, and
// no allocation the edge keeps, whatever names a client makes up (threat
// model A7). A known hostname whose route is not in the cache is the one
// case that reads the database, bounded by Config.LoadWait.
func (e *Edge) getConfigForClient(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if hello.ServerName == "" {
		e.m.handshakes.noSNI.Inc()
		return e.noSNI, nil
	}
	r := e.resolve(hello.Context(), dnsname.NormalizeHost(hello.ServerName))
	switch {
	case r == nil:
		e.m.handshakes.unknown.Inc()
		return e.reject, nil
	case r.tls == nil:
		e.m.handshakes.noCertificate.Inc()
		return e.reject, nil
	}
	e.m.handshakes.served.Inc()
	return r.tls, nil
}

// baseTLSConfig is the listener's configuration: it only hands each
// handshake to getConfigForClient. noSNI and reject are what that returns
// for clients without SNI and for names it does not serve.
func (e *Edge) baseTLSConfig() *tls.Config {
	e.reject = &tls.Config{MinVersion: tls.VersionTLS12}
	e.noSNI = e.reject
	if e.cfg.DefaultCertificate != nil {
		e.noSNI = &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{*e.cfg.DefaultCertificate},
			NextProtos:   protosH2,
		}
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		NextProtos:         protosH2,
		GetConfigForClient: e.getConfigForClient,
	}
}
