package edge

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Stream is one request on an HTTP/2 connection.
type h2Stream struct {
	h  *h2Conn
	id uint32

	// The request, from its HEADERS (h2relay.go reads it).
	method, scheme, authority, path string
	fields                          []hpack.HeaderField // regular fields, as sent
	contentLength                   int64               // -1: none given
	tooLarge                        bool                // the header list passed MaxHeaderBytes
	expectContinue                  bool
	hasBody                         bool // no END_STREAM on the HEADERS
	start                           time.Time

	body h2Body

	sendWin  int64 // under h.mu
	winReady chan struct{}
	canceled atomic.Bool
	done     chan struct{} // closed when canceled
	origin   atomic.Pointer[originConn]
	// closedLocal: END_STREAM went out, the response is whole.
	closedLocal atomic.Bool
}

// signal wakes the stream's worker waiting for send window. Under h.mu.
func (st *h2Stream) signal() {
	select {
	case st.winReady <- struct{}{}:
	default:
	}
}

// cancel stops the stream: the client reset it, the edge did, or the
// connection ended. Its worker stops at its next step, and its origin
// connection is closed under it.
func (st *h2Stream) cancel() {
	if st.canceled.Swap(true) {
		return
	}
	h := st.h
	h.mu.Lock()
	h.forget(st)
	h.mu.Unlock()
	close(st.done)
	st.body.fail(errStreamCanceled)
	if pc := st.origin.Swap(nil); pc != nil {
		pc.close()
	}
}

var errStreamCanceled = errors.New("the stream was reset")

// h2Body is a request body arriving in DATA frames: the reader puts, the
// worker takes. win is what the client may still send on the stream.
type h2Body struct {
	mu      sync.Mutex
	chunks  [][]byte
	n       int64 // bytes received, for Content-Length
	want    int64 // the declared length, or -1
	end     bool
	err     error
	trailer []hpack.HeaderField
	ready   chan struct{}

	win, unacked int64
}

// put adds a DATA frame's payload; n is its flow-controlled length.
func (b *h2Body) put(data []byte, n int64, end bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.end {
		return http2.StreamError{Code: http2.ErrCodeStreamClosed}
	}
	if b.win -= n; b.win < 0 {
		return http2.StreamError{Code: http2.ErrCodeFlowControl}
	}
	b.n += int64(len(data))
	if b.want >= 0 && (b.n > b.want || end && b.n != b.want) {
		return http2.StreamError{Code: http2.ErrCodeProtocol}
	}
	if len(data) > 0 {
		b.chunks = append(b.chunks, append([]byte(nil), data...))
	}
	b.end = end
	b.wake()
	return nil
}

func (b *h2Body) wake() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// fail ends the body with err for its reader.
func (b *h2Body) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
	b.wake()
}

// received returns the body bytes received so far.
func (b *h2Body) received() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

func (b *h2Body) ended() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.end
}

// take returns what has arrived, waiting until something has or until
// deadline; end reports that the body is complete after it.
func (b *h2Body) take(deadline time.Time, done <-chan struct{}) (data [][]byte, end bool, err error) {
	for {
		b.mu.Lock()
		data, end, err = b.chunks, b.end, b.err
		b.chunks = nil
		b.mu.Unlock()
		if err != nil || len(data) > 0 || end {
			return data, end, err
		}
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-b.ready:
			t.Stop()
		case <-t.C:
			return nil, false, errBodyTimeout
		case <-done:
			t.Stop()
			return nil, false, errStreamCanceled
		}
	}
}

var errBodyTimeout = errors.New("the request body did not arrive within the read timeout")

