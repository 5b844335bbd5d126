package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/dnsname"
)

// newProxy returns the reverse proxy of one route. It is built with the
// route, so the per-request path passes nothing through the context: the
// Rewrite closure already knows the origin, metadata and transport.
//
// Rewrite, not Director: ReverseProxy removes hop-by-hop headers (and any
// listed in Connection) and the inbound Forwarded/X-Forwarded-* before
// Rewrite runs, so the headers set here always reach the origin (threat
// model E7, E8).
func (e *Edge) newProxy(r *route) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:      func(pr *httputil.ProxyRequest) { e.rewrite(pr, r) },
		Transport:    e.transports.forRoute(r),
		BufferPool:   e.buffers,
		ErrorHandler: e.proxyError,
		ErrorLog:     e.errLog,
	}
}

// rewrite sends the request to the route's origin with the visitor's
// (normalized) host as Host, X-Forwarded-For from trusted data only, and
// the metadata header when configured.
func (e *Edge) rewrite(pr *httputil.ProxyRequest, r *route) {
	host := dnsname.NormalizeHost(pr.In.Host)
	// The origin has no path or query of its own (ParseOrigin refuses
	// them), so setting scheme and host is all SetURL would do, without
	// its path join.
	pr.Out.URL.Scheme = r.origin.url.Scheme
	pr.Out.URL.Host = r.origin.url.Host
	if p := r.origin.pathPrefix; p != "" {
		// The prefix holds no escapes, so it is the same raw or decoded.
		pr.Out.URL.Path = p + pr.In.URL.Path
		if pr.In.URL.RawPath != "" {
			pr.Out.URL.RawPath = p + pr.In.URL.RawPath
		}
	}
	pr.Out.Host = host
	if prior, ok := pr.In.Header["X-Forwarded-For"]; ok && e.trusted(pr.In.RemoteAddr) {
		pr.Out.Header["X-Forwarded-For"] = prior
	}
	pr.SetXForwarded()
	pr.Out.Header.Set("X-Forwarded-Host", host)
	if e.cfg.MetadataHeader != "" {
		pr.Out.Header.Del(e.cfg.MetadataHeader)
		if r.metadata != "" {
			pr.Out.Header.Set(e.cfg.MetadataHeader, r.metadata)
		}
	}
}

// trusted reports whether the peer is a configured load balancer.
func (e *Edge) trusted(remoteAddr string) bool {
	if len(e.cfg.TrustedProxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	return e.trustedAddr(ap.Addr())
}

// trustedIP is trusted for an address without a port.
func (e *Edge) trustedIP(ip string) bool {
	if len(e.cfg.TrustedProxies) == 0 {
		return false
	}
	a, err := netip.ParseAddr(ip)
	return err == nil && e.trustedAddr(a)
}

func (e *Edge) trustedAddr(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range e.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// proxyError maps an origin failure to 504 (a timeout: dial, TLS or
// response headers) or 502 (anything else: refused, reset, a certificate
// that does not verify), with a small page. A visitor who went away gets
// nothing, logged as 499.
func (e *Edge) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	rl, _ := w.(*responseLog)
	if r.Context().Err() != nil {
		if rl != nil {
			rl.status = 499
		}
		return
	}
	status := http.StatusBadGateway
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		status = http.StatusGatewayTimeout
	}
	attrs := []any{"host", r.Host, "status", status, "err", err}
	if rl != nil && rl.route != nil {
		attrs = append(attrs, "hostname_id", rl.route.hostnameID, "zone_id", rl.route.zoneID)
	}
	e.log.Warn("origin request failed", attrs...)
	writePage(w, status)
}

// transports are the connection pools to origins. Plain HTTP origins and
// HTTPS origins verified under their own name share one originTransport,
// whose pools are keyed by origin address. An origin reached with another
// SNI (custom_origin_sni) needs its own, since the pools are keyed by
// address only: a connection opened with one SNI must never carry a
// request meant for another. Those are kept per SNI, bounded.
//
// Each originTransport is two: the synchronous HTTP/1.1 fast path
// (fastpath.go) for bodiless GET, HEAD and OPTIONS, and an http.Transport
// for the rest (bodies, upgrades, HTTP/2 to origins that offer it).
type transports struct {
	e    *Edge
	base *originTransport

	mu    sync.Mutex
	bySNI map[string]*originTransport
}

const maxSNITransports = 4096

func newTransports(e *Edge) *transports {
	t := &transports{e: e, bySNI: map[string]*originTransport{}}
	t.base = t.newTransport("")
	return t
}

