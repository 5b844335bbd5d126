package edge

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

// TestHTTP01 is threat model E13: the exact challenge is answered, before
// any redirect, with exactly the key authorization; every variation is 404.
func TestHTTP01(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.hostname(t, h.zone(t, "saas-a.com"), "shop.customer-a.com", nil)
	const tok, ka = "tok_-123ABCxyz", "tok_-123ABCxyz.thumbprint-Zz"
	h.acme.Put("shop.customer-a.com", tok, ka)
	h.acme.Put("new.customer-b.com", tok, ka) // not (yet) a hostname the edge serves
	path := "/.well-known/acme-challenge/" + tok

	t.Run("answered", func(t *testing.T) {
		for _, host := range []string{"shop.customer-a.com", "SHOP.customer-a.com.:80", "new.customer-b.com"} {
			resp, body := get(t, h.httpClient(), "http://x"+path, "Host", host)
			if resp.StatusCode != 200 || body != ka {
				t.Fatalf("Host %s: %d %q", host, resp.StatusCode, body)
			}
			for k, want := range map[string]string{"Content-Type": "text/plain", "Cache-Control": "no-store"} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("Host %s: %s %q, want %q", host, k, got, want)
				}
			}
		}
	})
	for _, tc := range []struct{ name, request string }{
		{"another host", "GET " + path + " HTTP/1.1\r\nHost: other.customer-a.com\r\n"},
		{"POST", "POST " + path + " HTTP/1.1\r\nHost: shop.customer-a.com\r\nContent-Length: 0\r\n"},
		{"HEAD", "HEAD " + path + " HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
		{"unknown token", "GET " + path + "x HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
		{"percent-encoded token", "GET /.well-known/acme-challenge/%74ok_-123ABCxyz HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
		{"percent-encoded prefix", "GET /.well-known/%61cme-challenge/" + tok + " HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
		{"dot segment", "GET /.well-known/acme-challenge/../acme-challenge/" + tok + " HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
		{"query", "GET " + path + "?x=1 HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
		{"trailing slash", "GET " + path + "/ HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
		{"not base64url", "GET /.well-known/acme-challenge/tok.en HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
		{"empty token", "GET /.well-known/acme-challenge/ HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
		{"absolute form", "GET http://shop.customer-a.com" + path + " HTTP/1.1\r\nHost: shop.customer-a.com\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.rawTCP(t, tc.request+"Connection: close\r\n\r\n")
			if !strings.HasPrefix(resp, "HTTP/1.1 404 ") || strings.Contains(resp, ka) {
				t.Errorf("%q -> %q, want 404 without the key authorization", firstLine(tc.request), firstLine(resp))
			}
		})
	}
	t.Run("deleted", func(t *testing.T) {
		h.acme.Delete("shop.customer-a.com", tok)
		if resp, _ := get(t, h.httpClient(), "http://shop.customer-a.com"+path); resp.StatusCode != 404 {
			t.Errorf("a deleted challenge: %d", resp.StatusCode)
		}
	})
}

// TestOwnershipTokens is threat model A10: the edge serves a hostname's
// HTTP ownership token only on a host that routes to the same zone, and
// that is the hostname's own name.
func TestOwnershipTokens(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	a, b := h.zone(t, "saas-a.com"), h.zone(t, "saas-b.com")
	active := h.hostname(t, a, "own.customer-a.com", nil)
	h.hostname(t, a, "other.customer-a.com", nil)
	pending := func(z core.Zone, name string) core.Hostname {
		t.Helper()
		hn, err := h.svc.CreateHostname(t.Context(), z.ID, service.HostnameInput{Hostname: name})
		if err != nil {
			t.Fatal(err)
		}
		return hn
	}
	wildA := pending(a, "*.own.customer-a.com")
	claimB := pending(b, "own.customer-a.com")
	nowhereB := pending(b, "nowhere.customer-b.com")

	for _, tc := range []struct {
		name, host, id, method string
		token                  string // "" = 404
	}{
		{"the active hostname's own token", "own.customer-a.com", active.ID, "GET", active.OwnershipToken},
		{"a wildcard of the same tenant, on its base", "own.customer-a.com:80", wildA.ID, "GET", wildA.OwnershipToken},
		{"another tenant's claim on a routed name", "own.customer-a.com", claimB.ID, "GET", ""},
		{"a name that routes nowhere", "nowhere.customer-b.com", nowhereB.ID, "GET", ""},
		{"the token on another of the tenant's names", "other.customer-a.com", active.ID, "GET", ""},
		{"POST", "own.customer-a.com", active.ID, "POST", ""},
		{"upper-case id", "own.customer-a.com", strings.ToUpper(active.ID), "GET", ""},
		{"unknown id", "own.customer-a.com", "00000000-0000-4000-8000-000000000000", "GET", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, "http://x/.well-known/cf-custom-hostname-challenge/"+tc.id, nil)
			req.Host = tc.host
			resp, body := do(t, h.httpClient(), req)
			if tc.token == "" {
				if resp.StatusCode != 404 || strings.Contains(body, claimB.OwnershipToken) {
					t.Errorf("%d %q, want 404", resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != 200 || body != tc.token || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%d %q (Cache-Control %q), want the token", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
			}
		})
	}
}

// TestPlainHTTP: active hostnames redirect to HTTPS; a pending one gets a
// page and asks for a check (once a minute); others are 404.
func TestPlainHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	z := h.zone(t, "saas-a.com")
	h.hostname(t, z, "shop.customer-a.com", nil)
	h.hostname(t, z, "*.wild-a.com", nil)
	pend, err := h.svc.CreateHostname(t.Context(), z.ID, service.HostnameInput{Hostname: "pend.customer-a.com"})
	if err != nil {
		t.Fatal(err)
	}
	moved := h.hostname(t, z, "gone.customer-a.com", nil)
	if err := h.svc.SetHostnameStatus(t.Context(), z.ID, moved.ID, core.HostnameActive, core.HostnameMoved); err != nil {
		t.Fatal(err)
	}
	h.eventually(t, 2*time.Second, "dropping the moved hostname", func() bool { return !h.edge.serves("gone.customer-a.com") })

	c := h.httpClient()
	for _, tc := range []struct {
		method, url string
		status      int
		location    string
	}{
		{"GET", "http://shop.customer-a.com/a/b?c=d", 301, "https://shop.customer-a.com/a/b?c=d"},
		{"POST", "http://SHOP.customer-a.com:80/form", 308, "https://shop.customer-a.com/form"},
		{"GET", "http://x.wild-a.com/", 301, "https://x.wild-a.com/"},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, nil)
		resp, _ := do(t, c, req)
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
			t.Errorf("%s %s: %d %q", tc.method, tc.url, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for range 2 {
		resp, body := get(t, c, "http://pend.customer-a.com/")
		if resp.StatusCode != 503 || !strings.Contains(body, "not verified yet") {
			t.Errorf("pending: %d %q", resp.StatusCode, body)
		}
	}
	if got := h.checks.take(); len(got) != 1 || got[0] != z.ID+"/"+pend.ID {
		t.Errorf("checks requested: %v, want one for the pending hostname", got)
	}
	if resp, body := get(t, c, "http://gone.customer-a.com/"); resp.StatusCode != 404 || !strings.Contains(body, "moved") {
		t.Errorf("moved: %d %q", resp.StatusCode, body)
	}
	if resp, body := get(t, c, "http://unknown.customer-z.com/"); resp.StatusCode != 404 || !strings.Contains(body, "not served") {
		t.Errorf("unknown: %d %q", resp.StatusCode, body)
	}
}
