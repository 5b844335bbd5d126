package edge

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingOrigin is an HTTP origin that counts the connections it accepts.
func countingOrigin(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// TestFastPath: bodiless GET, HEAD and OPTIONS go through the synchronous
// HTTP/1.1 transport on pooled connections, with every framing the origin
// may use; requests with bodies still reach the origin whole.
func TestFastPath(t *testing.T) {
	srv, conns := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Header().Set("Trailer", "X-Sum")
			_, _ = io.WriteString(w, "part1 ")
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, "part2")
			w.Header().Set("X-Sum", "42")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			_, _ = io.WriteString(w, r.Method+" "+string(b))
		default:
			w.Header().Set("Content-Length", "8")
			_, _ = io.WriteString(w, "origin!!")
		}
	})
	h := newHarness(t, harnessOpts{})
	z := h.zone(t, "saas-a.com")
	h.hostname(t, z, "fast.customer-a.com", withOrigin(srv.URL, ""))
	for _, http2 := range []bool{false, true} {
		c := h.client("", http2)
		conns.Store(0)
		for range 20 {
			if resp, body := get(t, c, "https://fast.customer-a.com/"); resp.StatusCode != 200 || body != "origin!!" {
				t.Fatalf("GET: %d %q", resp.StatusCode, body)
			}
		}
		if n := conns.Load(); n > 1 { // 0 on the second pass: the first one's connection
			t.Errorf("http2=%v: 20 sequential requests opened %d origin connections, want at most 1", http2, n)
		}
		resp, body := get(t, c, "https://fast.customer-a.com/chunked")
		if resp.StatusCode != 200 || body != "part1 part2" || resp.Trailer.Get("X-Sum") != "42" {
			t.Errorf("http2=%v: chunked: %d %q, trailer %v", http2, resp.StatusCode, body, resp.Trailer)
		}
		req, _ := http.NewRequest(http.MethodHead, "https://fast.customer-a.com/", nil)
		if resp, body := do(t, c, req); resp.StatusCode != 200 || body != "" || resp.ContentLength != 8 {
			t.Errorf("http2=%v: HEAD: %d %q, length %d", http2, resp.StatusCode, body, resp.ContentLength)
		}
		if resp, _ := get(t, c, "https://fast.customer-a.com/empty"); resp.StatusCode != 204 {
			t.Errorf("http2=%v: 204: %d", http2, resp.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodPost, "https://fast.customer-a.com/echo", strings.NewReader("a body"))
		if resp, body := do(t, c, req); resp.StatusCode != 200 || body != "POST a body" {
			t.Errorf("http2=%v: POST: %d %q", http2, resp.StatusCode, body)
		}
		// After all that, GETs still share one pooled connection.
		conns.Store(0)
		for range 5 {
			get(t, c, "https://fast.customer-a.com/")
		}
		if n := conns.Load(); n > 1 {
			t.Errorf("http2=%v: %d new origin connections after the mixed requests", http2, n)
		}
	}
}

// TestFastPathOriginClosesIdle: an origin that closes each connection after
// its response without saying so (no Connection: close) makes the pooled
// connection fail on its next use; the request is sent again on a new one
// and the visitor sees nothing.
func TestFastPathOriginClosesIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				r := bufio.NewReader(c)
				if _, err := http.ReadRequest(r); err != nil {
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}()
		}
	}()
	h := newHarness(t, harnessOpts{})
	h.hostname(t, h.zone(t, "saas-a.com"), "closer.customer-a.com", withOrigin("http://"+ln.Addr().String(), ""))
	c := h.client("", false)
	for i := range 5 {
		if resp, body := get(t, c, "https://closer.customer-a.com/"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond) // let the origin's close arrive
	}
	if n := accepted.Load(); n != 5 {
		t.Errorf("origin accepted %d connections, want 5 (one per request)", n)
	}
}

// TestFastPathAbandonedBody: a visitor who leaves in the middle of a
// response does not leave a half-read connection in the pool.
func TestFastPathAbandonedBody(t *testing.T) {
	big := strings.Repeat("x", 16<<20) // more than the socket buffers hold
	srv, conns := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = io.WriteString(w, big)
			return
		}
		_, _ = io.WriteString(w, "small")
	})
	h := newHarness(t, harnessOpts{})
	h.hostname(t, h.zone(t, "saas-a.com"), "big.customer-a.com", withOrigin(srv.URL, ""))
	c := h.client("", false)
	resp, err := c.Get("https://big.customer-a.com/big")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // mid-body: the client closes the connection
	c.CloseIdleConnections()
	for i := range 3 {
		if resp, body := get(t, c, "https://big.customer-a.com/small"); resp.StatusCode != 200 || body != "small" {
			t.Fatalf("request %d after the abandoned one: %d %q", i, resp.StatusCode, body)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("origin connections: %d, want 2 (the abandoned one is not reused)", n)
	}
}