func (t *transports) newTransport(sni string) *originTransport {
	cfg := t.e.cfg
	d := &net.Dialer{Timeout: cfg.OriginDialTimeout, KeepAlive: 30 * time.Second, Resolver: cfg.Resolver}
	tlsCfg := &tls.Config{
		RootCAs:    cfg.OriginRoots,
		ServerName: sni,
		MinVersion: tls.VersionTLS12,
	}
	const idleTimeout = 90 * time.Second
	const maxResponseHeaderBytes = 1 << 20
	std := &http.Transport{
		Proxy:                  nil, // never an environment proxy between edge and origin
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           0, // bounded per origin below
		MaxIdleConnsPerHost:    cfg.MaxIdleConnsPerOrigin,
		IdleConnTimeout:        idleTimeout,
		TLSHandshakeTimeout:    cfg.OriginDialTimeout,
		ResponseHeaderTimeout:  cfg.OriginResponseTimeout,
		ExpectContinueTimeout:  time.Second,
		DisableCompression:     true, // pass Accept-Encoding and bodies through untouched
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		WriteBufferSize:        32 << 10,
		ReadBufferSize:         32 << 10,
		TLSClientConfig:        tlsCfg,
	}
	fast := &h1Transport{
		dialer:          d,
		tlsConfig:       tlsCfg,
		handshakeTO:     cfg.OriginDialTimeout,
		responseTimeout: cfg.OriginResponseTimeout,
		maxHeaderBytes:  maxResponseHeaderBytes,
		maxIdle:         cfg.MaxIdleConnsPerOrigin,
		idleTimeout:     idleTimeout,
	}
	return &originTransport{fast: fast, std: std}
}

// forSNI returns the transport that dials HTTPS origins with sni.
func (t *transports) forSNI(sni string) *originTransport {
	if sni == "" {
		return t.base
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tr := t.bySNI[sni]; tr != nil {
		return tr
	}
	if len(t.bySNI) >= maxSNITransports {
		for k, old := range t.bySNI { // drop one at random
			old.closeIdle(false)
			delete(t.bySNI, k)
			break
		}
	}
	tr := t.newTransport(sni)
	t.bySNI[sni] = tr
	return tr
}

// forRoute picks the round tripper of a route. With the visitor's host as
// SNI, an exact hostname always sends its own name; a wildcard one sends
// whichever name the visitor asked for, chosen per request.
func (t *transports) forRoute(r *route) http.RoundTripper {
	o := r.origin
	switch {
	case o.url.Scheme == "http":
		return t.base
	case o.requestHost && !r.key.wild:
		return t.forSNI(r.name)
	case o.requestHost:
		return requestHostTransport{t}
	}
	return t.forSNI(o.sni)
}

// fastFor is forRoute for the HTTP/1.1 loop: the synchronous transport
// that carries a request for host on r.
func (t *transports) fastFor(r *route, host string) *h1Transport {
	o := r.origin
	switch {
	case o.url.Scheme == "http":
		return t.base.fast
	case o.requestHost && !r.key.wild:
		return t.forSNI(r.name).fast
	case o.requestHost:
		return t.forSNI(host).fast
	}
	return t.forSNI(o.sni).fast
}

// requestHostTransport sends each request with its own Host as SNI.
type requestHostTransport struct{ t *transports }

func (rt requestHostTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return rt.t.forSNI(req.Host).RoundTrip(req)
}

// closeIdle closes idle origin connections; at Shutdown (closeAll) the
// fast path also stops pooling the connections of requests still running.
func (t *transports) closeIdle(closeAll bool) {
	t.base.closeIdle(closeAll)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tr := range t.bySNI {
		tr.closeIdle(closeAll)
	}
}

// bufferPool recycles the 32 KiB buffers ReverseProxy copies bodies with.
// It is a bounded free list on a channel rather than a sync.Pool: Put
// takes a []byte, and boxing it for sync.Pool allocates on every request,
// while a channel send copies the slice header. Buffers beyond the list's
// capacity (more bodies in flight at once) are left to the GC.
type bufferPool struct{ free chan []byte }

func newBufferPool(n int) *bufferPool { return &bufferPool{free: make(chan []byte, n)} }

func (b *bufferPool) Get() []byte {
	select {
	case buf := <-b.free:
		return buf
	default:
		return make([]byte, 32<<10)
	}
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) < 32<<10 {
		return
	}
	select {
	case b.free <- buf[:32<<10]:
	default:
	}
}
