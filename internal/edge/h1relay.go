package edge

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"time"
)

// This file is the loop's proxy: it sends a fast request (h1parse.go) to
// the route's origin on a pooled connection (fastpath.go) and relays the
// response, doing what ReverseProxy and net/http did for these requests:
// hop-by-hop headers (and those the origin's Connection names) stripped
// both ways, X-Forwarded-For/Host/Proto set from trusted data, the
// metadata header, 1xx forwarded (103 only where early_hints is on), a
// Date when the origin sent none, bodies of unknown length re-chunked and
// flushed as they arrive, 502/504 pages for origin failures.

// errBadOriginResponse is an origin response the loop will not relay.
var errBadOriginResponse = errors.New("malformed response from the origin")

// bodyMode is how a response's body is framed.
type bodyMode uint8

const (
	bodyNone bodyMode = iota
	bodyLength
	bodyChunked
	bodyUntilClose
)

// fastResp is the head of an origin response.
type fastResp struct {
	code       int
	keepAlive  bool // the origin keeps the connection
	proto11    bool
	saidClose  bool // Connection: close
	saidKeep   bool // Connection: keep-alive (HTTP/1.0)
	mode       bodyMode
	length     int64 // bodyLength; also the Content-Length kept for HEAD
	hasLength  bool
	hasDate    bool
	raw        []byte  // the header lines as read, CRLFs removed
	spans      []rspan // into raw
	connTokens []rspan // into raw: the names the origin's Connection lists
}

type rspan struct{ n0, n1, v0, v1 int }

func (r *fastResp) name(s rspan) []byte  { return r.raw[s.n0:s.n1] }
func (r *fastResp) value(s rspan) []byte { return r.raw[s.v0:s.v1] }

// proxy serves c.req on rt's origin and reports whether the connection
// stays open for another request.
func (c *h1Conn) proxy(rt *route) bool {
	e := c.s.e
	start := time.Now()
	e.m.loopServed.Add(1)
	req := &c.req
	var rec *accessRecord
	if e.cfg.AccessLog != nil {
		rec = &accessRecord{
			listener: listenerHTTPS, remote: c.remote, method: req.method,
			host: string(req.host), uri: string(req.target), proto: "HTTP/1.1",
			userAgent: string(req.ua), route: rt,
		}
	}
	status, n, keep := c.exchange(rt)
	c.origin.Store(nil)
	_, _ = c.br.Discard(req.headLen + req.bodyLen)
	d := time.Since(start)
	e.m.observe(listenerHTTPS, status, d)
	if rec != nil {
		rec.status, rec.bytes = status, n
		e.writeAccess(rec, d)
	}
	return keep && !req.close && !c.s.closing.Load()
}

// exchange sends the request, relays the response, and returns the status
// the visitor got, the body bytes written, and whether the visitor's
// connection is still usable.
func (c *h1Conn) exchange(rt *route) (status int, written int64, keep bool) {
	e := c.s.e
	ft := e.transports.fastFor(rt, c.lastHost)
	key := originKey{https: rt.origin.url.Scheme == "https", addr: rt.origin.url.Host}
	resp := &c.resp
	var pc *originConn
	for attempt := 0; ; attempt++ {
		var reused bool
		var err error
		pc, reused, err = ft.get(e.runCtx, key)
		if err == nil && reused && !c.req.idempotent() && !pc.alive() {
			// A request that must not be sent twice goes out only on a
			// connection seen open (net/http's transport learns the same
			// from its background read).
			pc.close()
			pc, err = ft.dial(e.runCtx, key)
			reused = false
		}
		if err == nil {
			c.origin.Store(pc)
			err = c.send(pc, rt)
			if err == nil {
				err = pc.readFinalHead(resp, c.req.method == http.MethodHead, rt, c)
			}
			if err != nil {
				retry := reused && attempt == 0 && pc.nothingRead() && c.req.idempotent() && !c.s.closing.Load()
				pc.close()
				if retry {
					continue
				}
			}
		}
		if err != nil {
			return c.originFailed(rt, err)
		}
		break
	}
	written, err := c.writeResponse(pc, resp)
	if err != nil {
		pc.close()
		if !errors.Is(err, errClientWrite) {
			e.log.Warn("origin response cut short", "host", string(c.req.host), "err", err,
				"hostname_id", rt.hostnameID, "zone_id", rt.zoneID)
		}
		return resp.code, written, false
	}
	if resp.keepAlive && resp.mode != bodyUntilClose {
		ft.put(pc)
	} else {
		pc.close()
	}
	return resp.code, written, true
}

