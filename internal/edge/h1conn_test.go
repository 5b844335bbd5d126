package edge

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/service"
)

// rawOrigin is an HTTP/1.1 origin that records each request head byte for
// byte and answers with a scripted response, for tests that compare what
// the loop and net/http put on the wire.
type rawOrigin struct {
	ln    net.Listener
	mu    sync.Mutex
	heads []string
	resp  atomic.Pointer[string]
	conns atomic.Int64
	open  []net.Conn // under mu
	// hangUp closes each connection after its response, without saying
	// so: as an origin whose idle timeout fired.
	hangUp atomic.Bool
}

// closeAll stops the origin: listener and connections.
func (o *rawOrigin) closeAll() {
	o.ln.Close()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.open {
		c.Close()
	}
}

func newRawOrigin(t testing.TB) *rawOrigin {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &rawOrigin{ln: ln}
	o.set("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.conns.Add(1)
			o.mu.Lock()
			o.open = append(o.open, c)
			o.mu.Unlock()
			go o.serve(c)
		}
	}()
	return o
}

func (o *rawOrigin) set(resp string) { o.resp.Store(&resp) }

func (o *rawOrigin) url() string { return "http://" + o.ln.Addr().String() }

func (o *rawOrigin) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		var head strings.Builder
		length, chunked := 0, false
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Transfer-Encoding") {
				chunked = strings.EqualFold(strings.TrimSpace(v), "chunked")
			}
			if line == "\r\n" {
				break
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		if chunked {
			// Recorded de-chunked, with the length it had.
			b, err := io.ReadAll(httputil.NewChunkedReader(br))
			if err != nil {
				return
			}
			if _, err := br.ReadString('\n'); err != nil { // the empty trailer
				return
			}
			body = b
		}
		o.mu.Lock()
		o.heads = append(o.heads, head.String()+string(body))
		o.mu.Unlock()
		resp := *o.resp.Load()
		if _, err := io.WriteString(c, resp); err != nil {
			return
		}
		if strings.HasPrefix(resp, "HTTP/1.0") || strings.Contains(resp, "Connection: close") || o.hangUp.Load() {
			return
		}
	}
}

// last returns the last request the origin got, parsed.
func (o *rawOrigin) last(t *testing.T) *http.Request {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.heads) == 0 {
		t.Fatal("the origin got no request")
	}
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(o.heads[len(o.heads)-1])))
	if err != nil {
		t.Fatalf("the origin got an unparsable request: %v\n%s", err, o.heads[len(o.heads)-1])
	}
	return r
}

