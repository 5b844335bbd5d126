package edge

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"time"
)

// h1Transport is a synchronous HTTP/1.1 round tripper to origins, for the
// requests that make up most traffic: GET, HEAD and OPTIONS without a body
// and without an upgrade (see fastPathOK). Everything else goes through
// http.Transport.
//
// Why it exists: profiling the edge under keep-alive load showed
// http.Transport's connection machinery as the largest cost after the
// kernel. Each request there crosses three goroutines (the handler, the
// connection's writeLoop, its readLoop) through channels and selects, and
// the readLoop's read-ahead adds a syscall that finds nothing. Here the
// handler's own goroutine writes the request and reads the response on a
// pooled connection, as nginx's worker does: measured on the 2-core bench
// machine, it removes about a fifth of the edge's CPU per request (see
// bench/README.md). Parsing is still Go's: http.Request.Write and
// http.ReadResponse, with their framing checks; ReverseProxy around it
// still strips hop-by-hop headers, sets X-Forwarded-*, forwards 1xx
// responses and maps errors (502/504), so the hardening is unchanged.
//
// Connections are kept per origin address (and, for HTTPS, per SNI: one
// h1Transport per TLS server name, as with http.Transport), at most
// maxIdle idle ones, for at most idleTimeout. A request that fails on a
// reused connection before any byte of the response arrived (the origin
// had closed it while idle) is retried once on a new connection; the
// methods of the fast path are idempotent and bodiless, so that is safe.
type h1Transport struct {
	dialer          *net.Dialer
	tlsConfig       *tls.Config // for HTTPS origins; ServerName "" means the origin's host
	handshakeTO     time.Duration
	responseTimeout time.Duration // 0: none
	maxHeaderBytes  int64
	maxIdle         int
	idleTimeout     time.Duration

	mu     sync.Mutex
	idle   map[originKey][]*originConn
	closed bool
}

// originKey names a connection pool; a struct, so looking it up allocates
// nothing.
type originKey struct {
	https bool
	addr  string // host:port
}

// fastPathOK reports whether the synchronous transport may carry req: a
// method that is idempotent and has no body, no upgrade, no trailers.
// ReverseProxy sets Body to nil for requests with ContentLength 0.
func fastPathOK(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		return false
	}
	return req.Body == nil && req.ContentLength == 0 && len(req.Trailer) == 0 &&
		len(req.TransferEncoding) == 0 && req.Header["Upgrade"] == nil
}

// maxInformational bounds the 1xx responses read before the final one.
const maxInformational = 10

// errTooManyInformational is returned for an origin that sends an endless
// stream of 1xx responses.
var errTooManyInformational = errors.New("too many 1xx responses from the origin")

// RoundTrip sends req on a pooled connection and returns the response; its
// body returns the connection to the pool when read to the end.
func (t *h1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := originKey{https: req.URL.Scheme == "https", addr: req.URL.Host}
	for attempt := 0; ; attempt++ {
		pc, reused, err := t.get(req.Context(), key)
		if err != nil {
			return nil, err
		}
		resp, err := pc.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		retry := reused && attempt == 0 && pc.nothingRead() && req.Context().Err() == nil
		pc.close()
		if !retry {
			return nil, err
		}
	}
}

// get returns an idle connection to key, or a new one.
func (t *h1Transport) get(ctx context.Context, key originKey) (*originConn, bool, error) {
	now := time.Now()
	t.mu.Lock()
	list := t.idle[key]
	for len(list) > 0 {
		pc := list[len(list)-1]
		list[len(list)-1] = nil
		list = list[:len(list)-1]
		if now.Sub(pc.idleSince) < t.idleTimeout && pc.br.Buffered() == 0 {
			t.idle[key] = list
			t.mu.Unlock()
			return pc, true, nil
		}
		// Too old, or bytes arrived unasked: not reusable.
		go pc.close()
	}
	t.mu.Unlock()
	pc, err := t.dial(ctx, key)
	return pc, false, err
}

func (t *h1Transport) dial(ctx context.Context, key originKey) (*originConn, error) {
	conn, err := t.dialer.DialContext(ctx, "tcp", key.addr)
	if err != nil {
		return nil, err
	}
	if key.https {
		cfg := t.tlsConfig.Clone()
		if cfg.ServerName == "" {
			host, _, err := net.SplitHostPort(key.addr)
			if err != nil {
				conn.Close()
				return nil, err
			}
			cfg.ServerName = host
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(conn, cfg)
		hctx, cancel := context.WithTimeout(ctx, t.handshakeTO)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS handshake with origin %s: %w", key.addr, err)
		}
		conn = tc
	}
	pc := &originConn{t: t, key: key, conn: conn}
	pc.lr = limitReader{r: conn, n: -1}
	pc.br = bufio.NewReaderSize(&pc.lr, 32<<10)
	pc.bw = bufio.NewWriterSize(conn, 4<<10)
	return pc, nil
}