// send writes the request head to the origin, as ReverseProxy would: the
// normalized host as Host, the visitor's headers less the dropped ones,
// X-Forwarded-For (after the trusted prior values), -Host and -Proto, and
// the route's metadata.
func (c *h1Conn) send(pc *originConn, rt *route) error {
	e := c.s.e
	req := &c.req
	pc.lr.read = 0
	if d := pc.t.responseTimeout; d > 0 {
		_ = pc.conn.SetDeadline(time.Now().Add(d))
	}
	w := pc.bw
	w.WriteString(req.method)
	w.WriteByte(' ')
	w.WriteString(rt.origin.pathPrefix)
	w.Write(req.target)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(c.lastHost)
	w.WriteString("\r\n")
	for _, h := range req.hdrs {
		w.Write(h.name)
		w.WriteString(": ")
		w.Write(h.value)
		w.WriteString("\r\n")
	}
	w.WriteString("X-Forwarded-For: ")
	if len(req.xff) > 0 && e.trustedIP(c.clientIP) {
		for _, v := range req.xff {
			w.Write(v)
			w.WriteString(", ")
		}
	}
	w.WriteString(c.clientIP)
	w.WriteString("\r\nX-Forwarded-Host: ")
	w.WriteString(c.lastHost)
	w.WriteString("\r\nX-Forwarded-Proto: https\r\n")
	if e.cfg.MetadataHeader != "" && rt.metadata != "" {
		w.WriteString(e.cfg.MetadataHeader)
		w.WriteString(": ")
		w.WriteString(rt.metadata)
		w.WriteString("\r\n")
	}
	if req.bodyLen > 0 || req.method == http.MethodPost || req.method == http.MethodPut || req.method == http.MethodPatch {
		// As net/http's Request.Write: a length for a body, and for
		// the methods servers expect one with.
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(req.bodyLen), 10))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	w.Write(req.body)
	return w.Flush()
}

// alive reports whether an idle pooled connection is still open: the
// origin's EOF, or bytes it sent unasked, mean it is not.
func (pc *originConn) alive() bool { return pc.br.Buffered() == 0 && !peerClosed(pc.conn) }

// inform writes an informational response to the visitor.
func (c *h1Conn) inform(resp *fastResp) error {
	cw := c.writer()
	c.writeHead(cw, resp, false)
	err := cw.Flush()
	c.release(cw)
	if err != nil {
		return fmt.Errorf("%w: %w", errClientWrite, err)
	}
	return nil
}

// readFinalHead reads the origin's response head into resp, for the two
// loops: 1xx responses go to out on the way (103 only where the route
// turned early hints on), and the response timeout, which bounded the
// wait, is lifted for the body (fill bounds each read of it).
func (pc *originConn) readFinalHead(resp *fastResp, head bool, rt *route, out interface{ inform(*fastResp) error }) error {
	pc.lr.n = pc.t.maxHeaderBytes
	for i := 0; ; i++ {
		if err := readResponseHead(pc.br, resp, head); err != nil {
			return err
		}
		if resp.code >= 200 {
			break
		}
		if resp.code == http.StatusSwitchingProtocols {
			return fmt.Errorf("%w: it switched protocols on a request without Upgrade", errBadOriginResponse)
		}
		if i >= maxInformational {
			return errTooManyInformational
		}
		if resp.code != http.StatusEarlyHints || rt.earlyHints {
			if err := out.inform(resp); err != nil {
				return err
			}
		}
	}
	pc.lr.n = -1
	if pc.t.responseTimeout > 0 {
		_ = pc.conn.SetDeadline(time.Time{})
	}
	return nil
}

