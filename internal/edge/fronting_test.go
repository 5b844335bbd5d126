package edge

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestFronting is threat model E9 and E10: a Host that names another
// hostname than the SNI gets 421, whether that hostname is another
// tenant's, unknown, or given in an absolute-form request line; two names
// under one wildcard hostname are the same hostname; Host spellings that
// normalize to the SNI are the same name.
func TestFronting(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	a, b := h.zone(t, "saas-a.com"), h.zone(t, "saas-b.com")
	h.hostname(t, a, "shop.tenant-a.com", nil)
	h.hostname(t, b, "shop.tenant-b.com", nil)
	h.hostname(t, b, "*.wild-b.com", nil)
	h.hostname(t, a, "exact.wild-b.com", nil)

	for _, tc := range []struct {
		name, sni, host string
		http2           bool
		want            int
	}{
		{"same host", "shop.tenant-a.com", "shop.tenant-a.com", false, 200},
		{"port, case and trailing dot", "shop.tenant-a.com", "Shop.Tenant-A.com.:443", false, 200},
		{"another tenant", "shop.tenant-a.com", "shop.tenant-b.com", false, 421},
		{"another tenant over HTTP/2", "shop.tenant-a.com", "shop.tenant-b.com", true, 421},
		{"unknown host", "shop.tenant-a.com", "evil.example-x.com", false, 421},
		{"one wildcard hostname", "a.wild-b.com", "b.wild-b.com", true, 200},
		{"exact name under another tenant's wildcard", "a.wild-b.com", "exact.wild-b.com", false, 421},
		{"a port that is not a port", "shop.tenant-a.com", "shop.tenant-a.com:evil", false, 421},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := h.newClient(tc.sni, tc.http2)
			defer c.CloseIdleConnections()
			c.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
			before := h.origin.count.Load()
			resp, _ := get(t, c, "https://"+tc.sni+"/", "Host", tc.host)
			if resp.StatusCode != tc.want {
				t.Errorf("SNI %s, Host %s: %d, want %d", tc.sni, tc.host, resp.StatusCode, tc.want)
			}
			if tc.want == 421 && h.origin.count.Load() != before {
				t.Error("a misdirected request reached the origin")
			}
		})
	}
	t.Run("absolute-form request line", func(t *testing.T) {
		resp := h.raw(t, "shop.tenant-a.com",
			"GET https://shop.tenant-b.com/ HTTP/1.1\r\nHost: shop.tenant-a.com\r\nConnection: close\r\n\r\n")
		if !strings.HasPrefix(resp, "HTTP/1.1 421 ") {
			t.Errorf("absolute-form to another tenant: %q", firstLine(resp))
		}
	})
}

// TestSmuggling is a sample of threat model E6: for each request the
// client sends, the origin sees at most one, framed as the edge read it.
func TestSmuggling(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.hostname(t, h.zone(t, "saas-a.com"), "shop.tenant-a.com", nil)
	const host = "Host: shop.tenant-a.com\r\n"
	for _, tc := range []struct {
		name    string
		payload string
		status  string // the first response's status code
		maxReqs int64  // requests the origin may see
	}{
		{"CL and TE: chunked wins, the rest is not a request",
			"POST / HTTP/1.1\r\n" + host + "Content-Length: 44\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
				"0\r\n\r\nGET /smuggled HTTP/1.1\r\n" + host + "\r\n", "200", 1},
		{"two different Content-Lengths",
			"POST / HTTP/1.1\r\n" + host + "Content-Length: 3\r\nContent-Length: 30\r\n\r\nabc", "400", 0},
		{"obfuscated Transfer-Encoding",
			"POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", "501", 0},
		{"space before the colon",
			"POST / HTTP/1.1\r\n" + host + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", "400", 0},
		{"duplicate Host",
			"GET / HTTP/1.1\r\n" + host + "Host: shop.tenant-b.com\r\n\r\n", "400", 0},
		{"bare LF in a chunk size",
			"POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\nabc\r\n0\r\n\r\n", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.origin.count.Load()
			resp := h.raw(t, "shop.tenant-a.com", tc.payload)
			if tc.status != "" && !strings.HasPrefix(resp, "HTTP/1.1 "+tc.status+" ") {
				t.Errorf("first response %q, want %s", firstLine(resp), tc.status)
			}
			if got := h.origin.count.Load() - before; got > tc.maxReqs {
				t.Errorf("the origin saw %d requests, at most %d allowed", got, tc.maxReqs)
			}
			if strings.Contains(resp, "smuggled") {
				t.Error("the smuggled request was answered")
			}
			h.origin.mu.Lock()
			for _, r := range h.origin.reqs {
				if r.URL.Path == "/smuggled" {
					t.Error("the origin saw the smuggled request")
				}
			}
			h.origin.mu.Unlock()
		})
	}
}

// raw sends payload on a TLS connection with sni (HTTP/1.1 only) and
// returns everything read until the server closes or a second passes.
func (h *harness) raw(t *testing.T, sni, payload string) string {
	t.Helper()
	cfg := h.tlsConfig(sni, "http/1.1")
	conn, err := tls.Dial("tcp", h.edge.HTTPSAddr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, payload); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	b, _ := io.ReadAll(bufio.NewReader(conn))
	return string(b)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

// rawTCP is raw for the plain HTTP listener.
func (h *harness) rawTCP(t *testing.T, payload string) string {
	t.Helper()
	conn, err := net.Dial("tcp", h.edge.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, payload); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	b, _ := io.ReadAll(conn)
	return string(b)
}