// dialLoop opens a TLS connection (ALPN http/1.1, SNI shop.customer-a.com)
// to the edge, closed when the test ends, with a 5 s deadline.
func dialLoop(t *testing.T, h *harness) (*tls.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := tls.Dial("tcp", h.edge.HTTPSAddr(), h.tlsConfig("shop.customer-a.com", "http/1.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	return conn, bufio.NewReader(conn)
}

// exchangeRaw writes raw on a new connection (dialLoop) and reads one
// response to method.
func exchangeRaw(t *testing.T, h *harness, raw, method string) (*http.Response, string) {
	t.Helper()
	conn, br := dialLoop(t, h)
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return resp, string(b)
}

// loopHarness is a harness whose hostname "shop.customer-a.com" goes to a
// raw origin; netHTTPOnly turns the loop off.
func loopHarness(t testing.TB, netHTTPOnly bool, config func(*Config)) (*harness, *rawOrigin) {
	h := newHarness(t, harnessOpts{config: func(c *Config) {
		c.NetHTTPOnly = netHTTPOnly
		c.MetadataHeader = "Portico-Meta"
		if config != nil {
			config(c)
		}
	}})
	o := newRawOrigin(t)
	z := h.zone(t, "saas-a.com")
	h.hostname(t, z, "shop.customer-a.com", func(in *service.HostnameInput) {
		withOrigin(o.url(), "")(in)
		in.CustomMetadata = []byte(`{"plan":"pro"}`)
	})
	return h, o
}

// TestLoopMatchesNetHTTP sends the same bytes through the loop and through
// net/http (NetHTTPOnly) and compares what the origin got and what the
// visitor got: the loop must be invisible.
func TestLoopMatchesNetHTTP(t *testing.T) {
	const okLength = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: X-Secret\r\nX-Secret: s\r\n" +
		"Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\nhello"
	cases := []struct {
		name, req, resp string
		method          string
		loop            bool // the loop proxies it (else it hands off)
	}{
		{"plain GET", "GET /a/b?c=d&e HTTP/1.1\r\nHost: shop.customer-a.com\r\nUser-Agent: t/1\r\nAccept: */*\r\nAccept: text/html\r\nCookie: x=y\r\n\r\n",
			okLength, "GET", true},
		{"hop-by-hop and forwarding headers", "GET / HTTP/1.1\r\nhost: Shop.Customer-A.com.:443\r\nConnection: keep-alive\r\nKeep-Alive: 300\r\n" +
			"Proxy-Authorization: Basic eA==\r\nProxy-Connection: x\r\nForwarded: for=1.2.3.4\r\nX-Forwarded-For: 6.6.6.6\r\n" +
			"X-Forwarded-Host: evil.com\r\nX-Forwarded-Proto: http\r\nportico-meta: forged\r\ncontent-length: 0\r\n\r\n", okLength, "GET", true},
		{"escapes kept", "GET /a%2Fb/%7e/x%20y?q=%20&r=1+2 HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n", okLength, "GET", true},
		{"HEAD keeps the length", "HEAD /h HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nETag: \"e\"\r\n\r\n", "HEAD", true},
		{"OPTIONS", "OPTIONS /o HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
			"HTTP/1.1 204 No Content\r\nAllow: GET, HEAD\r\n\r\n", "OPTIONS", true},
		{"chunked with trailer", "GET /c HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n", "GET", true},
		{"close-delimited HTTP/1.0", "GET /old HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
			"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", "GET", true},
		{"not modified", "GET /n HTTP/1.1\r\nHost: shop.customer-a.com\r\nIf-None-Match: \"e\"\r\n\r\n",
			"HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n", "GET", true},
		{"early hints dropped", "GET /eh HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
			"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + okLength, "GET", true},
		{"odd status", "GET /s HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
			"HTTP/1.1 599 Whatever\r\nContent-Length: 0\r\n\r\n", "GET", true},
		{"broken origin", "GET /b HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
			"HTTP/1.1 2xx Broken\r\n\r\n", "GET", true},
		{"two lengths", "GET /b HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", "GET", true},
		{"POST with a small body", "POST /p HTTP/1.1\r\nHost: shop.customer-a.com\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a\": \"b\"}",
			okLength, "POST", true},
		{"POST without a body", "POST /p HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n", okLength, "POST", true},
		{"PUT", "PUT /p HTTP/1.1\r\nHost: shop.customer-a.com\r\nContent-Length: 3\r\n\r\nabc", okLength, "PUT", true},
		{"PATCH with length 0", "PATCH /p HTTP/1.1\r\nHost: shop.customer-a.com\r\nContent-Length: 0\r\n\r\n", okLength, "PATCH", true},
		{"DELETE", "DELETE /p HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
			"HTTP/1.1 204 No Content\r\n\r\n", "DELETE", true},
		{"a body over the buffer goes to net/http", "POST /big HTTP/1.1\r\nHost: shop.customer-a.com\r\nContent-Length: 5000\r\n\r\n" +
			strings.Repeat("b", 5000), okLength, "POST", false},
		{"a chunked body goes to net/http", "POST /c HTTP/1.1\r\nHost: shop.customer-a.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
			okLength, "POST", false},
		{"a GET body goes to net/http", "GET /g HTTP/1.1\r\nHost: shop.customer-a.com\r\nContent-Length: 2\r\n\r\nhi", okLength, "GET", false},
		{"a Connection token goes to net/http", "GET / HTTP/1.1\r\nHost: shop.customer-a.com\r\nConnection: X-Drop\r\nX-Drop: 1\r\n\r\n",
			okLength, "GET", false},
		{"a semicolon query goes to net/http", "GET /?a=1;b=2 HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n", okLength, "GET", false},
		{"a path to re-encode goes to net/http", "GET /a{b} HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n", okLength, "GET", false},
		{"HTTP/1.0 goes to net/http", "GET / HTTP/1.0\r\nHost: shop.customer-a.com\r\n\r\n", okLength, "GET", false},
	}
	run := func(t *testing.T, netHTTPOnly bool) map[string]exchange {
		h, o := loopHarness(t, netHTTPOnly, nil)
		out := map[string]exchange{}
		for _, c := range cases {
			o.set(c.resp)
			t.Logf("case %q, net/http only: %v", c.name, netHTTPOnly)
			before := h.edge.m.loopServed.Load()
			resp, body := exchangeRaw(t, h, c.req, c.method)
			if served := h.edge.m.loopServed.Load() > before; !netHTTPOnly && served != c.loop {
				t.Errorf("%s: served by the loop: %v, want %v", c.name, served, c.loop)
			}
			resp.Header.Del("Date")
			var got *http.Request
			var sent []byte
			if resp.StatusCode != http.StatusBadGateway {
				got = o.last(t)
				sent, _ = io.ReadAll(got.Body)
			}
			out[c.name] = exchange{resp.StatusCode, resp.Header, body, resp.Trailer, got, string(sent)}
		}
		return out
	}
	loop, std := run(t, false), run(t, true)
	for _, c := range cases {
		compareExchanges(t, c.name, loop[c.name], std[c.name])
	}
}

// exchange is what the visitor and the origin got of one request.
type exchange struct {
	status  int
	header  http.Header
	body    string
	trailer http.Header
	origin  *http.Request // nil: the origin got nothing
	sent    string        // the body the origin got
}

// compareExchanges fails t where what the loop did (l) differs from what
// net/http did (s).
func compareExchanges(t *testing.T, name string, l, s exchange) {
	t.Helper()
	if l.status != s.status || l.body != s.body || !headersEqual(l.header, s.header) || !headersEqual(l.trailer, s.trailer) {
		t.Errorf("%s: the visitor got\n loop:     %d %v %.80q trailer %v\n net/http: %d %v %.80q trailer %v",
			name, l.status, l.header, l.body, l.trailer, s.status, s.header, s.body, s.trailer)
	}
	if (l.origin == nil) != (s.origin == nil) {
		t.Errorf("%s: origin request through the loop: %v, through net/http: %v", name, l.origin != nil, s.origin != nil)
		return
	}
	if l.origin == nil {
		return
	}
	if l.sent != s.sent {
		t.Errorf("%s: the origin got a body of %d bytes through the loop, %d through net/http", name, len(l.sent), len(s.sent))
	}
	lo, so := l.origin, s.origin
	if lo.Method != so.Method || lo.RequestURI != so.RequestURI || lo.Host != so.Host ||
		!headersEqual(lo.Header, so.Header) || !slices.Equal(lo.TransferEncoding, so.TransferEncoding) {
		t.Errorf("%s: the origin got\n loop:     %s %s %s %v %v\n net/http: %s %s %s %v %v", name,
			lo.Method, lo.RequestURI, lo.Host, lo.Header, lo.TransferEncoding,
			so.Method, so.RequestURI, so.Host, so.Header, so.TransferEncoding)
	}
}

func headersEqual(a, b http.Header) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return maps.EqualFunc(a, b, slices.Equal)
}

// TestLoopConnection: pipelined requests, the origin connection reused, a
// handoff in the middle of a connection that keeps serving (with TLS
// restored for the handed-over requests), Connection: close.
func TestLoopConnection(t *testing.T) {
	h, o := loopHarness(t, false, nil)
	conn, br := dialLoop(t, h)
	read := func(method string) (*http.Response, string) {
		t.Helper()
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	get := "GET /%d HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n"
	var pipelined bytes.Buffer
	for i := range 3 {
		pipelined.WriteString(strings.Replace(get, "%d", strconv.Itoa(i), 1))
	}
	if _, err := conn.Write(pipelined.Bytes()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if resp, body := read("GET"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("pipelined: %d %q", resp.StatusCode, body)
		}
	}
	if n := o.conns.Load(); n != 1 {
		t.Errorf("the origin saw %d connections for 3 requests, want 1", n)
	}
	// A chunked POST hands the connection to net/http, which serves it and what
	// follows, with the TLS state of the connection.
	served := h.edge.m.loopServed.Load()
	io.WriteString(conn, "POST /p HTTP/1.1\r\nHost: shop.customer-a.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"+
		strings.Replace(get, "%d", "after", 1))
	if resp, _ := read("POST"); resp.StatusCode != 200 {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	if r := o.last(t); r.Header.Get("X-Forwarded-Proto") != "https" {
		// (The GET after it has not arrived yet, or it has: both carry it.)
		t.Errorf("after the handoff, X-Forwarded-Proto %q", r.Header.Get("X-Forwarded-Proto"))
	}
	if resp, _ := read("GET"); resp.StatusCode != 200 {
		t.Fatalf("GET after the handoff: %d", resp.StatusCode)
	}
	if r := o.last(t); r.URL.Path != "/after" || r.Header.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("after the handoff: %s, X-Forwarded-Proto %q", r.URL.Path, r.Header.Get("X-Forwarded-Proto"))
	}
	if h.edge.m.loopServed.Load() != served {
		t.Error("the loop served a request on a connection it had handed over")
	}

	// Connection: close is answered in kind, and the edge closes.
	c2, _ := dialLoop(t, h)
	io.WriteString(c2, "GET / HTTP/1.1\r\nHost: shop.customer-a.com\r\nConnection: close\r\n\r\n")
	all, _ := io.ReadAll(c2)
	if !bytes.Contains(all, []byte("\r\nConnection: close\r\n")) || !bytes.HasSuffix(all, []byte("\r\n\r\nok")) {
		t.Errorf("Connection: close answered with %q", all)
	}
}

// TestLoopOriginFailures: 502 for a refused origin, 504 for a slow one,
// the connection kept for the next request; a body cut short closes the
// visitor's connection rather than pass a short response off as whole.
func TestLoopOriginFailures(t *testing.T) {
	h, o := loopHarness(t, false, func(c *Config) { c.OriginResponseTimeout = 300 * time.Millisecond })
	conn, br := dialLoop(t, h)
	roundTrip := func() (*http.Response, string, error) {
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n")
		resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
		if err != nil {
			return nil, "", err
		}
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	// The origin promises 2 bytes and sends none: after the timeout, the
	// visitor's connection is cut mid-body.
	o.set("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
	if _, _, err := roundTrip(); !closedByEdge(err) {
		t.Fatalf("a body cut short: %v, want the edge to close the connection", err)
	}
	conn, br = dialLoop(t, h)

	o.set("") // says nothing: 504 after OriginResponseTimeout
	resp, body, err := roundTrip()
	if err != nil || resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(body, "did not answer in time") {
		t.Fatalf("silent origin: %v %v %q", resp, err, body)
	}
	o.set("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	if resp, body, err := roundTrip(); err != nil || resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("after the 504, on the same connection: %v %v %q", resp, err, body)
	}
	o.closeAll()
	if resp, _, err := roundTrip(); err != nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("closed origin: %v %v", resp, err)
	}
	if !strings.Contains(h.logs.String(), "origin request failed") {
		t.Error("origin failures not logged")
	}
}

// TestLoopLargeHeadAndShutdown: a head larger than the loop's buffer goes
// to net/http whole; Shutdown closes idle keep-alive connections at once
// and lets a running request finish.
func TestLoopLargeHeadAndShutdown(t *testing.T) {
	h, o := loopHarness(t, false, nil)
	big := "GET /big HTTP/1.1\r\nHost: shop.customer-a.com\r\nCookie: " + strings.Repeat("c", 6000) + "\r\n\r\n"
	before := h.edge.m.loopHandoffs.Load()
	if resp, body := exchangeRaw(t, h, big, "GET"); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("large head: %d %q", resp.StatusCode, body)
	}
	if h.edge.m.loopHandoffs.Load() != before+1 {
		t.Error("a head larger than the loop's buffer was not handed to net/http")
	}
	if r := o.last(t); len(r.Header.Get("Cookie")) != 6000 {
		t.Errorf("the origin got a cookie of %d bytes", len(r.Header.Get("Cookie")))
	}

	idle, idleR := dialLoop(t, h)
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n")
	if resp, err := http.ReadResponse(idleR, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("idle connection's first request: %v %v", resp, err)
	}
	io.ReadAll(io.LimitReader(idleR, 2))

	// A slow origin holds a request while the edge shuts down.
	o.set("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
	busy, busyR := dialLoop(t, h)
	release := make(chan struct{})
	go func() {
		<-release
		o.mu.Lock()
		defer o.mu.Unlock()
		for _, c := range o.open {
			io.WriteString(c, "done")
		}
	}()
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n")
	h.eventually(t, 2*time.Second, "the slow request reached the origin", func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return len(o.heads) >= 3
	})
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- h.edge.Shutdown(ctx)
	}()
	// The idle connection is closed without an answer.
	if _, err := idleR.ReadByte(); !closedByEdge(err) {
		t.Errorf("an idle connection through Shutdown: %v, want it closed", err)
	}
	close(release)
	resp, err := http.ReadResponse(busyR, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the running request during Shutdown: %v %v", resp, err)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "done" {
		t.Errorf("its body: %q", b)
	}
	// (Its head left before Shutdown began, so it could not say
	// Connection: close; the edge closes after it all the same.)
	if _, err := busyR.ReadByte(); !closedByEdge(err) {
		t.Errorf("the connection after its request, during Shutdown: %v, want it closed", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestLoopStaleOriginConnection: an origin that closed a pooled connection
// costs no request: an idempotent one is sent again on a new connection,
// and a POST (which must not be sent twice) goes out only on a connection
// seen open.
func TestLoopStaleOriginConnection(t *testing.T) {
	h, o := loopHarness(t, false, nil)
	o.hangUp.Store(true)
	conn, br := dialLoop(t, h)
	for i, req := range []string{
		"GET /1 HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
		"GET /2 HTTP/1.1\r\nHost: shop.customer-a.com\r\n\r\n",
		"POST /3 HTTP/1.1\r\nHost: shop.customer-a.com\r\nContent-Length: 4\r\n\r\nbody",
		"PATCH /4 HTTP/1.1\r\nHost: shop.customer-a.com\r\nContent-Length: 4\r\n\r\nbody",
	} {
		// Let the origin's close reach the edge's pooled connection.
		time.Sleep(20 * time.Millisecond)
		io.WriteString(conn, req)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d: %v %v", i+1, resp, err)
		}
		io.ReadAll(resp.Body)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.heads) != 4 {
		t.Errorf("the origin got %d requests for 4", len(o.heads))
	}
}

// closedByEdge reports whether err is the edge closing the connection, not
// the client's own deadline running out (which would mean it stayed open).
func closedByEdge(err error) bool {
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}