// put returns pc to its pool, or closes it when the pool is full.
func (t *h1Transport) put(pc *originConn) {
	pc.idleSince = time.Now()
	t.mu.Lock()
	if t.closed || len(t.idle[pc.key]) >= t.maxIdle {
		t.mu.Unlock()
		pc.close()
		return
	}
	if t.idle == nil {
		t.idle = map[originKey][]*originConn{}
	}
	t.idle[pc.key] = append(t.idle[pc.key], pc)
	t.mu.Unlock()
}

// closeIdle closes the idle connections; closeAll also refuses to pool
// any more (Shutdown).
func (t *h1Transport) closeIdle(closeAll bool) {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.closed = t.closed || closeAll
	t.mu.Unlock()
	for _, list := range idle {
		for _, pc := range list {
			pc.close()
		}
	}
}

// originConn is one connection to an origin, used by one request at a
// time.
type originConn struct {
	t         *h1Transport
	key       originKey
	conn      net.Conn
	lr        limitReader
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
}

func (pc *originConn) close() { pc.conn.Close() }

// nothingRead reports whether the last attempt received no byte of a
// response.
func (pc *originConn) nothingRead() bool { return pc.lr.read == 0 && pc.br.Buffered() == 0 }

// aLongTimeAgo is a deadline in the past: setting it interrupts blocked
// reads and writes at once.
var aLongTimeAgo = time.Unix(1, 0)

func (pc *originConn) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	// A visitor who goes away interrupts the exchange; stop (called before
	// the connection is pooled) makes sure that cannot happen later.
	stop := context.AfterFunc(ctx, func() { _ = pc.conn.SetDeadline(aLongTimeAgo) })
	pc.lr.read = 0
	if err := req.Write(pc.bw); err != nil {
		stop()
		return nil, pc.ctxErr(ctx, err)
	}
	if err := pc.bw.Flush(); err != nil {
		stop()
		return nil, pc.ctxErr(ctx, err)
	}
	if d := pc.t.responseTimeout; d > 0 {
		_ = pc.conn.SetReadDeadline(time.Now().Add(d))
	}
	pc.lr.n = pc.t.maxHeaderBytes
	var resp *http.Response
	for i := 0; ; i++ {
		var err error
		resp, err = http.ReadResponse(pc.br, req)
		if err != nil {
			stop()
			return nil, pc.ctxErr(ctx, err)
		}
		code := resp.StatusCode
		if code >= 200 || code == http.StatusSwitchingProtocols {
			break
		}
		if i >= maxInformational {
			stop()
			return nil, errTooManyInformational
		}
		// ReverseProxy forwards 1xx responses through this hook.
		if trace := httptrace.ContextClientTrace(ctx); trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(code, textproto.MIMEHeader(resp.Header)); err != nil {
				stop()
				return nil, err
			}
		}
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// Never asked for: fastPathOK excludes upgrades.
		stop()
		return nil, errors.New("origin switched protocols on a request without Upgrade")
	}
	pc.lr.n = -1
	if pc.t.responseTimeout > 0 {
		_ = pc.conn.SetReadDeadline(time.Time{})
	}
	resp.Body = &originBody{pc: pc, body: resp.Body, stop: stop, reusable: !resp.Close}
	return resp, nil
}

// ctxErr prefers the context's error when the visitor went away (the
// deadline set by the AfterFunc is not the origin's fault).
func (pc *originConn) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// originBody is a response body that hands its connection back when read
// to the end, and closes it when abandoned before.
type originBody struct {
	pc       *originConn
	body     io.ReadCloser
	stop     func() bool
	reusable bool
	done     bool // the connection was released or closed
}

func (b *originBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.body.Read(p)
	if err == io.EOF {
		b.done = true
		// A stop that fails means the visitor's cancellation already
		// ran and poisoned the connection's deadline.
		if b.stop() && b.reusable {
			b.pc.t.put(b.pc)
		} else {
			b.pc.close()
		}
	}
	return n, err
}

func (b *originBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	b.stop()
	b.pc.close()
	return nil
}

// limitReader caps the bytes read while n >= 0 (the response headers),
// and counts the bytes of the current exchange.
type limitReader struct {
	r    io.Reader
	n    int64 // < 0: no limit
	read int64
}

var errHeadersTooLarge = errors.New("origin response headers too large")

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n == 0 {
		return 0, errHeadersTooLarge
	}
	if l.n > 0 && int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.n > 0 {
		l.n -= int64(n)
	}
	return n, err
}

// originTransport sends what the fast path can carry through it and the
// rest through http.Transport.
type originTransport struct {
	fast *h1Transport
	std  *http.Transport
}

func (o *originTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if fastPathOK(req) {
		return o.fast.RoundTrip(req)
	}
	return o.std.RoundTrip(req)
}

func (o *originTransport) closeIdle(closeAll bool) {
	o.fast.closeIdle(closeAll)
	o.std.CloseIdleConnections()
}
