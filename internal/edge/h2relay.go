package edge

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/porticohq/portico/internal/dnsname"
)

// This file is the HTTP/2 loop's request handling: the answers the edge
// gives itself (as serveHTTPS does) and the relay to the origin, which
// sends the request over a pooled HTTP/1.1 connection as ReverseProxy
// would (the same headers dropped and set as by the HTTP/1.1 loop's send)
// and turns the response into HEADERS and DATA frames.

// run serves the stream's request and records it.
func (st *h2Stream) run() {
	h := st.h
	e := h.e
	e.m.loopServed.Add(1)
	status, n, rt := st.serve()
	d := time.Since(st.start)
	e.m.observe(listenerHTTPS, status, d)
	if e.cfg.AccessLog != nil {
		e.writeAccess(&accessRecord{
			listener: listenerHTTPS, remote: h.c.remote, method: st.method, host: st.authority,
			uri: st.path, proto: "HTTP/2.0", userAgent: st.field("user-agent"),
			status: status, bytes: n, route: rt,
		}, d)
	}
}

// serve answers the request: 421 for a hostname the connection may not
// serve, a redirect, a 502 page without an origin, or the origin's answer.
func (st *h2Stream) serve() (int, int64, *route) {
	e := st.h.e
	switch {
	case st.tooLarge:
		return st.page(http.StatusRequestHeaderFieldsTooLarge), 0, nil
	case st.method == http.MethodConnect:
		return st.page(http.StatusMethodNotAllowed), 0, nil
	}
	host := dnsname.NormalizeHost(st.authority)
	rt := e.resolve(e.runCtx, host)
	if rt == nil {
		return st.page(http.StatusMisdirectedRequest), 0, nil
	}
	if sni := st.h.c.sni; sni != "" && sni != host {
		if srt := e.resolve(e.runCtx, sni); srt == nil || srt.hostnameID != rt.hostnameID {
			return st.page(http.StatusMisdirectedRequest), 0, rt
		}
	}
	if st.path == "*" {
		// OPTIONS *, which net/http answers itself.
		return st.respond(http.StatusOK, [][2]string{{"content-length", "0"}}, ""), 0, rt
	}
	u, err := st.url()
	if err != nil {
		st.h.resetStream(st.id, http2.ErrCodeProtocol)
		return http.StatusBadRequest, 0, rt
	}
	if rt.redirectTo != "" {
		code := http.StatusPermanentRedirect
		if st.method == http.MethodGet || st.method == http.MethodHead {
			code = http.StatusMovedPermanently
		}
		loc := "https://" + rt.redirectTo + st.path
		if u != nil {
			loc = "https://" + rt.redirectTo + u.RequestURI()
		}
		return st.respond(code, [][2]string{{"location", loc}, {"content-length", "0"}}, ""), 0, rt
	}
	if rt.origin == nil || rt.proxy == nil {
		return st.page(http.StatusBadGateway), 0, rt
	}
	status, n := st.proxy(rt, host, h2Target(st.path, u, rt.origin.pathPrefix))
	return status, n, rt
}

// url parses a path that validTarget does not take as it is, as net/http
// would; nil for one it takes (forwarded byte for byte).
func (st *h2Stream) url() (*url.URL, error) {
	if validTarget(st.path) {
		return nil, nil
	}
	return url.ParseRequestURI(st.path)
}

// h2Target is the request target sent to the origin: the path as sent
// when it needs no escaping, else what ReverseProxy makes of u (see
// rewrite): the prefix joined, the query rewritten if it has ';' or a bad
// escape.
func h2Target(path string, u *url.URL, prefix string) string {
	if u == nil {
		return prefix + path
	}
	out := *u
	if prefix != "" {
		out.Path = prefix + out.Path
		if out.RawPath != "" {
			out.RawPath = prefix + out.RawPath
		}
	}
	out.RawQuery = cleanQuery(out.RawQuery)
	return out.RequestURI()
}

// cleanQuery is ReverseProxy's cleanQueryParams: a query with ';' or a
// malformed escape is parsed and encoded again.
func cleanQuery(s string) string {
	for i := 0; i < len(s); {
		switch s[i] {
		case ';':
			v, _ := url.ParseQuery(s)
			return v.Encode()
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				v, _ := url.ParseQuery(s)
				return v.Encode()
			}
			i += 3
		default:
			i++
		}
	}
	return s
}

