package edge

import (
	"context"
	"net/http"
	"strings"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/store"
)

// serveHTTP answers the plain HTTP listener:
//
//  1. /.well-known/acme-challenge/... : ACME HTTP-01 (serveACME), always
//     answered here and never redirected;
//  2. /.well-known/cf-custom-hostname-challenge/... : ownership tokens
//     (serveOwnership);
//  3. an active hostname: a redirect to the same URL over HTTPS (301 for
//     GET and HEAD, 308 otherwise, so that a method and body survive);
//  4. anything else: a short page saying the hostname is pending (and a
//     nudge to the verification engine) or not served here.
//
// Both well-known prefixes are matched on the decoded path and on the raw
// target, so an encoded variant still lands in the strict handler and gets
// its 404 rather than a redirect.
func (e *Edge) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rl := e.newResponseLog(w, r, listenerHTTP)
	defer e.finish(rl)
	switch {
	case strings.HasPrefix(r.URL.Path, acmePrefix) || strings.HasPrefix(r.RequestURI, acmePrefix):
		e.serveACME(rl, r)
		return
	case strings.HasPrefix(r.URL.Path, ownershipPrefix) || strings.HasPrefix(r.RequestURI, ownershipPrefix):
		e.serveOwnership(rl, r)
		return
	}
	host := dnsname.NormalizeHost(r.Host)
	if e.serves(host) {
		redirect(rl, r, "https://"+host)
		return
	}
	e.servePending(rl, r, host)
}

// servePending tells a visitor of a hostname the edge does not serve what
// state it is in. Finding out takes a database lookup, so it is rate
// limited as a whole (Config.PendingLookupsPerSecond) and only made for
// names that could be hostnames; past the limit the page is the generic one.
func (e *Edge) servePending(w *responseLog, r *http.Request, host string) {
	if !plausibleHost(host) || !e.pendingLookups.allow(e.clk.Now()) {
		writePage(w, http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), e.cfg.LoadWait)
	defer cancel()
	row, found := e.pendingRow(ctx, host)
	if !found {
		writePage(w, http.StatusNotFound)
		return
	}
	if row.Status == core.HostnamePending {
		if e.cfg.Checks != nil && e.checks.allow(row.HostnameID, e.clk.Now()) {
			e.cfg.Checks.CheckSoon(row.ZoneID, row.HostnameID)
		}
		w.Header().Set("Retry-After", "60")
		writeText(w, http.StatusServiceUnavailable, "503 Service Unavailable\n\n"+
			"This hostname is being set up: its ownership is not verified yet.\n"+
			"If its DNS was just changed, verification will follow shortly; try again in a minute.\n")
		return
	}
	writeText(w, http.StatusNotFound, "404 Not Found\n\nThis hostname is not active ("+string(row.Status)+").\n")
}

// pendingRow finds the newest hostname row for host, exact or wildcard.
func (e *Edge) pendingRow(ctx context.Context, host string) (store.EdgeRoute, bool) {
	names := []string{host}
	if wk, ok := wildcardKey(host); ok {
		names = append(names, wk.stored())
	}
	for _, n := range names {
		rows, err := e.src.EdgeRoutes(ctx, n)
		if err != nil {
			e.log.Warn("looking up a hostname for its pending page", "host", host, "err", err)
			return store.EdgeRoute{}, false
		}
		if len(rows) > 0 {
			return rows[0], true
		}
	}
	return store.EdgeRoute{}, false
}

// plausibleHost reports whether host could be a custom hostname: 1–253
// characters of [a-z0-9.-] with a dot. Others are not looked up.
func plausibleHost(host string) bool {
	if len(host) == 0 || len(host) > 253 || strings.IndexByte(host, '.') < 0 {
		return false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