// onHeaders opens a stream for a request, or ends one with its trailers.
func (h *h2Conn) onHeaders(f *http2.MetaHeadersFrame) error {
	id := f.StreamID
	h.mu.Lock()
	if st := h.streams[id]; st != nil {
		h.mu.Unlock()
		return h.onTrailers(st, f)
	}
	switch {
	case id%2 == 0 || id <= h.lastID:
		h.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeProtocol)
	case h.closed:
		h.mu.Unlock()
		return nil
	}
	h.lastID = id
	refuse := h.goingAway || len(h.streams) >= h.e.cfg.MaxConcurrentStreams
	h.mu.Unlock()
	if f.HasPriority() && f.Priority.StreamDep == id {
		h.resetStream(id, http2.ErrCodeProtocol) // depends on itself: RFC 9113, 5.3.1
		return nil
	}
	if refuse {
		h.resetStream(id, http2.ErrCodeRefusedStream)
		return nil
	}
	st := &h2Stream{
		h: h, id: id, contentLength: -1, start: time.Now(), tooLarge: f.Truncated,
		winReady: make(chan struct{}, 1), done: make(chan struct{}),
		body: h2Body{want: -1, ready: make(chan struct{}, 1), win: h2StreamWindow},
	}
	if code := st.parse(f.Fields); code != http2.ErrCodeNo {
		h.resetStream(id, code)
		return nil
	}
	st.body.want = st.contentLength
	st.hasBody = !f.StreamEnded()
	if f.StreamEnded() {
		if st.contentLength > 0 {
			h.resetStream(id, http2.ErrCodeProtocol)
			return nil
		}
		st.body.end = true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	st.sendWin = h.initWin
	if len(h.streams) == 0 && h.running == 0 {
		h.idle(false)
	}
	h.streams[id] = st
	switch {
	case h.running < h.e.cfg.MaxConcurrentStreams:
		h.running++
		h.workers.Add(1)
		h.e.h2workers.serve(st)
	default:
		// Every worker is busy with a stream the client reset (open
		// streams are fewer than the limit): rapid reset. Queue, within
		// reason.
		h.pending = append(h.pending, st)
		if len(h.pending) > 4*h.e.cfg.MaxConcurrentStreams {
			h.calmOnce.Do(func() { go h.calm() })
		}
	}
	return nil
}

// calm ends a connection that resets streams faster than their work ends.
func (h *h2Conn) calm() {
	h.goAway(http2.ErrCodeEnhanceYourCalm)
	h.c.tc.NetConn().Close()
}

// onTrailers ends a stream's body with trailing fields.
func (h *h2Conn) onTrailers(st *h2Stream, f *http2.MetaHeadersFrame) error {
	b := &st.body
	b.mu.Lock()
	switch {
	case b.end && st.closedLocal.Load():
		// Closed both ways, its worker not yet done: RFC 9113, 5.1.
		b.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeStreamClosed)
	case b.end: // half-closed (remote)
		b.mu.Unlock()
		h.resetStream(st.id, http2.ErrCodeStreamClosed)
		return nil
	case len(f.PseudoFields()) > 0 || !f.StreamEnded(), b.want >= 0 && b.n != b.want:
		b.mu.Unlock()
		h.resetStream(st.id, http2.ErrCodeProtocol)
		return nil
	}
	b.trailer, b.end = f.RegularFields(), true
	b.mu.Unlock()
	b.wake()
	return nil
}

// parse reads the request's fields as RFC 9113, 8.3.1 and 8.2.2 require;
// a code other than ErrCodeNo resets the stream as malformed.
func (st *h2Stream) parse(fields []hpack.HeaderField) http2.ErrCode {
	var cookies int
	for _, hf := range fields {
		switch hf.Name {
		case ":method":
			st.method = hf.Value
		case ":scheme":
			st.scheme = hf.Value
		case ":authority":
			st.authority = hf.Value
		case ":path":
			st.path = hf.Value
		case ":protocol":
			return http2.ErrCodeProtocol // extended CONNECT is not offered
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			return http2.ErrCodeProtocol
		case "te":
			if hf.Value != "trailers" {
				return http2.ErrCodeProtocol
			}
			st.fields = append(st.fields, hf)
		case "content-length":
			n, ok := parseLength([]byte(hf.Value))
			if !ok || st.contentLength >= 0 && n != st.contentLength {
				return http2.ErrCodeProtocol
			}
			st.contentLength = n
		case "host":
			if st.authority == "" {
				st.authority = hf.Value
			}
		case "expect":
			st.expectContinue = strings.EqualFold(hf.Value, "100-continue")
		case "cookie":
			cookies++
			st.fields = append(st.fields, hf)
		default:
			st.fields = append(st.fields, hf)
		}
	}
	if cookies > 1 {
		st.joinCookies()
	}
	switch {
	case st.method == "":
		return http2.ErrCodeProtocol
	case st.method == http.MethodConnect:
		if st.scheme != "" || st.path != "" || st.authority == "" {
			return http2.ErrCodeProtocol
		}
	case st.scheme == "" || st.path == "":
		return http2.ErrCodeProtocol
	}
	if !validMethod(st.method) {
		return http2.ErrCodeProtocol
	}
	return http2.ErrCodeNo
}

