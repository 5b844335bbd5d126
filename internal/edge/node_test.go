package edge_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/testkit/node"
)

// TestNode runs the edge as `portico serve` does, in a real node on each
// backend: a hostname created through the service, with an uploaded
// certificate, is served over HTTPS once active, and its HTTP-01 challenge
// is answered on the HTTP listener from the node's challenge set.
func TestNode(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			n := node.Start(t, backend, node.WithEdge)
			if n.EdgeHTTPS() == "" || n.EdgeHTTP() == "" {
				t.Fatal("the edge is not running")
			}
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "hello from the origin of "+r.Host)
			}))
			defer origin.Close()
			ctx := t.Context()
			svc := n.Daemon.Service()
			z, err := svc.CreateZone(ctx, service.ZoneInput{Name: "saas-node.com", CNAMETarget: "c.saas-node.com", FallbackOrigin: origin.URL})
			if err != nil {
				t.Fatal(err)
			}
			ca := servicetest.NewCA(t, clock.Real{})
			cert, key := ca.Issue(t, "ecdsa", "shop.node-customer.com")
			hn, err := svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "shop.node-customer.com",
				SSL: &service.SSLInput{BundleMethod: ptr("force"),
					CustomCertificates: []service.CertKeyPair{{Certificate: cert, Key: key}}}})
			if err != nil {
				t.Fatal(err)
			}
			// The node verifies ownership for real: publish the CNAME, so that
			// its checks keep the hostname active. Verification may activate
			// it first; either way it ends up active.
			n.DNS.SetCNAME("shop.node-customer.com", "c.saas-node.com")
			_ = svc.SetHostnameStatus(ctx, z.ID, hn.ID, core.HostnamePending, core.HostnameActive)
			c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: ca.Pool},
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, "tcp", n.EdgeHTTPS())
				},
			}}
			var body string
			deadline := time.Now().Add(5 * time.Second)
			for {
				resp, err := c.Get("https://shop.node-customer.com/")
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					body = string(b)
					if resp.StatusCode == 200 {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("not served within 5s: %v %q", err, body)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if body != "hello from the origin of shop.node-customer.com" {
				t.Errorf("body %q", body)
			}

			n.Daemon.Challenges().Put("shop.node-customer.com", "tok123", "tok123.key")
			req, _ := http.NewRequest("GET", "http://"+n.EdgeHTTP()+"/.well-known/acme-challenge/tok123", nil)
			req.Host = "shop.node-customer.com"
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "tok123.key" {
				t.Errorf("HTTP-01 through the node: %d %q", resp.StatusCode, b)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
