package edge

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/porticohq/portico/internal/dnsname"
)

// h1Server owns the HTTPS listener. It accepts connections, runs their TLS
// handshakes, and serves HTTP/1.1 keep-alive connections in a loop of its
// own: read a request head, proxy it on a pooled origin connection, write
// the response, repeat, all on the connection's goroutine.
//
// Why it exists: the profile of the edge under keep-alive load, after the
// origin side had been made synchronous (fastpath.go), was net/http's
// per-request machinery on the visitor's side (a header map, a request
// and its clone, contexts, the background read and its extra syscall,
// ReverseProxy's copies) and the garbage it leaves. nginx's worker does
// none of that, and Go's TLS alone runs at twice nginx's rate on this
// machine (reference/edge-performance.md): the cost was the path, not TLS.
//
// What it does not take, it hands over unchanged: an HTTP/2 connection,
// or an HTTP/1.1 connection at the first request the loop will not proxy
// (see parseHead and takeFast), goes with the bytes already read to the
// http.Server behind the handoff listener, which serves the rest of that
// connection exactly as it served every connection before (serveHTTPS).
// So every answer the edge gives itself (421, 502 without an origin,
// redirects, 400 and 431 for malformed requests) stays net/http's.
type h1Server struct {
	e       *Edge
	ln      net.Listener
	handoff *handoffListener
	std     *http.Server

	mu      sync.Mutex
	conns   map[*h1Conn]struct{}
	closing atomic.Bool
	done    chan struct{} // closed when the accept loop returns
}

// h1Conn is one visitor connection served by the loop.
type h1Conn struct {
	s        *h1Server
	tc       *tls.Conn
	br       *bufio.Reader
	idle     atomic.Bool // between requests (or in the handshake): Shutdown may close it
	origin   atomic.Pointer[originConn]
	h2       atomic.Pointer[h2Conn] // set when the connection speaks HTTP/2
	state    tls.ConnectionState
	sni      string // normalized
	remote   string // host:port, for X-Forwarded-For's peer and the logs
	clientIP string
	req      fastReq
	resp     fastResp
	dw       deadlineWriter
	// lastRaw is the last Host header as sent and lastHost its normalized
	// form: a keep-alive connection normalizes (and allocates) once.
	lastRaw, lastHost string
}

func newH1Server(e *Edge, ln net.Listener, std *http.Server) *h1Server {
	return &h1Server{
		e: e, ln: ln, std: std,
		handoff: newHandoffListener(ln.Addr()),
		conns:   map[*h1Conn]struct{}{},
		done:    make(chan struct{}),
	}
}

// serve accepts until the listener closes.
func (s *h1Server) serve() error {
	defer close(s.done)
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			// EMFILE and friends: pause rather than spin, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.e.log.Warn("edge accept failed; retrying", "err", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		hc := &h1Conn{s: s, tc: tls.Server(c, s.e.tlsBase)}
		hc.idle.Store(true)
		if !s.track(hc, true) {
			c.Close()
			continue
		}
		go hc.serve()
	}
}

func (s *h1Server) track(c *h1Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closing.Load() {
			return false
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

// shutdown stops accepting, closes idle connections, and waits for the
// running ones until ctx ends; then it closes them too, along with their
// origin connections.
func (s *h1Server) shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.ln.Close()
	<-s.done
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdle() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			s.mu.Lock()
			for c := range s.conns {
				c.tc.NetConn().Close()
				if pc := c.origin.Load(); pc != nil {
					pc.close()
				}
				if h := c.h2.Load(); h != nil {
					go h.close()
				}
			}
			s.mu.Unlock()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// closeIdle closes the idle connections and returns how many are left.
func (s *h1Server) closeIdle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if h := c.h2.Load(); h != nil {
			h.shutdown()
		} else if c.idle.Load() {
			// The raw connection: closing the tls.Conn would try to send
			// close_notify under a write lock a handshake may hold.
			c.tc.NetConn().Close()
		}
	}
	return len(s.conns)
}