// field returns the first value of a regular field.
func (st *h2Stream) field(name string) string {
	for _, hf := range st.fields {
		if hf.Name == name {
			return hf.Value
		}
	}
	return ""
}

// page answers with status and its short text page (writePage's).
func (st *h2Stream) page(status int) int {
	body := strconv.Itoa(status) + " " + http.StatusText(status) + "\n\n" + pageText[status] + "\n"
	return st.respond(status, [][2]string{
		{"content-type", "text/plain; charset=utf-8"}, {"cache-control", "no-store"},
		{"x-content-type-options", "nosniff"}, {"content-length", strconv.Itoa(len(body))},
	}, body)
}

// respond writes a whole response of the edge's own.
func (st *h2Stream) respond(status int, fields [][2]string, body string) int {
	if st.method == http.MethodHead {
		body = ""
	}
	h := st.h
	err := st.writeHeaders(body == "", body != "", func(enc *hpack.Encoder) {
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: statusText(status)})
		for _, f := range fields {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		enc.WriteField(hpack.HeaderField{Name: "date", Value: h.e.dates.now()})
	})
	if err == nil && body != "" {
		_ = st.writeData([]byte(body), true, false)
	}
	return status
}

// proxy relays the request to rt's origin and the response back, with one
// retry of a request without a body on a pooled connection found closed.
func (st *h2Stream) proxy(rt *route, host, target string) (int, int64) {
	e := st.h.e
	ft := e.transports.fastFor(rt, host)
	key := originKey{https: rt.origin.url.Scheme == "https", addr: rt.origin.url.Host}
	idempotent := st.method != http.MethodPost && st.method != http.MethodPatch
	hasBody := st.hasBody
	var resp fastResp
	var pc *originConn
	for attempt := 0; ; attempt++ {
		var reused bool
		var err error
		pc, reused, err = ft.get(e.runCtx, key)
		if err == nil && reused && (!idempotent || hasBody) && !pc.alive() {
			pc.close()
			pc, err = ft.dial(e.runCtx, key)
			reused = false
		}
		if err == nil {
			st.origin.Store(pc)
			if st.canceled.Load() {
				pc.close()
				return 499, 0
			}
			err = st.send(pc, rt, host, target, hasBody)
			if err == nil {
				err = pc.readFinalHead(&resp, st.method == http.MethodHead, rt, st)
			}
			if err != nil {
				retry := reused && attempt == 0 && pc.nothingRead() && idempotent && !hasBody && !st.canceled.Load()
				pc.close()
				if retry {
					continue
				}
			}
		}
		if err != nil {
			return st.failed(rt, err), 0
		}
		break
	}
	written, err := st.writeResponse(pc, &resp)
	if err != nil {
		pc.close()
		if !st.canceled.Load() {
			st.h.resetStream(st.id, http2.ErrCodeInternal)
		}
		if !errors.Is(err, errClientWrite) && !errors.Is(err, errStreamCanceled) {
			e.log.Warn("origin response cut short", "host", st.authority, "err", err,
				"hostname_id", rt.hostnameID, "zone_id", rt.zoneID)
		}
		return resp.code, written
	}
	if st.origin.Swap(nil) != pc {
		return resp.code, written // canceled meanwhile: closed
	}
	if resp.keepAlive && resp.mode != bodyUntilClose {
		ft.put(pc)
	} else {
		pc.close()
	}
	return resp.code, written
}

// errVisitorBody marks a request body that failed on the visitor's side.
var errVisitorBody = errors.New("reading the request body")

// failed answers a request whose exchange failed before its response
// head: 408 when the visitor's body was late, 504 for an origin timeout,
// 502 otherwise; nothing when the visitor is gone.
func (st *h2Stream) failed(rt *route, err error) int {
	switch {
	case st.canceled.Load(), errors.Is(err, errStreamCanceled), errors.Is(err, errClientWrite):
		return 499
	case errors.Is(err, errBodyTimeout):
		return st.page(http.StatusRequestTimeout)
	case errors.Is(err, errVisitorBody):
		st.h.resetStream(st.id, http2.ErrCodeCancel)
		return 499
	}
	status := http.StatusBadGateway
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		status = http.StatusGatewayTimeout
	}
	st.h.e.log.Warn("origin request failed", "host", st.authority, "status", status, "err", err,
		"hostname_id", rt.hostnameID, "zone_id", rt.zoneID)
	return st.page(status)
}