// readResponseHead parses one response head from br into resp.
func readResponseHead(br *bufio.Reader, resp *fastResp, head bool) error {
	*resp = fastResp{raw: resp.raw[:0], spans: resp.spans[:0], connTokens: resp.connTokens[:0]}
	line, err := readLine(br)
	if err != nil {
		return err
	}
	proto11 := bytes.HasPrefix(line, []byte("HTTP/1.1 "))
	if !proto11 && !bytes.HasPrefix(line, []byte("HTTP/1.0 ")) || len(line) < 12 ||
		len(line) > 12 && line[12] != ' ' {
		return fmt.Errorf("%w: status line %q", errBadOriginResponse, truncate(line))
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil || code < 100 {
		return fmt.Errorf("%w: status line %q", errBadOriginResponse, truncate(line))
	}
	resp.code = code
	resp.proto11 = proto11
	chunked := false
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validFieldName(line[:colon]) {
			return fmt.Errorf("%w: header line %q", errBadOriginResponse, truncate(line))
		}
		value := trimOWS(line[colon+1:])
		if !validResponseValue(value) {
			return fmt.Errorf("%w: header %q has a control character", errBadOriginResponse, line[:colon])
		}
		off := len(resp.raw)
		resp.raw = append(resp.raw, line...)
		vOff := off + (len(line) - len(trimOWSLeft(line[colon+1:])))
		s := rspan{off, off + colon, vOff, vOff + len(value)}
		name := line[:colon]
		switch {
		case eqFold(name, "connection"):
			resp.connection(s)
		case eqFold(name, "transfer-encoding"):
			if chunked || !eqFold(value, "chunked") {
				return fmt.Errorf("%w: transfer-encoding %q", errBadOriginResponse, truncate(value))
			}
			chunked = true
		case eqFold(name, "content-length"):
			n, ok := parseLength(value)
			if !ok || resp.hasLength && n != resp.length {
				return fmt.Errorf("%w: content-length %q", errBadOriginResponse, truncate(value))
			}
			resp.length, resp.hasLength = n, true
		case eqFold(name, "keep-alive"), eqFold(name, "proxy-connection"), eqFold(name, "proxy-authenticate"),
			eqFold(name, "proxy-authorization"), eqFold(name, "te"), eqFold(name, "upgrade"):
		default:
			if eqFold(name, "date") {
				resp.hasDate = true
			}
			resp.spans = append(resp.spans, s)
		}
	}
	resp.keepAlive = !resp.saidClose && (resp.proto11 || resp.saidKeep)
	switch {
	case code < 200, code == http.StatusNoContent, code == http.StatusNotModified, head:
		resp.mode = bodyNone
	case chunked:
		resp.mode = bodyChunked
		resp.hasLength = false
	case resp.hasLength:
		resp.mode = bodyLength
	default:
		resp.mode = bodyUntilClose
	}
	return nil
}

// connection reads the origin's Connection header: close, keep-alive
// (HTTP/1.0), and the names of headers to drop.
func (r *fastResp) connection(s rspan) {
	v := r.value(s)
	pos := s.v0
	for len(v) > 0 {
		tok, rest, _ := bytes.Cut(v, []byte(","))
		lead := len(tok) - len(trimOWSLeft(tok))
		t := trimOWS(tok)
		switch {
		case eqFold(t, "close"):
			r.saidClose = true
		case eqFold(t, "keep-alive"):
			r.saidKeep = true
		case len(t) > 0:
			r.connTokens = append(r.connTokens, rspan{n0: pos + lead, n1: pos + lead + len(t)})
		}
		pos += len(tok) + 1
		v = rest
	}
}

// dropped reports whether the origin's Connection header names s.
func (r *fastResp) dropped(s rspan) bool {
	for _, t := range r.connTokens {
		if bytes.EqualFold(r.raw[t.n0:t.n1], r.name(s)) {
			return true
		}
	}
	return false
}

// writeResponse writes the final head and relays the body; after an error
// the visitor's connection must not carry another request.
func (c *h1Conn) writeResponse(pc *originConn, resp *fastResp) (written int64, err error) {
	cw := c.writer()
	defer c.release(cw)
	c.writeHead(cw, resp, true)
	switch resp.mode {
	case bodyLength:
		written, err = copyBody(cw, pc, resp.length)
	case bodyChunked:
		written, err = c.copyChunked(cw, pc, httputil.NewChunkedReader(pc.br), false)
	case bodyUntilClose:
		written, err = c.copyChunked(cw, pc, pc.br, true)
	}
	if err != nil {
		return written, err
	}
	if err := cw.Flush(); err != nil {
		return written, fmt.Errorf("%w: %w", errClientWrite, err)
	}
	return written, nil
}