// joinCookies merges the cookie fields into one, as RFC 9113, 8.2.3 asks
// of a gateway to HTTP/1.1.
func (st *h2Stream) joinCookies() {
	var parts []string
	out := st.fields[:0]
	at := -1
	for _, hf := range st.fields {
		if hf.Name == "cookie" {
			parts = append(parts, hf.Value)
			if at >= 0 {
				continue
			}
			at = len(out)
		}
		out = append(out, hf)
	}
	out[at].Value = strings.Join(parts, "; ")
	st.fields = out
}

// validMethod takes a method token (RFC 9110, 9.1).
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		if !isTchar(m[i]) {
			return false
		}
	}
	return m != ""
}

// finish closes a served stream and returns the next queued one for its
// worker; nil when there is none, and the worker leaves the connection.
func (h *h2Conn) finish(st *h2Stream) *h2Stream {
	_ = h.write(false, func() error {
		if !st.canceled.Load() && !st.body.ended() {
			// The response is complete but the client is still
			// sending: tell it to stop (RFC 9113, 8.1).
			return h.fr.WriteRSTStream(st.id, http2.ErrCodeNo)
		}
		// Otherwise only a flush, of frames a failed stream left.
		return nil
	})
	// Credit for body bytes the worker never took goes back to the
	// connection.
	st.body.mu.Lock()
	var left int64
	for _, c := range st.body.chunks {
		left += int64(len(c))
	}
	st.body.chunks = nil
	st.body.mu.Unlock()
	if left > 0 {
		h.credit(nil, left)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forget(st)
	for len(h.pending) > 0 {
		next := h.pending[0]
		h.pending = h.pending[1:]
		if !next.canceled.Load() {
			return next
		}
	}
	h.running--
	h.workers.Done()
	if h.running == 0 && len(h.streams) == 0 {
		if h.goingAway {
			h.c.tc.NetConn().Close()
		} else if !h.closed {
			h.idle(true)
		}
	}
	return nil
}

// forget removes st from the open streams. Under h.mu.
func (h *h2Conn) forget(st *h2Stream) {
	if h.streams[st.id] == st {
		delete(h.streams, st.id)
	}
}

// h2Workers are the goroutines that serve HTTP/2 streams, shared by all
// connections: a worker that finishes waits a while for the next stream
// of any connection rather than exit. A goroutine per stream would grow
// its stack anew for every request (the relay's calls through TLS are
// deep), which cost a tenth of the loop's CPU.
type h2Workers struct {
	next chan *h2Stream
	idle time.Duration
}

func newH2Workers() *h2Workers {
	return &h2Workers{next: make(chan *h2Stream), idle: 10 * time.Second}
}

// serve hands st to a waiting worker, or to a new one.
func (p *h2Workers) serve(st *h2Stream) {
	select {
	case p.next <- st:
	default:
		go p.work(st)
	}
}

func (p *h2Workers) work(st *h2Stream) {
	timer := time.NewTimer(p.idle)
	defer timer.Stop()
	for {
		h := st.h
		for st != nil {
			if !st.canceled.Load() {
				st.run()
			}
			st = h.finish(st)
		}
		timer.Reset(p.idle)
		select {
		case st = <-p.next:
		case <-timer.C:
			return
		}
	}
}
