package edge

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestH2LoopMatchesNetHTTP sends the same HTTP/2 requests (Go's client)
// through the HTTP/2 loop and through net/http's HTTP/2 server
// (NetHTTPOnly), and compares what the origin got and what the visitor
// got, as TestLoopMatchesNetHTTP does for HTTP/1.1.
func TestH2LoopMatchesNetHTTP(t *testing.T) {
	const okLength = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: X-Secret\r\nX-Secret: s\r\n" +
		"Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\nhello"
	big := strings.Repeat("0123456789abcdef", 20000) // 320 KB: past the initial windows
	type request struct {
		method, target, host string
		header               http.Header
		body                 string
		unknownLength        bool
	}
	get := func(target string) request { return request{method: "GET", target: target} }
	cases := []struct {
		name string
		req  request
		resp string
	}{
		{"plain GET", request{method: "GET", target: "/a/b?c=d&e", header: http.Header{
			"User-Agent": {"t/1"}, "Accept": {"*/*", "text/html"}, "Cookie": {"x=y"}}}, okLength},
		{"forwarding headers", request{method: "GET", target: "/", host: "Shop.Customer-A.com.:443", header: http.Header{
			"Proxy-Authorization": {"Basic eA=="}, "Forwarded": {"for=1.2.3.4"}, "X-Forwarded-For": {"6.6.6.6"},
			"X-Forwarded-Host": {"evil.com"}, "X-Forwarded-Proto": {"http"}, "Portico-Meta": {"forged"}, "Te": {"trailers"}}}, okLength},
		{"escapes kept", get("/a%2Fb/%7e/x%20y?q=%20&r=1+2"), okLength},
		{"a path to re-encode", get("/a{b}|c"), okLength},
		{"a semicolon query", get("/?a=1;b=2"), okLength},
		{"HEAD keeps the length", request{method: "HEAD", target: "/h"}, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nETag: \"e\"\r\n\r\n"},
		{"OPTIONS", request{method: "OPTIONS", target: "/o"}, "HTTP/1.1 204 No Content\r\nAllow: GET, HEAD\r\n\r\n"},
		{"chunked with trailer", get("/c"),
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n"},
		{"close-delimited HTTP/1.0", get("/old"), "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"},
		{"not modified", request{method: "GET", target: "/n", header: http.Header{"If-None-Match": {`"e"`}}},
			"HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n"},
		{"early hints dropped", get("/eh"), "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + okLength},
		{"odd status", get("/s"), "HTTP/1.1 599 Whatever\r\nContent-Length: 0\r\n\r\n"},
		{"broken origin", get("/b"), "HTTP/1.1 2xx Broken\r\n\r\n"},
		{"two lengths", get("/b"), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"},
		{"a large body", get("/big"), "HTTP/1.1 200 OK\r\nContent-Length: 320000\r\n\r\n" + big},
		{"a large chunked body", get("/bigc"), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4e200\r\n" + big + "\r\n0\r\n\r\n"},
		{"POST with a body", request{method: "POST", target: "/p", body: `{"a": "b"}`,
			header: http.Header{"Content-Type": {"application/json"}}}, okLength},
		{"POST without a body", request{method: "POST", target: "/p"}, okLength},
		{"PUT of unknown length", request{method: "PUT", target: "/p", body: "abc", unknownLength: true}, okLength},
		{"PATCH", request{method: "PATCH", target: "/p", body: "x"}, okLength},
		{"DELETE", request{method: "DELETE", target: "/p"}, "HTTP/1.1 204 No Content\r\n\r\n"},
		{"a large upload", request{method: "POST", target: "/up", body: big}, okLength},
		{"a large upload of unknown length", request{method: "POST", target: "/up", body: big, unknownLength: true}, okLength},
		{"an unknown hostname", request{method: "GET", target: "/", host: "other.example"}, okLength},
		{"fronting another hostname", request{method: "GET", target: "/", host: "www.customer-b.com"}, okLength},
	}
	run := func(t *testing.T, netHTTPOnly bool) map[string]exchange {
		h, o := loopHarness(t, netHTTPOnly, nil)
		h.hostname(t, h.zone(t, "saas-b.com"), "www.customer-b.com", withOrigin(o.url(), ""))
		c := h.client("shop.customer-a.com", true)
		out := map[string]exchange{}
		for _, tc := range cases {
			o.set(tc.resp)
			before := len(o.heads)
			var body io.Reader
			if tc.req.body != "" {
				body = strings.NewReader(tc.req.body)
				if tc.req.unknownLength {
					body = io.MultiReader(body)
				}
			}
			req, err := http.NewRequest(tc.req.method, "https://shop.customer-a.com/", body)
			if err != nil {
				t.Fatal(err)
			}
			req.URL = &url.URL{Scheme: "https", Host: "shop.customer-a.com", Opaque: tc.req.target}
			if tc.req.host != "" {
				req.Host = tc.req.host
			}
			for k, v := range tc.req.header {
				req.Header[k] = v
			}
			served := h.edge.m.loopServed.Load()
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if loop := h.edge.m.loopServed.Load() > served; loop == netHTTPOnly {
				t.Errorf("%s: served by the loop: %v", tc.name, loop)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("%s: reading the body: %v", tc.name, err)
			}
			if resp.ProtoMajor != 2 {
				t.Fatalf("%s: answered over %s", tc.name, resp.Proto)
			}
			resp.Header.Del("Date")
			r := exchange{status: resp.StatusCode, header: resp.Header, body: string(b), trailer: resp.Trailer}
			o.mu.Lock()
			got := len(o.heads) > before
			o.mu.Unlock()
			if got && resp.StatusCode != http.StatusBadGateway {
				r.origin = o.last(t)
				sent, _ := io.ReadAll(r.origin.Body)
				r.sent = string(sent)
			}
			out[tc.name] = r
		}
		return out
	}
	loop, std := run(t, false), run(t, true)
	for _, c := range cases {
		compareExchanges(t, c.name, loop[c.name], std[c.name])
	}
}

// TestH2LoopFailures: origin failures and slow visitors on the HTTP/2
// loop get the answers the HTTP/1.1 loop gives, on a connection that keeps
// serving: a body cut short resets its stream, a silent origin is 504, a
// closed one 502, a request body late past ReadTimeout 408.
func TestH2LoopFailures(t *testing.T) {
	h, o := loopHarness(t, false, func(c *Config) {
		c.OriginResponseTimeout = 300 * time.Millisecond
		c.ReadTimeout = 300 * time.Millisecond
	})
	c := h.client("shop.customer-a.com", true)
	get := func() (*http.Response, string, error) {
		resp, err := c.Get("https://shop.customer-a.com/")
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	o.set("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
	if _, _, err := get(); err == nil || !strings.Contains(err.Error(), "INTERNAL_ERROR") {
		t.Fatalf("a body cut short: %v, want the stream reset", err)
	}
	o.set("")
	if resp, body, err := get(); err != nil || resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(body, "did not answer in time") {
		t.Fatalf("silent origin: %v %v %q", resp, err, body)
	}
	o.set("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	if resp, body, err := get(); err != nil || resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("after the failures: %v %v %q", resp, err, body)
	}
	// A body that never comes.
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", "https://shop.customer-a.com/up", pr)
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("a late body: %v %v", resp, err)
	}
	resp.Body.Close()
	o.closeAll()
	if resp, _, err := get(); err != nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("closed origin: %v %v", resp, err)
	}
	if !strings.Contains(h.logs.String(), "origin request failed") {
		t.Error("origin failures not logged")
	}
	if log := h.access.String(); !strings.Contains(log, `"proto":"HTTP/2.0"`) || !strings.Contains(log, `"status":504`) {
		t.Errorf("the access log of HTTP/2 requests: %s", log)
	}
}

// TestH2LoopExpectContinue: a client that waits for 100 Continue before
// its body gets it, and the origin gets the body.
func TestH2LoopExpectContinue(t *testing.T) {
	h, o := loopHarness(t, false, nil)
	c := h.newClient("shop.customer-a.com", true)
	c.Transport.(*http.Transport).ExpectContinueTimeout = time.Minute
	var got100 atomic.Bool
	ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{Got100Continue: func() { got100.Store(true) }})
	req, _ := http.NewRequestWithContext(ctx, "PUT", "https://shop.customer-a.com/e", strings.NewReader("payload"))
	req.Header.Set("Expect", "100-continue")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT with Expect: %v %v", resp, err)
	}
	resp.Body.Close()
	if !got100.Load() {
		t.Error("no 100 Continue")
	}
	r := o.last(t)
	if b, _ := io.ReadAll(r.Body); string(b) != "payload" || r.Header.Get("Expect") != "" {
		t.Errorf("the origin got %q with Expect %q", b, r.Header.Get("Expect"))
	}
}

// TestH2LoopShutdown: Shutdown closes an idle HTTP/2 connection at once,
// and lets a running stream finish after telling its client GOAWAY.
func TestH2LoopShutdown(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.hostname(t, h.zone(t, "saas-a.com"), "shop.customer-a.com", nil)
	release, arrived := make(chan struct{}), make(chan struct{}, 1)
	h.origin.setHandler(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			arrived <- struct{}{}
			<-release
		}
		io.WriteString(w, "done")
	})
	idle := h.client("shop.customer-a.com", true)
	busy := h.newClient("shop.customer-a.com", true)
	for _, c := range []*http.Client{idle, busy} {
		if resp, body := get(t, c, "https://shop.customer-a.com/"); resp.StatusCode != 200 || body != "done" {
			t.Fatalf("before Shutdown: %d %q", resp.StatusCode, body)
		}
	}
	type result struct {
		resp *http.Response
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := busy.Get("https://shop.customer-a.com/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- result{resp, string(b), err}
	}()
	<-arrived
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- h.edge.Shutdown(ctx)
	}()
	h.eventually(t, 2*time.Second, "the listener closed", func() bool {
		c, err := net.Dial("tcp", h.edge.HTTPSAddr())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	close(release)
	r := <-slow
	if r.err != nil || r.resp.StatusCode != 200 || r.body != "done" {
		t.Fatalf("the running stream through Shutdown: %+v", r)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// FuzzH2Conn writes arbitrary bytes after a valid preface and SETTINGS on
// an HTTP/2 connection: whatever they are, the edge must not crash, must
// answer or close within the idle timeout, and must go on serving other
// connections. Run: go test -run X -fuzz FuzzH2Conn -fuzztime 60s ./internal/edge/
func FuzzH2Conn(f *testing.F) {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, hf := range [][2]string{{":method", "POST"}, {":scheme", "https"}, {":authority", "shop.customer-a.com"},
		{":path", "/f?x=1"}, {"content-length", "3"}, {"cookie", "a=1"}, {"cookie", "b=2"}} {
		enc.WriteField(hpack.HeaderField{Name: hf[0], Value: hf[1]})
	}
	var seed bytes.Buffer
	fr := http2.NewFramer(&seed, nil)
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	fr.WriteData(1, true, []byte("abc"))
	fr.WriteWindowUpdate(0, 1000)
	fr.WritePing(false, [8]byte{1})
	fr.WriteRSTStream(3, http2.ErrCodeCancel)
	f.Add(seed.Bytes())
	f.Add([]byte{0, 0, 4, 8, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}) // WINDOW_UPDATE on an idle stream
	f.Add([]byte{0, 0, 0, 9, 0, 0, 0, 0, 1})                         // a lone CONTINUATION

	// Short timeouts: an input that leaves a stream waiting for its body,
	// or the connection idle, ends in a second, not in a minute.
	h, o := loopHarness(f, false, func(c *Config) {
		c.IdleTimeout = 200 * time.Millisecond
		c.ReadTimeout = 500 * time.Millisecond
	})
	o.set("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	client := h.client("shop.customer-a.com", true)
	f.Fuzz(func(t *testing.T, frames []byte) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", h.edge.HTTPSAddr(),
			h.tlsConfig("shop.customer-a.com", "h2"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		var settings bytes.Buffer
		http2.NewFramer(&settings, nil).WriteSettings()
		if _, err := conn.Write(append(append([]byte(http2.ClientPreface), settings.Bytes()...), frames...)); err != nil {
			return // closed already: fine
		}
		// The edge answers, then closes at the idle timeout at the
		// latest (a stream it is still serving aside: the origin
		// answers at once here).
		if _, err := io.Copy(io.Discard, conn); err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the connection was neither answered nor closed in 5 s")
		}
		resp, err := client.Get("https://shop.customer-a.com/")
		if err != nil {
			t.Fatalf("the edge stopped serving: %v", err)
		}
		resp.Body.Close()
	})
}
