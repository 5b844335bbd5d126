package edge

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/netip"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
)

func withOrigin(origin, sni string) func(*service.HostnameInput) {
	return func(in *service.HostnameInput) {
		in.CustomOriginServer = &origin
		if sni != "" {
			in.CustomOriginSNI = &sni
		}
	}
}

// TestRouting: a hostname goes to its custom origin, else to its zone's
// fallback; the origin sees the visitor's host (normalized) as Host and
// X-Forwarded-* from trusted data only (E7, E8, E10).
func TestRouting(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *Config) {
		c.MetadataHeader = "Portico-Hostname-Metadata"
	}})
	custom := newOrigin(t)
	z := h.zone(t, "saas-a.com")
	h.hostname(t, z, "fallback.customer-a.com", nil)
	h.hostname(t, z, "custom.customer-a.com", func(in *service.HostnameInput) {
		withOrigin(custom.url(), "")(in)
		in.CustomMetadata = []byte(`{"plan": "pro", "seats": 3}`)
	})

	for _, proto := range []struct {
		name  string
		http2 bool
	}{{"HTTP/1.1", false}, {"HTTP/2", true}} {
		t.Run(proto.name, func(t *testing.T) {
			resp, body := get(t, h.client("", proto.http2), "https://fallback.customer-a.com/a?b=c")
			if resp.StatusCode != 200 || body != "origin ok fallback.customer-a.com" {
				t.Fatalf("fallback: %d %q", resp.StatusCode, body)
			}
			if proto.http2 != (resp.ProtoMajor == 2) {
				t.Errorf("visitor protocol %s", resp.Proto)
			}
			if r := h.origin.last(t); r.URL.RequestURI() != "/a?b=c" || r.Header.Get("X-Forwarded-Proto") != "https" {
				t.Errorf("fallback origin got %s, X-Forwarded-Proto %q", r.URL.RequestURI(), r.Header.Get("X-Forwarded-Proto"))
			}
			resp, body = get(t, h.client("custom.customer-a.com", proto.http2), "https://custom.customer-a.com/",
				"Host", "CUSTOM.Customer-A.com.:443", "X-Forwarded-For", "6.6.6.6",
				"Portico-Hostname-Metadata", `{"plan":"free"}`)
			if resp.StatusCode != 200 || body != "origin ok custom.customer-a.com" {
				t.Fatalf("custom origin, odd Host: %d %q", resp.StatusCode, body)
			}
			r := custom.last(t)
			for k, want := range map[string]string{
				"X-Forwarded-For":           "127.0.0.1", // the spoofed value is gone
				"X-Forwarded-Host":          "custom.customer-a.com",
				"Portico-Hostname-Metadata": `{"plan":"pro","seats":3}`,
			} {
				if got := strings.Join(r.Header.Values(k), "|"); got != want {
					t.Errorf("origin saw %s %q, want %q", k, got, want)
				}
			}
		})
	}
	t.Run("Connection cannot strip proxy headers (E7)", func(t *testing.T) {
		resp, _ := get(t, h.client("", false), "https://custom.customer-a.com/",
			"Connection", "X-Forwarded-For, X-Forwarded-Proto, Portico-Hostname-Metadata")
		r := custom.last(t)
		if resp.StatusCode != 200 || r.Header.Get("X-Forwarded-For") == "" || r.Header.Get("X-Forwarded-Proto") != "https" ||
			r.Header.Get("Portico-Hostname-Metadata") == "" {
			t.Errorf("status %d, origin headers %v", resp.StatusCode, r.Header)
		}
	})
	t.Run("metadata only for the hostname that has it", func(t *testing.T) {
		get(t, h.client("", false), "https://fallback.customer-a.com/", "Portico-Hostname-Metadata", `{"spoofed":1}`)
		if v := h.origin.last(t).Header.Values("Portico-Hostname-Metadata"); len(v) != 0 {
			t.Errorf("origin saw a metadata header %q the hostname does not have", v)
		}
	})
	t.Run("access log", func(t *testing.T) {
		recs := h.access.Records(map[string]string{"host": "custom.customer-a.com", "listener": "https"})
		if len(recs) == 0 {
			t.Fatalf("no access log record; log: %s", h.access.String())
		}
		rec := recs[len(recs)-1]
		for _, k := range []string{"method", "uri", "status", "bytes", "duration_ms", "zone_id", "hostname_id", "remote"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("access log record lacks %s: %v", k, rec)
			}
		}
		if rec["zone_id"] != z.ID {
			t.Errorf("zone_id %v, want %s", rec["zone_id"], z.ID)
		}
	})
}