// writeHead writes a response head: the status line, the origin's
// headers less hop-by-hop ones, then the framing the edge chose (final
// responses only).
func (c *h1Conn) writeHead(cw *bufio.Writer, resp *fastResp, final bool) {
	writeStatusLine(cw, resp.code)
	for _, s := range resp.spans {
		if len(resp.connTokens) > 0 && resp.dropped(s) {
			continue
		}
		cw.Write(resp.name(s))
		cw.WriteString(": ")
		cw.Write(resp.value(s))
		cw.WriteString("\r\n")
	}
	if !final {
		cw.WriteString("\r\n")
		return
	}
	switch {
	case resp.mode == bodyLength, resp.mode == bodyNone && resp.hasLength && resp.code != http.StatusNoContent:
		cw.WriteString("Content-Length: ")
		cw.Write(strconv.AppendInt(cw.AvailableBuffer(), resp.length, 10))
		cw.WriteString("\r\n")
	case resp.mode == bodyChunked, resp.mode == bodyUntilClose:
		cw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	c.endHead(cw, !resp.hasDate)
}

// endHead ends a final response's head: a Date unless the origin sent
// one, Connection: close when the connection ends after it, the empty line.
func (c *h1Conn) endHead(cw *bufio.Writer, date bool) {
	if date {
		cw.WriteString("Date: ")
		cw.WriteString(c.s.e.dates.now())
		cw.WriteString("\r\n")
	}
	if c.req.close || c.s.closing.Load() {
		cw.WriteString("Connection: close\r\n")
	}
	cw.WriteString("\r\n")
}

func writeStatusLine(cw *bufio.Writer, code int) {
	cw.WriteString("HTTP/1.1 ")
	cw.Write(strconv.AppendInt(cw.AvailableBuffer(), int64(code), 10))
	cw.WriteByte(' ')
	if text := http.StatusText(code); text != "" {
		cw.WriteString(text)
	} else {
		cw.WriteString("status code ")
		cw.Write(strconv.AppendInt(cw.AvailableBuffer(), int64(code), 10))
	}
	cw.WriteString("\r\n")
}

// errClientWrite marks a failure to write to the visitor (gone, or too
// slow for WriteTimeout), which is not the origin's fault.
var errClientWrite = errors.New("writing to the visitor")

// fill waits for more of the body, at most the origin response timeout:
// as nginx's proxy_read_timeout, the limit is on silence, not on the
// whole body, so a long download that keeps moving is never cut.
func (pc *originConn) fill() error {
	if d := pc.t.responseTimeout; d > 0 {
		_ = pc.conn.SetReadDeadline(time.Now().Add(d))
	}
	_, err := pc.br.Peek(1)
	return err
}

// copyBody relays exactly n bytes from the origin, straight out of its
// read buffer, flushing to the visitor whenever the origin has nothing
// more buffered (so a slow origin's bytes are not held back).
func copyBody(cw *bufio.Writer, pc *originConn, n int64) (int64, error) {
	br := pc.br
	var written int64
	for written < n {
		if br.Buffered() == 0 {
			if cw.Buffered() > 0 {
				if err := cw.Flush(); err != nil {
					return written, fmt.Errorf("%w: %w", errClientWrite, err)
				}
			}
			if err := pc.fill(); err != nil {
				return written, fmt.Errorf("reading the origin's body: %w", noEOF(err))
			}
		}
		k := int(min(int64(br.Buffered()), n-written))
		b, _ := br.Peek(k)
		if _, err := cw.Write(b); err != nil {
			return written, fmt.Errorf("%w: %w", errClientWrite, err)
		}
		_, _ = br.Discard(k)
		written += int64(k)
	}
	return written, nil
}

// copyChunked relays a body of unknown length (src: a chunked reader, or
// the connection until it closes) in chunks, then the trailer of a chunked
// one. Each read from the origin is flushed at once when nothing more is
// buffered, as ReverseProxy does for bodies without a length (streams).
func (c *h1Conn) copyChunked(cw *bufio.Writer, pc *originConn, src io.Reader, untilClose bool) (int64, error) {
	buf := c.s.e.buffers.Get()
	defer c.s.e.buffers.Put(buf)
	br := pc.br
	var written int64
	for {
		if br.Buffered() == 0 {
			if cw.Buffered() > 0 {
				if err := cw.Flush(); err != nil {
					return written, fmt.Errorf("%w: %w", errClientWrite, err)
				}
			}
			if err := pc.fill(); err != nil && !(untilClose && err == io.EOF) {
				return written, fmt.Errorf("reading the origin's body: %w", noEOF(err))
			}
		}
		n, err := src.Read(buf)
		if n > 0 {
			cw.Write(strconv.AppendInt(cw.AvailableBuffer(), int64(n), 16))
			cw.WriteString("\r\n")
			cw.Write(buf[:n])
			if _, werr := cw.WriteString("\r\n"); werr != nil {
				return written, fmt.Errorf("%w: %w", errClientWrite, werr)
			}
			written += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return written, fmt.Errorf("reading the origin's body: %w", err)
		}
	}
	cw.WriteString("0\r\n")
	if !untilClose {
		if err := copyTrailer(cw, br); err != nil {
			return written, err
		}
	}
	cw.WriteString("\r\n")
	return written, nil
}

// maxTrailerBytes caps a chunked body's trailer section.
const maxTrailerBytes = 64 << 10

// copyTrailer relays the trailer fields after the last chunk, through the
// empty line (which the caller writes).
func copyTrailer(cw *bufio.Writer, br *bufio.Reader) error {
	return readTrailer(br, func(line []byte, _ int) {
		cw.Write(line)
		cw.WriteString("\r\n")
	})
}

// readTrailer reads a chunked body's trailer section through its empty
// line, checking each field line (colon is where its name ends) before
// field sees it; the line is valid until field returns.
func readTrailer(br *bufio.Reader, field func(line []byte, colon int)) error {
	budget := maxTrailerBytes
	for {
		line, err := readLine(br)
		if err != nil {
			return fmt.Errorf("reading the origin's trailer: %w", noEOF(err))
		}
		if len(line) == 0 {
			return nil
		}
		if budget -= len(line); budget < 0 {
			return fmt.Errorf("%w: trailer too large", errBadOriginResponse)
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validFieldName(line[:colon]) || !validResponseValue(trimOWS(line[colon+1:])) {
			return fmt.Errorf("%w: trailer line %q", errBadOriginResponse, truncate(line))
		}
		field(line, colon)
	}
}

// readLine reads one line without its line end (CRLF, or a bare LF as
// net/http tolerates from origins). The line is valid until the next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: a header line over %d bytes", errBadOriginResponse, br.Size())
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// noEOF turns an EOF in the middle of a body into ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func trimOWSLeft(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// validResponseValue refuses control characters other than HTAB; unlike
// requests, bytes above ASCII pass (origins send them in filenames).
func validResponseValue(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// parseLength parses a Content-Length: decimal digits, at most 18.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// originFailed answers a request whose origin failed before any of its
// response reached the visitor: 504 for a timeout, 502 otherwise, as
// proxyError does for net/http's requests.
func (c *h1Conn) originFailed(rt *route, err error) (int, int64, bool) {
	if errors.Is(err, errClientWrite) {
		return 499, 0, false
	}
	status := http.StatusBadGateway
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		status = http.StatusGatewayTimeout
	}
	c.s.e.log.Warn("origin request failed", "host", string(c.req.host), "status", status, "err", err,
		"hostname_id", rt.hostnameID, "zone_id", rt.zoneID)
	body := strconv.Itoa(status) + " " + http.StatusText(status) + "\n\n" + pageText[status] + "\n"
	cw := c.writer()
	defer c.release(cw)
	writeStatusLine(cw, status)
	cw.WriteString("Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ")
	cw.WriteString(strconv.Itoa(len(body)))
	cw.WriteString("\r\n")
	c.endHead(cw, true)
	var n int64
	if c.req.method != http.MethodHead {
		cw.WriteString(body)
		n = int64(len(body))
	}
	if cw.Flush() != nil {
		return status, 0, false
	}
	return status, n, true
}

// writer returns a pooled response writer on the visitor's connection;
// release returns it. A connection holds one only while it writes, so an
// idle keep-alive connection costs its read buffer and TLS state alone.
func (c *h1Conn) writer() *bufio.Writer {
	cw := responseWriters.Get().(*bufio.Writer)
	c.dw.c, c.dw.timeout, c.dw.extended = c.tc, c.s.e.cfg.WriteTimeout, time.Time{}
	cw.Reset(&c.dw)
	return cw
}

func (c *h1Conn) release(cw *bufio.Writer) {
	cw.Reset(nil)
	responseWriters.Put(cw)
}

// responseWriters hold a TLS record's worth (16 KiB): a small response is
// one record and one write.
var responseWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 16<<10) }}

// deadlineWriter keeps the write deadline moving while writes succeed, as
// responseLog does for net/http: a visitor that keeps reading keeps the
// response alive; one that stops is cut after WriteTimeout.
type deadlineWriter struct {
	c interface {
		io.Writer
		SetWriteDeadline(time.Time) error
	}
	timeout  time.Duration
	extended time.Time
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	if now := time.Now(); w.extended.IsZero() || now.Sub(w.extended) > w.timeout/4 {
		_ = w.c.SetWriteDeadline(now.Add(w.timeout))
		w.extended = now
	}
	return w.c.Write(p)
}

// dateCache formats the Date header once a second.
type dateCache struct {
	mu  sync.Mutex
	sec int64
	s   string
}

func (d *dateCache) now() string {
	t := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if s := t.Unix(); s != d.sec {
		d.sec, d.s = s, t.UTC().Format(http.TimeFormat)
	}
	return d.s
}