// serve runs the handshake, then the request loop, until the connection
// ends or is handed over.
func (c *h1Conn) serve() {
	e := c.s.e
	handedOff := false
	defer func() {
		c.s.track(c, false)
		if !handedOff {
			c.tc.Close()
		}
	}()
	now := time.Now()
	_ = c.tc.SetDeadline(now.Add(e.handshakeTimeout()))
	if err := c.tc.HandshakeContext(e.runCtx); err != nil {
		e.errLog.Printf("http: TLS handshake error from %s: %v", c.tc.RemoteAddr(), err)
		return
	}
	_ = c.tc.SetWriteDeadline(time.Time{})
	c.state = c.tc.ConnectionState()
	c.sni = dnsname.NormalizeHost(c.state.ServerName)
	c.remote = c.tc.RemoteAddr().String()
	c.clientIP, _, _ = net.SplitHostPort(c.remote)
	if c.state.NegotiatedProtocol == alpnH2 {
		c.serveH2()
		return
	}
	c.br = bufio.NewReaderSize(c.tc, 4<<10)
	_ = c.tc.SetReadDeadline(now.Add(e.cfg.HeaderTimeout))
	for first := true; ; first = false {
		if !first {
			_ = c.tc.SetReadDeadline(time.Now().Add(e.cfg.IdleTimeout))
		}
		c.idle.Store(true)
		if c.s.closing.Load() {
			return
		}
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		c.idle.Store(false)
		if !first {
			_ = c.tc.SetReadDeadline(time.Now().Add(e.cfg.HeaderTimeout))
		}
		n, ok := c.readHead()
		if n < 0 {
			return
		}
		var rt *route
		if ok {
			rt, ok = c.takeFast()
		}
		if !ok {
			// Everything read so far, this request included, goes with it.
			e.m.loopHandoffs.Add(1)
			handedOff = c.s.handoff.give(&bufferedConn{Conn: c.tc, r: c.br, state: &c.state})
			return
		}
		if !c.proxy(rt) {
			return
		}
	}
}

// readHead waits until the read buffer holds a whole request head and
// parses it. n < 0: the connection failed or timed out (nothing to answer);
// ok false: the request is net/http's.
func (c *h1Conn) readHead() (n int, ok bool) {
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		switch end := headEnd(buf); {
		case end < 0:
			return 0, false
		case end > 0:
			if !parseHead(buf[:end], &c.req, c.s.e.metaLower) {
				return end, false
			}
			if c.req.bodyLen == 0 {
				return end, true
			}
			// A body is taken only whole, from the read buffer, so that a
			// request can be sent again on another origin connection;
			// larger ones are net/http's to stream.
			need := end + c.req.bodyLen
			if need > c.br.Size() {
				return end, false
			}
			buf, err := c.br.Peek(need)
			if err != nil {
				return -1, false
			}
			// Peek may have moved the bytes: parse again where they are.
			ok := parseHead(buf[:end], &c.req, c.s.e.metaLower)
			c.req.body = buf[end:need]
			return end, ok
		}
		if len(buf) == c.br.Size() {
			// Larger than the loop's buffer: net/http reads up to
			// MaxHeaderBytes, and answers 431 beyond.
			return 0, false
		}
		if _, err := c.br.Peek(len(buf) + 1); err != nil {
			if len(buf) > 0 && errors.Is(err, bufio.ErrBufferFull) {
				return 0, false
			}
			return -1, false
		}
	}
}

// takeFast resolves the request's hostname and reports whether the loop
// proxies it: a hostname the edge serves with an origin, named by both SNI
// and Host, with no redirect. Everything else (421, 502 pages, redirects)
// is answered by serveHTTPS after the handoff.
func (c *h1Conn) takeFast() (*route, bool) {
	if string(c.req.host) != c.lastRaw {
		c.lastRaw = string(c.req.host)
		c.lastHost = dnsname.NormalizeHost(c.lastRaw)
	}
	host := c.lastHost
	rt := c.s.e.resolve(c.s.e.runCtx, host)
	if rt == nil || rt.redirectTo != "" || rt.origin == nil || rt.proxy == nil {
		return nil, false
	}
	if c.sni != "" && c.sni != host {
		if srt := c.s.e.resolve(c.s.e.runCtx, c.sni); srt == nil || srt.hostnameID != rt.hostnameID {
			return nil, false
		}
	}
	return rt, true
}

// bufferedConn is a TLS connection handed to net/http after the loop read
// from it: reads drain the loop's buffer first. net/http does not know it
// as a *tls.Conn, so the TLS state travels in the connection's context
// (see connContext) and serveHTTPS puts it back on the request.
type bufferedConn struct {
	net.Conn
	r     *bufio.Reader
	state *tls.ConnectionState
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

type tlsStateKey struct{}

// connContext is the http.Server's ConnContext: it carries the TLS state
// of connections handed over by the loop.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if bc, ok := c.(*bufferedConn); ok {
		return context.WithValue(ctx, tlsStateKey{}, bc.state)
	}
	return ctx
}

// restoreTLS sets r.TLS for a request on a handed-over connection, so that
// the SNI check and X-Forwarded-Proto see TLS as on any other.
func restoreTLS(r *http.Request) {
	if r.TLS == nil {
		if st, ok := r.Context().Value(tlsStateKey{}).(*tls.ConnectionState); ok {
			r.TLS = st
		}
	}
}

// handoffListener is the http.Server's listener: its connections are the
// ones the loop gives it.
type handoffListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// give hands c to the http.Server; false (and c closed) after Close.
func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// handshakeTimeout is what http.Server allowed a handshake: the smallest
// of the header, read and handshake timeouts.
func (e *Edge) handshakeTimeout() time.Duration {
	return min(e.cfg.HandshakeTimeout, e.cfg.HeaderTimeout, e.cfg.ReadTimeout)
}
