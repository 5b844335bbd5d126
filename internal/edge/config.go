package edge

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// Config configures an Edge. The zero value listens nowhere; every other
// zero field takes the default its comment states.
type Config struct {
	// HTTPSAddr is the HTTPS listener's address (e.g. ":443",
	// "127.0.0.1:0"); "" disables it.
	HTTPSAddr string
	// HTTPAddr is the plain HTTP listener's address (e.g. ":80"); "" disables
	// it. It answers ACME HTTP-01 challenges and ownership tokens and
	// redirects everything else to HTTPS.
	HTTPAddr string

	// TrustedProxies are the networks of load balancers in front of the
	// edge: a request from one of them keeps its X-Forwarded-For chain
	// (the edge appends the peer). From anyone else the chain is replaced
	// by the peer's address. Empty: trust no one.
	TrustedProxies []netip.Prefix
	// DefaultCertificate is presented to clients that send no SNI; nil
	// means they get the unrecognized_name alert like unknown names do.
	DefaultCertificate *tls.Certificate
	// MetadataHeader, when set, is the request header that carries a
	// hostname's custom_metadata (compact JSON) to the origin. The edge
	// always deletes an inbound header of that name. "" (the default):
	// metadata is not sent.
	MetadataHeader string
	// NetHTTPOnly turns the edge's HTTP/1.1 and HTTP/2 loops (h1conn.go,
	// h2conn.go) off: every HTTPS request goes through net/http and
	// ReverseProxy.
	NetHTTPOnly bool
	// OriginRoots verifies HTTPS origins; nil means the system roots
	// (which honour SSL_CERT_FILE).
	OriginRoots *x509.CertPool
	// Resolver, when set, resolves origin names (--resolver); nil means the
	// system resolver.
	Resolver *net.Resolver

	// HandshakeTimeout bounds a TLS handshake, from accept (default 10s).
	HandshakeTimeout time.Duration
	// HeaderTimeout bounds reading a request's headers (default 10s).
	HeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included (default
	// 60s).
	ReadTimeout time.Duration
	// WriteTimeout bounds how long one write of the response to the visitor
	// may block (default 60s): a visitor that stops reading is cut then. A
	// response that keeps moving (a long download, an event stream) is not
	// cut, since every completed write extends the deadline.
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long (default
	// 120s).
	IdleTimeout time.Duration
	// MaxHeaderBytes caps request headers; larger get 431 (default 64 KiB).
	MaxHeaderBytes int
	// MaxConcurrentStreams caps HTTP/2 streams per connection (default 250).
	MaxConcurrentStreams int

	// OriginDialTimeout bounds connecting to an origin (default 5s).
	OriginDialTimeout time.Duration
	// OriginResponseTimeout bounds the wait for an origin's response headers
	// (default 60s); past it the visitor gets 504.
	OriginResponseTimeout time.Duration
	// MaxIdleConnsPerOrigin is the keep-alive pool per origin (default 256).
	MaxIdleConnsPerOrigin int

	// CacheSize is how many hostnames' routes (parsed certificates, TLS
	// settings, origin) stay in memory (default 10,000). Colder ones are
	// evicted and loaded again on their next handshake.
	CacheSize int
	// LoadWait bounds how long a handshake or request waits for a cold
	// hostname's route to load from the database (default 3s).
	LoadWait time.Duration
	// PollInterval is how often the change feed is read when nothing
	// signals a change (default 250ms).
	PollInterval time.Duration
	// PendingLookupsPerSecond caps database lookups for hosts the edge does
	// not serve, made on plain HTTP to show a pending page (default 20).
	PendingLookupsPerSecond float64

	// AccessLog receives one record per request; nil disables access logs.
	AccessLog *slog.Logger
	// Challenges answers ACME HTTP-01 challenges; nil answers none.
	Challenges ChallengeSource
	// Ownership finds hostnames' ownership tokens; nil reads them from the
	// edge's source.
	Ownership OwnershipSource
	// Checks is asked to verify a pending hostname soon, when a visitor
	// reaches it on plain HTTP; nil asks no one.
	Checks CheckRequester
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HandshakeTimeout, 10*time.Second)
	def(&c.HeaderTimeout, 10*time.Second)
	def(&c.ReadTimeout, 60*time.Second)
	def(&c.WriteTimeout, 60*time.Second)
	def(&c.IdleTimeout, 120*time.Second)
	def(&c.OriginDialTimeout, 5*time.Second)
	def(&c.OriginResponseTimeout, 60*time.Second)
	def(&c.LoadWait, 3*time.Second)
	def(&c.PollInterval, 250*time.Millisecond)
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.MaxConcurrentStreams <= 0 {
		c.MaxConcurrentStreams = 250
	}
	if c.MaxIdleConnsPerOrigin <= 0 {
		c.MaxIdleConnsPerOrigin = 256
	}
	if c.CacheSize <= 0 {
		c.CacheSize = 10_000
	}
	if c.PendingLookupsPerSecond <= 0 {
		c.PendingLookupsPerSecond = 20
	}
	return c
}