// send writes the request to the origin: the head as the HTTP/1.1 loop's
// send does, then the body as it arrives, each piece given back to the
// client's window once written.
func (st *h2Stream) send(pc *originConn, rt *route, host, target string, hasBody bool) error {
	e := st.h.e
	pc.lr.read = 0
	timeout := pc.t.responseTimeout
	if timeout > 0 {
		_ = pc.conn.SetDeadline(time.Now().Add(timeout))
	}
	w := pc.bw
	w.WriteString(st.method)
	w.WriteByte(' ')
	w.WriteString(target)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	xff := false
	for _, hf := range st.fields {
		switch hf.Name {
		case "x-forwarded-for":
			xff = true
			continue
		case "forwarded", "x-forwarded-host", "x-forwarded-proto", "proxy-authorization",
			"proxy-authenticate", "trailer", "http2-settings":
			continue
		case "te":
			w.WriteString("Te: trailers\r\n")
			continue
		}
		if e.metaLower != "" && hf.Name == e.metaLower {
			continue
		}
		writeCanonical(w, hf.Name)
		w.WriteString(": ")
		w.WriteString(hf.Value)
		w.WriteString("\r\n")
	}
	w.WriteString("X-Forwarded-For: ")
	if xff && e.trustedIP(st.h.c.clientIP) {
		for _, hf := range st.fields {
			if hf.Name == "x-forwarded-for" {
				w.WriteString(hf.Value)
				w.WriteString(", ")
			}
		}
	}
	w.WriteString(st.h.c.clientIP)
	w.WriteString("\r\nX-Forwarded-Host: ")
	w.WriteString(host)
	w.WriteString("\r\nX-Forwarded-Proto: https\r\n")
	if e.cfg.MetadataHeader != "" && rt.metadata != "" {
		w.WriteString(e.cfg.MetadataHeader)
		w.WriteString(": ")
		w.WriteString(rt.metadata)
		w.WriteString("\r\n")
	}
	chunked := hasBody && st.contentLength < 0
	switch {
	case chunked:
		w.WriteString("Transfer-Encoding: chunked\r\n")
	case hasBody || st.method == http.MethodPost || st.method == http.MethodPut || st.method == http.MethodPatch:
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(w.AvailableBuffer(), max(st.contentLength, 0), 10))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	if !hasBody {
		return w.Flush()
	}
	if st.expectContinue && st.body.received() == 0 {
		// The client waits for a go-ahead before its body, as net/http's
		// server gives when the handler first reads.
		if err := st.writeInfo(http.StatusContinue, nil); err != nil {
			return err
		}
	}
	deadline := st.start.Add(e.cfg.ReadTimeout)
	for {
		chunks, end, err := st.body.take(deadline, st.done)
		if err != nil {
			if errors.Is(err, errStreamCanceled) || errors.Is(err, errBodyTimeout) {
				return err
			}
			return fmt.Errorf("%w: %w", errVisitorBody, err)
		}
		if timeout > 0 {
			_ = pc.conn.SetDeadline(time.Now().Add(timeout))
		}
		for _, c := range chunks {
			if chunked {
				w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(c)), 16))
				w.WriteString("\r\n")
				w.Write(c)
				w.WriteString("\r\n")
			} else {
				w.Write(c)
			}
			st.h.credit(st, int64(len(c)))
		}
		if end {
			break
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if chunked {
		w.WriteString("0\r\n")
		for _, hf := range st.body.trailer {
			writeCanonical(w, hf.Name)
			w.WriteString(": ")
			w.WriteString(hf.Value)
			w.WriteString("\r\n")
		}
		w.WriteString("\r\n")
	}
	return w.Flush()
}

// writeCanonical writes a lowercase HTTP/2 field name in the canonical
// form net/http sends (Content-Type).
func writeCanonical(w *bufio.Writer, name string) {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		w.WriteByte(c)
		upper = c == '-'
	}
}

// inform forwards an informational response (see readFinalHead).
func (st *h2Stream) inform(resp *fastResp) error { return st.writeInfo(resp.code, resp) }

