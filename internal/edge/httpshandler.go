package edge

import (
	"net/http"

	"github.com/porticohq/portico/internal/dnsname"
)

// serveHTTPS proxies a request that arrived over TLS to its hostname's
// origin.
//
// The Host (normalized: lowercase, no port, no trailing dot; for an
// absolute-form request line Go takes the URL's host) must name the same
// hostname as the SNI: another hostname, even one the certificate covers,
// gets 421 Misdirected Request (domain fronting, threat model E9), so a
// browser that coalesced connections retries on a new one. Two names that
// match one wildcard hostname are the same hostname. A host the edge does
// not serve also gets 421, never a default tenant (E10). A client that
// sent no SNI (and accepted the default certificate) is routed by Host.
func (e *Edge) serveHTTPS(w http.ResponseWriter, r *http.Request) {
	restoreTLS(r)
	rl := e.newResponseLog(w, r, listenerHTTPS)
	defer e.finish(rl)
	if r.Method == http.MethodConnect {
		writePage(rl, http.StatusMethodNotAllowed)
		return
	}
	host := dnsname.NormalizeHost(r.Host)
	rt := e.resolve(r.Context(), host)
	if rt == nil {
		misdirected(rl)
		return
	}
	rl.route = rt
	if r.TLS != nil && r.TLS.ServerName != "" {
		if sni := dnsname.NormalizeHost(r.TLS.ServerName); sni != host {
			if srt := e.resolve(r.Context(), sni); srt == nil || srt.hostnameID != rt.hostnameID {
				misdirected(rl)
				return
			}
		}
	}
	if rt.redirectTo != "" {
		redirect(rl, r, "https://"+rt.redirectTo)
		return
	}
	if rt.proxy == nil {
		writePage(rl, http.StatusBadGateway)
		return
	}
	rt.proxy.ServeHTTP(rl, r)
}

// redirect sends the visitor to the same path and query under base (a
// scheme and host of the edge's choosing, never the request's): 301 for
// GET and HEAD, 308 otherwise, so that a method and body survive.
func redirect(w http.ResponseWriter, r *http.Request, base string) {
	code := http.StatusPermanentRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		code = http.StatusMovedPermanently
	}
	w.Header().Set("Location", base+r.URL.RequestURI())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(code)
}
