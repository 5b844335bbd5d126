package scd

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/testkit/node"
)

// TestTheREADMEStory follows the README: an upstream, a custom domain
// that redirects to www, DNS pointed, verify_dns_records, certificates
// deployed (uploaded here, as ACME is not wired yet), and then real TLS
// requests to the edge: the apex redirects to www, and www reaches the
// upstream under its prepend_path with the visitor's host.
func TestTheREADMEStory(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, node.WithEdge)
			var (
				mu   sync.Mutex
				seen struct{ path, host string }
			)
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				seen.path, seen.host = r.URL.RequestURI(), r.Host
				_, _ = io.WriteString(w, "hello from the app")
			}))
			defer origin.Close()

			up, _ := e.upstream(t, e.a, map[string]any{"host": origin.URL, "prepend_path": "/app"})
			path, d := e.domain(t, e.a, up, map[string]any{"host": "example-customer.com", "redirect_to_www": true})

			// The customer publishes the ownership TXT of the apex (an apex
			// cannot CNAME) and the CNAME of www.
			for _, h := range e.cf(t, e.a, "GET", "", nil).JSON(t)["result"].([]any) {
				h := h.(map[string]any)
				ov := h["ownership_verification"].(map[string]any)
				if h["hostname"] == "example-customer.com" {
					e.node.DNS.SetTXT(ov["name"].(string), ov["value"].(string))
				}
			}
			e.node.DNS.SetCNAME("www.example-customer.com", "customers.saasprovider.com")
			v := e.must(t, http.StatusOK, e.a.Token, "POST", path+"/verify_dns_records", nil)
			if v["dns_status"] != "valid" || v["host"] != "example-customer.com" {
				t.Fatalf("verify: %v", v)
			}
			ca := servicetest.NewCA(t, clock.Real{})
			for _, h := range e.cf(t, e.a, "GET", "", nil).JSON(t)["result"].([]any) {
				h := h.(map[string]any)
				e.uploadCertificate(t, e.a, ca, h["id"].(string), h["hostname"].(string))
			}
			got := e.must(t, http.StatusOK, e.a.Token, "GET", path, nil)
			if got["status"] != "dns_records_found" || got["tls_certificate_issued"] != true || got["uuid"] != d["uuid"] {
				t.Fatalf("after DNS and certificates: %v", got)
			}

			c := &http.Client{Timeout: 5 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
				Transport: &http.Transport{
					TLSClientConfig: &tls.Config{RootCAs: ca.Pool},
					DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
						return (&net.Dialer{}).DialContext(ctx, "tcp", e.node.EdgeHTTPS())
					},
				}}
			defer c.CloseIdleConnections()
			var resp *http.Response
			deadline := time.Now().Add(10 * time.Second)
			for {
				var err error
				resp, err = c.Get("https://example-customer.com/pricing?plan=pro")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusMovedPermanently {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("the apex never redirected: %v %v", resp, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if loc := resp.Header.Get("Location"); loc != "https://www.example-customer.com/pricing?plan=pro" {
				t.Errorf("Location %q", loc)
			}
			resp, err := c.Get("https://www.example-customer.com/pricing?plan=pro")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "hello from the app" {
				t.Fatalf("www: %d %q", resp.StatusCode, b)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen.path != "/app/pricing?plan=pro" || seen.host != "www.example-customer.com" {
				t.Errorf("the upstream saw %q for host %q", seen.path, seen.host)
			}
			if !strings.HasPrefix(origin.URL, "http://") {
				t.Fatal(origin.URL)
			}
		})
	}
}