// writeInfo sends an informational response (HEADERS without END_STREAM).
func (st *h2Stream) writeInfo(code int, resp *fastResp) error {
	return st.writeHeaders(false, false, func(enc *hpack.Encoder) {
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: statusText(code)})
		if resp != nil {
			st.encodeFields(enc, resp)
		}
	})
}

// writeResponse writes the final head and relays the body.
func (st *h2Stream) writeResponse(pc *originConn, resp *fastResp) (int64, error) {
	end := resp.mode == bodyNone || resp.mode == bodyLength && resp.length == 0
	err := st.writeHeaders(end, !end && pc.br.Buffered() > 0, func(enc *hpack.Encoder) {
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: statusText(resp.code)})
		st.encodeFields(enc, resp)
		if resp.mode == bodyLength || resp.mode == bodyNone && resp.hasLength && resp.code != http.StatusNoContent {
			enc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.FormatInt(resp.length, 10)})
		}
		if !resp.hasDate {
			enc.WriteField(hpack.HeaderField{Name: "date", Value: st.h.e.dates.now()})
		}
	})
	if err != nil || end {
		return 0, err
	}
	switch resp.mode {
	case bodyLength:
		return st.copyBody(pc, resp.length)
	case bodyChunked:
		return st.copyStream(pc, httputil.NewChunkedReader(pc.br), false)
	default:
		return st.copyStream(pc, pc.br, true)
	}
}

// encodeFields encodes the origin's header fields less the hop-by-hop
// ones, names in lowercase as HTTP/2 requires.
func (st *h2Stream) encodeFields(enc *hpack.Encoder, resp *fastResp) {
	for _, s := range resp.spans {
		if len(resp.connTokens) > 0 && resp.dropped(s) {
			continue
		}
		enc.WriteField(hpack.HeaderField{Name: lowerName(resp.name(s)), Value: string(resp.value(s))})
	}
}

// copyBody relays exactly n bytes, straight out of the origin's buffer.
func (st *h2Stream) copyBody(pc *originConn, n int64) (int64, error) {
	br := pc.br
	var written int64
	for written < n {
		if br.Buffered() == 0 {
			if err := pc.fill(); err != nil {
				return written, fmt.Errorf("reading the origin's body: %w", noEOF(err))
			}
		}
		k := int(min(int64(br.Buffered()), n-written))
		b, _ := br.Peek(k)
		last := written+int64(k) == n
		if err := st.writeData(b, last, !last && br.Buffered() > k); err != nil {
			return written, err
		}
		_, _ = br.Discard(k)
		written += int64(k)
	}
	return written, nil
}

