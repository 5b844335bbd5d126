package edge

import (
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

// customDomain creates host as a custom domain of upstream u (with its www
// companion when www), uploads a certificate for each hostname and
// activates them, and waits until the edge serves them.
func (h *harness) customDomain(t *testing.T, z core.Zone, u core.Upstream, host string, www bool) service.CustomDomain {
	t.Helper()
	d, err := h.svc.CreateCustomDomain(t.Context(), z.ID, u.ID, service.CustomDomainInput{Host: host, RedirectToWWW: www})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Parts() {
		cert, key := h.ca.Issue(t, "ecdsa", p.Hostname.Name)
		if _, err := h.svc.EditHostname(t.Context(), z.ID, p.Hostname.ID, service.HostnamePatch{SSL: &service.SSLInput{
			CustomCertificates: []service.CertKeyPair{{Certificate: cert, Key: key}}}}); err != nil {
			t.Fatal(err)
		}
		if err := h.svc.SetHostnameStatus(t.Context(), z.ID, p.Hostname.ID, core.HostnamePending, core.HostnameActive); err != nil {
			t.Fatal(err)
		}
		h.eventually(t, 5*time.Second, "serving "+p.Hostname.Name, func() bool { return h.edge.serves(p.Hostname.Name) })
	}
	return d
}

func originHostPort(t *testing.T, raw string) (string, int) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return host, p
}

// TestUpstreamRouting: a custom domain goes to its upstream (plain HTTP or
// verified HTTPS, on its port), under its prepend_path, with the visitor's
// host; a change of the upstream reaches the edge through the feed.
func TestUpstreamRouting(t *testing.T) {
	tlsOrigin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Path", r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		w.Header().Set("X-Seen-Host", r.Host)
		_, _ = w.Write([]byte("tls origin"))
	}))
	defer tlsOrigin.Close()
	roots := x509.NewCertPool()
	roots.AddCert(tlsOrigin.Certificate())
	h := newHarness(t, harnessOpts{config: func(c *Config) { c.OriginRoots = roots }})
	z := h.zone(t, "saas-upstream.com")
	ctx := t.Context()

	host, port := originHostPort(t, h.origin.url())
	u, err := h.svc.CreateUpstream(ctx, z.ID, service.UpstreamInput{Host: &host, Port: &port, TLS: ptr(false), PrependPath: ptr("/tenant/7")})
	if err != nil {
		t.Fatal(err)
	}
	h.customDomain(t, z, u, "shop.upstream-customer.com", false)
	c := h.client("", false)
	resp, body := get(t, c, "https://shop.upstream-customer.com/a%2Fb/c?q=1")
	if resp.StatusCode != 200 || body != "origin ok shop.upstream-customer.com" {
		t.Fatalf("through the upstream: %d %q", resp.StatusCode, body)
	}
	if got := h.origin.last(t).URL; got.EscapedPath() != "/tenant/7/a%2Fb/c" || got.RawQuery != "q=1" {
		t.Errorf("the upstream saw %s?%s, want /tenant/7/a%%2Fb/c?q=1", got.EscapedPath(), got.RawQuery)
	}
	get(t, c, "https://shop.upstream-customer.com/")
	if got := h.origin.last(t).URL.Path; got != "/tenant/7/" {
		t.Errorf("root path went to %q", got)
	}

	// Move the upstream to the HTTPS origin without a prefix: the feed
	// brings the change.
	tlsHost, tlsPort := originHostPort(t, tlsOrigin.URL)
	if _, err := h.svc.UpdateUpstream(ctx, z.ID, u.ID, service.UpstreamInput{Host: &tlsHost, Port: &tlsPort,
		TLS: ptr(true), PrependPath: ptr("")}); err != nil {
		t.Fatal(err)
	}
	h.eventually(t, 5*time.Second, "routing to the new upstream", func() bool {
		resp, body := get(t, c, "https://shop.upstream-customer.com/x?y=2")
		return resp.StatusCode == 200 && body == "tls origin" && resp.Header.Get("X-Seen-Path") == "/x?y=2" &&
			resp.Header.Get("X-Seen-Host") == "shop.upstream-customer.com"
	})

	// A custom origin set on the hostname (the Cloudflare dialect) wins.
	d, err := h.svc.ListCustomDomains(ctx, z.ID, u.ID, "", 0, 10)
	if err != nil || len(d.Domains) != 1 {
		t.Fatal(err, d)
	}
	if _, err := h.svc.EditHostname(ctx, z.ID, d.Domains[0].Hostname.ID, service.HostnamePatch{CustomOriginServer: ptr(h.origin.url())}); err != nil {
		t.Fatal(err)
	}
	h.eventually(t, 5*time.Second, "routing to the custom origin", func() bool {
		_, body := get(t, c, "https://shop.upstream-customer.com/")
		return body == "origin ok shop.upstream-customer.com"
	})
}

// TestRedirectToWWW: the apex answers every request with a redirect to the
// same path and query on www. (301, or 308 for other methods); the www
// companion is served from the upstream; plain HTTP goes to HTTPS first.
func TestRedirectToWWW(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	z := h.zone(t, "saas-www.com")
	host, port := originHostPort(t, h.origin.url())
	u, err := h.svc.CreateUpstream(t.Context(), z.ID, service.UpstreamInput{Host: &host, Port: &port, TLS: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	h.customDomain(t, z, u, "www-customer.com", true)
	c := h.client("", false)
	before := h.origin.count.Load()
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/a/b?c=d", http.StatusMovedPermanently},
		{http.MethodHead, "/", http.StatusMovedPermanently},
		{http.MethodPost, "/form", http.StatusPermanentRedirect},
		{http.MethodGet, "//evil.example/x", http.StatusMovedPermanently},
	} {
		req, _ := http.NewRequest(tc.method, "https://www-customer.com"+tc.path, nil)
		resp, _ := do(t, c, req)
		if resp.StatusCode != tc.code || resp.Header.Get("Location") != "https://www.www-customer.com"+tc.path {
			t.Errorf("%s %s: %d Location %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if n := h.origin.count.Load(); n != before {
		t.Errorf("the apex reached the origin %d times", n-before)
	}
	resp, body := get(t, c, "https://www.www-customer.com/a?b=c")
	if resp.StatusCode != 200 || body != "origin ok www.www-customer.com" {
		t.Errorf("www: %d %q", resp.StatusCode, body)
	}
	resp, _ = get(t, h.httpClient(), "http://www-customer.com/p?q")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://www-customer.com/p?q" {
		t.Errorf("plain HTTP: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
