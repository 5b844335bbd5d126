package edge

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLimits: header bombs get 431 (E14); a client trickling its headers
// is cut at the header timeout (E1); a connection that never sends a
// ClientHello is cut at the handshake timeout (E2); a visitor that stops
// reading is cut at the write timeout (E3).
func TestLimits(t *testing.T) {
	const short = 300 * time.Millisecond
	h := newHarness(t, harnessOpts{config: func(c *Config) {
		c.HeaderTimeout, c.HandshakeTimeout, c.WriteTimeout = short, short, short
	}})
	h.hostname(t, h.zone(t, "saas-a.com"), "shop.customer-a.com", nil)

	t.Run("header bomb", func(t *testing.T) {
		for _, hdr := range [][]string{
			{"X-Big", strings.Repeat("a", 2<<20)},
			manyHeaders(5000),
		} {
			c := h.newClient("shop.customer-a.com", false)
			resp, _ := get(t, c, "https://shop.customer-a.com/", hdr...)
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("%d header bytes: status %d, want 431", len(strings.Join(hdr, "")), resp.StatusCode)
			}
			c.CloseIdleConnections()
		}
	})
	t.Run("slowloris", func(t *testing.T) {
		for _, tls := range []bool{false, true} {
			conn := h.dial(t, tls)
			start := time.Now()
			_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: shop.customer-a.com\r\n")
			closed := make(chan time.Duration, 1)
			go func() {
				_, _ = io.Copy(io.Discard, conn)
				closed <- time.Since(start)
			}()
			tick := time.NewTicker(50 * time.Millisecond)
		trickle:
			for {
				select {
				case d := <-closed:
					if d > short+2*time.Second {
						t.Errorf("TLS %v: closed after %v", tls, d)
					}
					break trickle
				case <-tick.C:
					if time.Since(start) > short+3*time.Second {
						t.Fatalf("TLS %v: still open after %v", tls, time.Since(start))
					}
					_, _ = io.WriteString(conn, "X")
				}
			}
			tick.Stop()
			conn.Close()
		}
	})
	t.Run("stalled handshake", func(t *testing.T) {
		conn, err := net.Dial("tcp", h.edge.HTTPSAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.Copy(io.Discard, conn)
		if d := time.Since(start); err != nil || d > short+2*time.Second {
			t.Errorf("a connection without ClientHello closed after %v (%v)", d, err)
		}
	})
	t.Run("visitor stops reading", func(t *testing.T) {
		big := strings.Repeat("x", 64<<20)
		h.origin.setHandler(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, big) })
		defer h.origin.handle.Store(nil)
		conn := h.dial(t, true)
		defer conn.Close()
		_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n")
		time.Sleep(short + 700*time.Millisecond) // read nothing past the write timeout
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _ := io.Copy(io.Discard, conn)
		if n >= int64(len(big)) {
			t.Errorf("read all %d bytes after stalling past the write timeout", n)
		}
	})
	t.Run("a response that keeps moving outlives the write timeout", func(t *testing.T) {
		h.origin.setHandler(func(w http.ResponseWriter, r *http.Request) {
			for range 8 {
				_, _ = io.WriteString(w, "tick\n")
				w.(http.Flusher).Flush()
				time.Sleep(short / 2)
			}
		})
		defer h.origin.handle.Store(nil)
		resp, body := get(t, h.client("", false), "https://shop.customer-a.com/stream")
		if resp.StatusCode != 200 || strings.Count(body, "tick") != 8 {
			t.Errorf("stream: %d, %d ticks", resp.StatusCode, strings.Count(body, "tick"))
		}
	})
}

func manyHeaders(n int) []string {
	var out []string
	for i := range n {
		out = append(out, "X-H"+strings.Repeat("h", i%50), "v")
	}
	return out
}

// dial opens a raw connection to the HTTPS (TLS, SNI shop.customer-a.com)
// or the HTTP listener.
func (h *harness) dial(t *testing.T, useTLS bool) net.Conn {
	t.Helper()
	if !useTLS {
		conn, err := net.Dial("tcp", h.edge.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
	conn, err := tls.Dial("tcp", h.edge.HTTPSAddr(), h.tlsConfig("shop.customer-a.com", "http/1.1"))
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