// copyStream relays a body of unknown length (a chunked reader, or the
// connection until it closes), then the trailer of a chunked one.
func (st *h2Stream) copyStream(pc *originConn, src io.Reader, untilClose bool) (int64, error) {
	buf := st.h.e.buffers.Get()
	defer st.h.e.buffers.Put(buf)
	br := pc.br
	var written int64
	for {
		if br.Buffered() == 0 {
			if err := pc.fill(); err != nil && !(untilClose && err == io.EOF) {
				return written, fmt.Errorf("reading the origin's body: %w", noEOF(err))
			}
		}
		n, err := src.Read(buf)
		if n > 0 {
			if werr := st.writeData(buf[:n], false, br.Buffered() > 0); werr != nil {
				return written, werr
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
	var trailer []hpack.HeaderField
	if !untilClose {
		err := readTrailer(br, func(line []byte, colon int) {
			trailer = append(trailer, hpack.HeaderField{Name: lowerName(line[:colon]), Value: string(trimOWS(line[colon+1:]))})
		})
		if err != nil {
			return written, err
		}
	}
	if len(trailer) == 0 {
		return written, st.writeData(nil, true, false)
	}
	return written, st.writeHeaders(true, false, func(enc *hpack.Encoder) {
		for _, f := range trailer {
			enc.WriteField(f)
		}
	})
}

// writeHeaders encodes a header block with encode and sends it as HEADERS
// (and CONTINUATION frames beyond one frame), under the write lock: the
// HPACK encoder's state is the connection's.
func (st *h2Stream) writeHeaders(end, more bool, encode func(*hpack.Encoder)) error {
	h := st.h
	err := h.write(more, func() error {
		if st.canceled.Load() {
			return nil
		}
		h.hbuf.Reset()
		encode(h.henc)
		block := h.hbuf.Bytes()
		first := block[:min(len(block), h2MaxFrame)]
		block = block[len(first):]
		// Set before the frame can reach the client: the reader must
		// know the stream closed when the client's next frame arrives.
		st.closedLocal.Store(end)
		if err := h.fr.WriteHeaders(http2.HeadersFrameParam{
			StreamID: st.id, BlockFragment: first, EndStream: end, EndHeaders: len(block) == 0,
		}); err != nil {
			return err
		}
		for len(block) > 0 {
			frag := block[:min(len(block), h2MaxFrame)]
			block = block[len(frag):]
			if err := h.fr.WriteContinuation(st.id, len(block) == 0, frag); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %w", errClientWrite, err)
	}
	if st.canceled.Load() {
		return errStreamCanceled
	}
	return nil
}

// writeData sends p as DATA frames as the flow-control windows allow,
// waiting for them at most WriteTimeout; end sets END_STREAM on the last.
func (st *h2Stream) writeData(p []byte, end, more bool) error {
	h := st.h
	for {
		n, err := st.reserve(len(p))
		if err != nil {
			return err
		}
		chunk := p[:n]
		p = p[n:]
		last := end && len(p) == 0
		err = h.write(more || len(p) > 0, func() error {
			if st.canceled.Load() {
				return nil
			}
			st.closedLocal.Store(last) // as in writeHeaders
			return h.fr.WriteData(st.id, last, chunk)
		})
		if err != nil {
			return fmt.Errorf("%w: %w", errClientWrite, err)
		}
		if st.canceled.Load() {
			return errStreamCanceled
		}
		if len(p) == 0 {
			return nil
		}
	}
}

// reserve takes up to want bytes (at most a frame) of both send windows,
// waiting while either is closed.
func (st *h2Stream) reserve(want int) (int, error) {
	if want == 0 {
		return 0, nil
	}
	h := st.h
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		h.mu.Lock()
		if n := min(int64(want), st.sendWin, h.sendWin, h2MaxFrame); n > 0 {
			st.sendWin -= n
			h.sendWin -= n
			h.mu.Unlock()
			return int(n), nil
		}
		h.mu.Unlock()
		if timer == nil {
			// Frames held back for more (writeData's) go out first:
			// the client cannot open its window for data it never got.
			if err := h.write(false, func() error { return nil }); err != nil {
				return 0, fmt.Errorf("%w: %w", errClientWrite, err)
			}
			timer = time.NewTimer(h.e.cfg.WriteTimeout)
			continue // the flush may have taken a while: look again
		}
		select {
		case <-st.winReady:
		case <-st.done:
			return 0, errStreamCanceled
		case <-timer.C:
			return 0, fmt.Errorf("%w: the client's flow-control window stayed closed", errClientWrite)
		}
	}
}

// statusText is the :status value of code.
func statusText(code int) string {
	switch code {
	case 200:
		return "200"
	case 204:
		return "204"
	case 206:
		return "206"
	case 304:
		return "304"
	case 404:
		return "404"
	}
	return strconv.Itoa(code)
}

// lowerName returns a field name in lowercase, without allocating for the
// common ones.
func lowerName(b []byte) string {
	var buf [32]byte
	if len(b) <= len(buf) {
		l := buf[:len(b)]
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			l[i] = c
		}
		if s, ok := commonNames[string(l)]; ok {
			return s
		}
		return string(l)
	}
	return strings.ToLower(string(b))
}

// commonNames are the response field names seen most, in lowercase.
var commonNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{
		"accept-ranges", "access-control-allow-origin", "age", "cache-control", "content-disposition",
		"content-encoding", "content-language", "content-length", "content-location", "content-range",
		"content-security-policy", "content-type", "date", "etag", "expires", "last-modified", "link",
		"location", "server", "set-cookie", "strict-transport-security", "trailer", "vary", "via",
		"www-authenticate", "x-content-type-options", "x-frame-options", "x-request-id", "x-xss-protection",
		"referrer-policy", "alt-svc", "retry-after",
	} {
		m[n] = n
	}
	return m
}()
