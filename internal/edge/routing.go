package edge

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/store"
)

// requestHostSNI is the custom_origin_sni value that sends the visitor's
// host as SNI to the origin.
const requestHostSNI = ":request_host_header:"

// route is everything the edge needs to serve one hostname, built once when
// the hostname is loaded and immutable afterwards (a change builds a new
// one). Only active hostnames have routes.
type route struct {
	key        routeKey
	name       string // as stored: "shop.x.com" or "*.x.com"
	hostnameID string
	zoneID     string
	version    int64
	// tls is the per-host TLS configuration; nil when the hostname has no
	// usable certificate (its handshakes get unrecognized_name).
	tls *tls.Config
	// origin is nil when neither a custom origin nor an active zone
	// fallback is set (requests get 502).
	origin     *originTarget
	metadata   string // compact JSON for Config.MetadataHeader; "" for none
	earlyHints bool
	proxy      *httputil.ReverseProxy
	// redirectTo is "www.<name>" for a custom domain that redirects to
	// www: every request gets a redirect there instead of the origin.
	redirectTo string

	lastUsed atomic.Int64 // routeCache epoch of the last hit
}

// originTarget is where a route's requests go.
type originTarget struct {
	url *url.URL // scheme and host:port only
	// sni is the TLS server name for an HTTPS origin: "" for the origin's
	// own host, or a fixed name; requestHost sends the visitor's host.
	sni         string
	requestHost bool
	// pathPrefix is an upstream's prepend_path, put in front of every
	// request path: "" or "/clean/path" (no trailing slash, no escapes).
	pathPrefix string
}

// parseOrigin picks the hostname's custom origin, else its upstream (a
// custom domain of the SaaS Custom Domains dialect), else its zone's
// fallback, and applies interfaces.md: no scheme means HTTPS (certificates
// verified), http:// is plain; a custom SNI applies to a custom origin
// only (the fallback is the provider's own server). The custom origin
// comes first because it is the one setting made for this hostname alone
// (a PATCH in the Cloudflare dialect); the upstream is shared.
func parseOrigin(r store.EdgeRoute) (*originTarget, error) {
	if r.CustomOriginServer == "" && r.Upstream != nil {
		return upstreamOrigin(*r.Upstream), nil
	}
	raw, sni := r.CustomOriginServer, ""
	if raw != "" {
		sni = r.CustomOriginSNI
	} else {
		raw = r.FallbackOrigin
	}
	if raw == "" {
		return nil, nil
	}
	o, err := dnsname.ParseOrigin(raw)
	if err != nil {
		return nil, fmt.Errorf("origin %q: %w", raw, err)
	}
	scheme, port := o.Scheme, o.Port
	if scheme == "" {
		scheme = "https"
	}
	if port == "" {
		port = "443"
		if scheme == "http" {
			port = "80"
		}
	}
	t := &originTarget{url: &url.URL{Scheme: scheme, Host: net.JoinHostPort(o.Host, port)}}
	if scheme == "https" {
		if sni == requestHostSNI {
			t.requestHost = true
		} else {
			t.sni = sni
		}
	}
	return t, nil
}

// upstreamOrigin is the target of an upstream: HTTPS (verified against the
// upstream's host) or plain HTTP, on its port, under its prepend path.
func upstreamOrigin(u store.EdgeUpstream) *originTarget {
	scheme := "http"
	if u.TLS {
		scheme = "https"
	}
	return &originTarget{
		url:        &url.URL{Scheme: scheme, Host: net.JoinHostPort(u.Host, strconv.Itoa(u.Port))},
		pathPrefix: u.PrependPath,
	}
}

// buildRoute turns a hostname's row and certificates into a route. A
// certificate or origin that does not load is logged and leaves the route
// without it: the hostname stays known (no fall-through to a wildcard of
// another tenant), and fails visibly instead.
func (e *Edge) buildRoute(k routeKey, row store.EdgeRoute, certs []core.Certificate) *route {
	r := &route{
		key: k, name: row.Name, hostnameID: row.HostnameID, zoneID: row.ZoneID, version: row.Version,
		earlyHints: row.Settings.EarlyHints == "on",
	}
	log := e.log.With("hostname", row.Name, "hostname_id", row.HostnameID, "zone_id", row.ZoneID)
	parsed, errs := loadCertificates(e.box, row.HostnameID, certs, e.clk.Now())
	for _, err := range errs {
		log.Error("certificate not served", "err", err)
	}
	if len(parsed) == 1 {
		// crypto/tls reads Leaf only to choose among several certificates
		// (ClientHelloInfo.SupportsCertificate, which parses the
		// certificate itself when Leaf is nil). With one, the parsed copy
		// is 2.5 KiB per cached hostname kept for nothing: 25 MiB at the
		// default cache of 10,000 (measured; the DER and key stay).
		parsed[0].Leaf = nil
	}
	if len(parsed) > 0 {
		r.tls = hostTLSConfig(row.Settings, parsed)
	}
	origin, err := parseOrigin(row)
	if err != nil {
		log.Error("origin not usable", "err", err)
	}
	r.origin = origin
	if len(row.CustomMetadata) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, row.CustomMetadata); err == nil && buf.String() != "{}" {
			r.metadata = buf.String()
		}
	}
	if r.origin != nil {
		r.proxy = e.newProxy(r)
	}
	if row.RedirectToWWW && !k.wild {
		r.redirectTo = "www." + row.Name
	}
	return r
}