func TestTrustedProxies(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}})
	h.hostname(t, h.zone(t, "saas-a.com"), "lb.customer-a.com", nil)
	get(t, h.client("", false), "https://lb.customer-a.com/", "X-Forwarded-For", "203.0.113.7, 10.0.0.2")
	if got := h.origin.last(t).Header.Get("X-Forwarded-For"); got != "203.0.113.7, 10.0.0.2, 127.0.0.1" {
		t.Errorf("X-Forwarded-For through a trusted proxy = %q", got)
	}
}

// TestOriginFailures: an origin that refuses is 502, one that does not
// answer in time is 504, each with a small page.
func TestOriginFailures(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *Config) { c.OriginResponseTimeout = 300 * time.Millisecond }})
	z := h.zone(t, "saas-a.com")
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	h.hostname(t, z, "down.customer-a.com", withOrigin(closed.URL, ""))
	h.hostname(t, z, "slow.customer-a.com", nil)
	h.origin.setHandler(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	c := h.client("", false)
	if resp, body := get(t, c, "https://down.customer-a.com/"); resp.StatusCode != 502 || !strings.Contains(body, "origin") {
		t.Errorf("origin down: %d %q", resp.StatusCode, body)
	}
	if resp, body := get(t, c, "https://slow.customer-a.com/"); resp.StatusCode != 504 || !strings.Contains(body, "in time") {
		t.Errorf("origin slow: %d %q", resp.StatusCode, body)
	}
}

// TestHTTPSOrigins: no scheme means HTTPS with verification;
// custom_origin_sni picks the name sent and verified, and
// ":request_host_header:" sends the visitor's host.
func TestHTTPSOrigins(t *testing.T) {
	ca := servicetest.NewCA(t, clock.Real{}) // the origin's CA, valid now
	certPEM, keyPEM := ca.Issue(t, "ecdsa", "origin.provider-x.com", "sni.customer-a.com")
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	var sniSeen atomicString
	tlsOrigin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sniSeen.Store(r.TLS.ServerName)
		_, _ = w.Write([]byte("tls origin " + r.Host))
	}))
	tlsOrigin.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	tlsOrigin.StartTLS()
	t.Cleanup(tlsOrigin.Close)
	addr := strings.TrimPrefix(tlsOrigin.URL, "https://")

	h := newHarness(t, harnessOpts{config: func(c *Config) { c.OriginRoots = ca.Pool }})
	z := h.zone(t, "saas-a.com")
	h.hostname(t, z, "fixed.customer-a.com", withOrigin(addr, "origin.provider-x.com"))
	h.hostname(t, z, "sni.customer-a.com", withOrigin(addr, ":request_host_header:"))
	h.hostname(t, z, "nosni.customer-a.com", withOrigin(addr, ""))
	for _, tc := range []struct {
		host, sni string
		status    int
	}{
		{"fixed.customer-a.com", "origin.provider-x.com", 200},
		{"sni.customer-a.com", "sni.customer-a.com", 200},
		{"nosni.customer-a.com", "", 502}, // verified against 127.0.0.1, which the certificate does not cover
	} {
		sniSeen.Store("")
		resp, body := get(t, h.client("", true), "https://"+tc.host+"/")
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %q, want %d", tc.host, resp.StatusCode, body, tc.status)
		}
		if tc.status == 200 && (sniSeen.Load() != tc.sni || body != "tls origin "+tc.host) {
			t.Errorf("%s: origin saw SNI %q and %q, want SNI %q", tc.host, sniSeen.Load(), body, tc.sni)
		}
	}
}

// TestEarlyHints: 103 from the origin reaches the visitor only for
// hostnames with early_hints on.
func TestEarlyHints(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	z := h.zone(t, "saas-a.com")
	h.hostname(t, z, "hints.customer-a.com", func(in *service.HostnameInput) {
		in.SSL.Settings = &service.TLSSettingsInput{EarlyHints: ptr("on")}
	})
	h.hostname(t, z, "nohints.customer-a.com", nil)
	h.origin.setHandler(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		_, _ = w.Write([]byte("done"))
	})
	for host, want := range map[string]int{"hints.customer-a.com": 1, "nohints.customer-a.com": 0} {
		got := 0
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, hdr textproto.MIMEHeader) error {
			if code == 103 && hdr.Get("Link") != "" {
				got++
			}
			return nil
		}}
		req, _ := http.NewRequest("GET", "https://"+host+"/", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		resp, body := do(t, h.client("", false), req)
		if resp.StatusCode != 200 || body != "done" || got != want {
			t.Errorf("%s: %d %q, %d early hints; want %d", host, resp.StatusCode, body, got, want)
		}
	}
}