// resolve returns the route serving host (normalized): an exact hostname
// first, then a wildcard one label up; nil when the edge serves neither.
// An exact hostname that is active shadows the wildcard even without a
// certificate, since the name belongs to its tenant.
//
// Names the index does not hold are answered from memory alone. A name it
// holds whose route is not cached is loaded from the database, and the
// caller waits for that at most Config.LoadWait (and ctx): that is the one
// case where a handshake waits on I/O, once per hostname per eviction.
func (e *Edge) resolve(ctx context.Context, host string) *route {
	if host == "" {
		return nil
	}
	ix := e.index.Load()
	if ix == nil {
		if !e.waitReady(ctx) {
			return nil
		}
		ix = e.index.Load()
	}
	if r := e.routeFor(ctx, ix, routeKey{name: host}); r != nil {
		return r
	}
	if wk, ok := wildcardKey(host); ok {
		return e.routeFor(ctx, ix, wk)
	}
	return nil
}

// serves reports from memory alone whether host is an active hostname.
func (e *Edge) serves(host string) bool {
	ix := e.index.Load()
	if ix == nil || host == "" {
		return false
	}
	if ix.exact.has(host) {
		return true
	}
	wk, ok := wildcardKey(host)
	return ok && ix.wild.has(wk.name)
}

func (e *Edge) routeFor(ctx context.Context, ix *index, k routeKey) *route {
	if r := e.cache.get(k); r != nil {
		return r
	}
	if !ix.has(k) {
		return nil
	}
	return e.load(ctx, k)
}

func (e *Edge) waitReady(ctx context.Context) bool {
	t := time.NewTimer(e.cfg.LoadWait)
	defer t.Stop()
	select {
	case <-e.ready:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	return false
}

// loadCall is one load of a route, shared by every caller that needs the
// same key meanwhile.
type loadCall struct {
	done chan struct{}
	r    *route
	// stale is set when a change to the key arrives while the load runs:
	// the load may have read the old row, so it reads again.
	stale atomic.Bool
}

// load fetches k's route once for all concurrent callers (on its own
// context, so that the result is cached even when the caller gave up) and
// waits for it at most Config.LoadWait.
func (e *Edge) load(ctx context.Context, k routeKey) *route {
	e.loadMu.Lock()
	c := e.loads[k]
	if c == nil {
		c = &loadCall{done: make(chan struct{})}
		e.loads[k] = c
		go e.runLoad(k, c)
	}
	e.loadMu.Unlock()
	t := time.NewTimer(e.cfg.LoadWait)
	defer t.Stop()
	select {
	case <-c.done:
		return c.r
	case <-ctx.Done():
	case <-t.C:
	}
	return nil
}

func (e *Edge) runLoad(k routeKey, c *loadCall) {
	ctx, cancel := context.WithTimeout(e.runCtx, 2*e.cfg.LoadWait)
	defer cancel()
	var r *route
	var err error
	for range 3 {
		c.stale.Store(false)
		if r, err = e.fetchRoute(ctx, k); err != nil || !c.stale.Load() {
			break
		}
	}
	switch {
	case err != nil:
		e.m.loads.WithLabelValues("error").Inc()
		e.log.Warn("loading a route", "name", k.stored(), "err", err)
	case r == nil:
		// The index was ahead of the database (or a hash collided):
		// forget the name, so the next lookup costs nothing.
		e.m.loads.WithLabelValues("inactive").Inc()
		if ix := e.index.Load(); ix != nil {
			ix.remove(k.stored())
		}
	default:
		e.m.loads.WithLabelValues("loaded").Inc()
		e.cache.put(r)
	}
	e.loadMu.Lock()
	delete(e.loads, k)
	e.loadMu.Unlock()
	c.r = r
	close(c.done)
}

// markStale tells a load of k in progress to read again.
func (e *Edge) markStale(k routeKey) {
	e.loadMu.Lock()
	if c := e.loads[k]; c != nil {
		c.stale.Store(true)
	}
	e.loadMu.Unlock()
}

// fetchRoute reads k's hostname and certificates: the most recently
// updated serving row when two zones hold the name (the latest to be
// verified wins, as on Cloudflare). nil, nil when no row serves.
func (e *Edge) fetchRoute(ctx context.Context, k routeKey) (*route, error) {
	row, ok, err := e.servingRow(ctx, k)
	if err != nil || !ok {
		return nil, err
	}
	certs, err := e.src.EdgeCertificates(ctx, row.HostnameID)
	if err != nil {
		return nil, err
	}
	return e.buildRoute(k, row, certs), nil
}

func (e *Edge) servingRow(ctx context.Context, k routeKey) (store.EdgeRoute, bool, error) {
	rows, err := e.src.EdgeRoutes(ctx, k.stored())
	if err != nil {
		return store.EdgeRoute{}, false, err
	}
	for _, row := range rows {
		if store.EdgeServes(row.Status) {
			return row, true, nil
		}
	}
	return store.EdgeRoute{}, false, nil
}

// misdirected answers a request the connection cannot serve.
func misdirected(w http.ResponseWriter) { writePage(w, http.StatusMisdirectedRequest) }
