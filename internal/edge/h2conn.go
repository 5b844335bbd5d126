package edge

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Conn is an HTTP/2 connection served by the edge's own loop: one reader
// goroutine (serve) reads and checks every frame, and each request runs on
// a worker goroutine that writes its response frames itself, under one
// write lock, into one buffered writer.
//
// Why it exists: Go's HTTP/2 server costs about three times nginx's CPU per
// proxied request here (bench/README.md): a goroutine and a channel round
// trip per frame written, a flush goroutine, a handler goroutine per
// stream with its own request, header map and ReverseProxy copy. This loop
// relays requests as the HTTP/1.1 loop does (h2relay.go), with the same
// origin pool, and batches the writes of concurrent streams: whoever
// writes last flushes.
//
// What it enforces, as Go's server does (threat model E4, E5, E14):
//   - frames are parsed and checked by x/net's Framer, with HPACK decoding
//     bounded by MaxHeaderBytes and CONTINUATION floods cut there;
//   - at most MaxConcurrentStreams open streams (more are refused), and at
//     most as many workers: streams the client reset while their worker
//     still runs queue for a worker, and a queue beyond four times the
//     limit (rapid reset) ends the connection with ENHANCE_YOUR_CALM;
//   - flow control both ways: what the client sends beyond the windows it
//     was given is a FLOW_CONTROL_ERROR; what the edge sends waits for the
//     client's window, at most WriteTimeout;
//   - timeouts: the preface within HeaderTimeout, an idle connection (no
//     stream) closed after IdleTimeout, a request body within ReadTimeout
//     of its stream's start, every write within WriteTimeout of progress;
//   - a control frame answered (PING, SETTINGS) is written before the next
//     frame is read, so a client that does not read stops being read.
type h2Conn struct {
	c  *h1Conn // the TLS connection, its SNI and peer
	e  *Edge
	fr *http2.Framer

	// Writing: frames go into bw under wmu; writers counts those queued
	// for or holding wmu, and the last one out flushes. bw is a pooled
	// buffer held only while frames wait in it, so that an idle
	// connection costs no write buffer.
	wmu     sync.Mutex
	bw      *bufio.Writer
	henc    *hpack.Encoder
	hbuf    bytes.Buffer
	writers atomic.Int32
	werr    error // the first write error; the connection is dead after it

	mu        sync.Mutex
	streams   map[uint32]*h2Stream // open streams
	pending   []*h2Stream          // streams waiting for a worker
	running   int                  // workers
	sendWin   int64                // connection send window
	initWin   int64                // the client's SETTINGS_INITIAL_WINDOW_SIZE
	recvWin   int64                // connection receive window left
	unacked   int64                // connection credit not yet returned
	lastID    uint32               // highest client stream id seen
	goingAway bool                 // GOAWAY sent: no new streams
	closed    bool
	workers   sync.WaitGroup
	calmOnce  sync.Once
}

const (
	// h2StreamWindow and h2ConnWindow bound what a client may send ahead
	// of the edge's reading: per stream, and in all (which bounds the
	// body bytes a connection buffers).
	h2StreamWindow = 256 << 10
	h2ConnWindow   = 1 << 20
	// h2MaxFrame is the largest frame the edge reads and writes (the
	// protocol's default; it advertises no other).
	h2MaxFrame = 16384
	// h2MaxWindow is the largest flow-control window (RFC 9113, 6.9.1).
	h2MaxWindow = 1<<31 - 1
)

// serveH2 serves an HTTP/2 connection until it ends. It returns once every
// worker has finished.
func (c *h1Conn) serveH2() {
	e := c.s.e
	h := &h2Conn{
		c: c, e: e,
		streams: map[uint32]*h2Stream{},
		sendWin: 65535, initWin: 65535, recvWin: h2ConnWindow,
	}
	c.h2.Store(h)
	c.dw.c, c.dw.timeout = c.tc, e.cfg.WriteTimeout
	// No read buffer of its own: tls.Conn holds a record's worth.
	in := &h2Input{r: c.tc}
	h.fr = http2.NewFramer(h2Sink{h}, in)
	h.fr.SetMaxReadFrameSize(h2MaxFrame)
	h.fr.SetReuseFrames() // DATA frames are copied out before the next read
	h.fr.MaxHeaderListSize = uint32(e.cfg.MaxHeaderBytes)
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	h.henc = hpack.NewEncoder(&h.hbuf)
	defer func() {
		h.close()
		h.workers.Wait()
	}()
	// After a GOAWAY for an error, what the client still sends (64 KiB at
	// most: a flood is cut) is read and dropped for up to a second before
	// the connection closes: closing a socket with unread bytes resets
	// it, and the reset may overtake the GOAWAY.
	lingering := false
	defer func() {
		if lingering {
			_ = c.tc.SetReadDeadline(time.Now().Add(min(time.Second, e.cfg.IdleTimeout)))
			_, _ = io.Copy(io.Discard, io.LimitReader(c.tc, 64<<10))
		}
	}()

	_ = c.tc.SetReadDeadline(time.Now().Add(e.cfg.HeaderTimeout))
	var preface [len(http2.ClientPreface)]byte
	if _, err := io.ReadFull(c.tc, preface[:]); err != nil || string(preface[:]) != http2.ClientPreface {
		return
	}
	err := h.write(false, func() error {
		if err := h.fr.WriteSettings(
			http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: uint32(e.cfg.MaxConcurrentStreams)},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
			http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: uint32(e.cfg.MaxHeaderBytes)},
		); err != nil {
			return err
		}
		return h.fr.WriteWindowUpdate(0, h2ConnWindow-65535)
	})
	if err != nil {
		return
	}
	// The first frame must be SETTINGS (RFC 9113, 3.4), within the
	// preface's deadline.
	in.left = h2ReadBudget(e.cfg.MaxHeaderBytes)
	f, err := h.fr.ReadFrame()
	if sf, ok := f.(*http2.SettingsFrame); err != nil || !ok || sf.IsAck() {
		h.goAway(http2.ErrCodeProtocol)
		lingering = true
		return
	}
	h.idle(true)
	for {
		if err := h.handle(f); err != nil {
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				h.goAway(http2.ErrCode(ce))
				lingering = true
			}
			return
		}
		in.left = h2ReadBudget(e.cfg.MaxHeaderBytes)
		f, err = h.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			switch {
			case errors.Is(err, errFrameBudget):
				h.goAway(http2.ErrCodeEnhanceYourCalm)
			case errors.Is(err, os.ErrDeadlineExceeded) && h.idleTimedOut():
				// Idle: GOAWAY first, so that a request the client sends
				// meanwhile is refused (and retried elsewhere) rather than
				// lost in a reset; then a second (at most the idle
				// timeout) to read what is in flight.
				h.goAway(http2.ErrCodeNo)
				_ = h.c.tc.SetReadDeadline(time.Now().Add(min(time.Second, h.e.cfg.IdleTimeout)))
				f = nil
				continue
			case errors.As(err, &se):
				// A malformed request on a stream: that stream is reset
				// and counts as opened.
				h.mu.Lock()
				if se.StreamID%2 == 1 && se.StreamID > h.lastID {
					h.lastID = se.StreamID
				}
				h.mu.Unlock()
				h.resetStream(se.StreamID, se.Code)
				f = nil
				continue
			case errors.Is(err, http2.ErrFrameTooLarge):
				h.goAway(http2.ErrCodeFrameSize)
				lingering = true
			default:
				var ce http2.ConnectionError
				if errors.As(err, &ce) {
					h.goAway(http2.ErrCode(ce))
					lingering = true
				}
			}
			return
		}
	}
}

// handle acts on one frame; a ConnectionError ends the connection with a
// GOAWAY of its code.
func (h *h2Conn) handle(f http2.Frame) error {
	switch f := f.(type) {
	case nil:
		return nil
	case *http2.MetaHeadersFrame:
		return h.onHeaders(f)
	case *http2.DataFrame:
		return h.onData(f)
	case *http2.SettingsFrame:
		return h.onSettings(f)
	case *http2.WindowUpdateFrame:
		return h.onWindowUpdate(f)
	case *http2.RSTStreamFrame:
		h.mu.Lock()
		st, idle := h.streams[f.StreamID], f.StreamID > h.lastID
		h.mu.Unlock()
		if idle {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		if st != nil {
			st.cancel()
		}
	case *http2.PingFrame:
		if !f.IsAck() {
			return h.write(false, func() error { return h.fr.WritePing(true, f.Data) })
		}
	case *http2.PriorityFrame:
		if f.StreamID == f.StreamDep {
			h.resetStream(f.StreamID, http2.ErrCodeProtocol)
		}
	case *http2.GoAwayFrame:
		// The client opens no more streams; the open ones finish.
	case *http2.PushPromiseFrame:
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	// Unknown frame types are ignored (RFC 9113, 4.1).
	return nil
}

func (h *h2Conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			h.mu.Lock()
			defer h.mu.Unlock()
			delta := int64(s.Val) - h.initWin
			h.initWin = int64(s.Val)
			for _, st := range h.streams {
				if st.sendWin += delta; st.sendWin > h2MaxWindow {
					return http2.ConnectionError(http2.ErrCodeFlowControl)
				}
				st.signal()
			}
		case http2.SettingHeaderTableSize:
			h.wmu.Lock()
			h.henc.SetMaxDynamicTableSizeLimit(s.Val)
			h.wmu.Unlock()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return h.write(false, func() error { return h.fr.WriteSettingsAck() })
}

func (h *h2Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.StreamID == 0 {
		if h.sendWin += int64(f.Increment); h.sendWin > h2MaxWindow {
			return http2.ConnectionError(http2.ErrCodeFlowControl)
		}
		for _, st := range h.streams {
			st.signal()
		}
		return nil
	}
	if f.StreamID > h.lastID {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	st := h.streams[f.StreamID]
	if st == nil {
		return nil // closed: a late update
	}
	if st.sendWin += int64(f.Increment); st.sendWin > h2MaxWindow {
		h.mu.Unlock()
		h.resetStream(f.StreamID, http2.ErrCodeFlowControl)
		h.mu.Lock()
		return nil
	}
	st.signal()
	return nil
}

// onData accounts for the frame against both receive windows and hands
// the data to its stream's body.
func (h *h2Conn) onData(f *http2.DataFrame) error {
	n := int64(f.Length) // padding included: it counts against windows
	h.mu.Lock()
	if n > h.recvWin {
		h.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeFlowControl)
	}
	h.recvWin -= n
	st, idle := h.streams[f.StreamID], f.StreamID > h.lastID
	h.mu.Unlock()
	if idle {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	data := f.Data()
	if st == nil || st.canceled.Load() {
		// Closed or reset: the bytes are dropped, and their credit given
		// back at once so that other streams keep flowing.
		h.credit(nil, n)
		if st == nil {
			h.resetStream(f.StreamID, http2.ErrCodeStreamClosed)
		}
		return nil
	}
	if err := st.body.put(data, n, f.StreamEnded()); err != nil {
		h.credit(nil, n)
		h.resetStream(f.StreamID, err.(http2.StreamError).Code)
		return nil
	}
	if pad := n - int64(len(data)); pad > 0 {
		h.credit(st, pad)
	}
	return nil
}

// credit gives n consumed bytes back to the client: to the connection, and
// to st when it still reads. Updates go out in batches of a quarter window.
func (h *h2Conn) credit(st *h2Stream, n int64) {
	var connInc, streamInc uint32
	h.mu.Lock()
	if h.unacked += n; h.unacked >= h2ConnWindow/4 {
		connInc = uint32(h.unacked)
		h.recvWin += h.unacked
		h.unacked = 0
	}
	h.mu.Unlock()
	if st != nil {
		b := &st.body
		b.mu.Lock()
		if !b.end {
			if b.unacked += n; b.unacked >= h2StreamWindow/4 {
				streamInc = uint32(b.unacked)
				b.win += b.unacked
				b.unacked = 0
			}
		}
		b.mu.Unlock()
	}
	if connInc == 0 && streamInc == 0 {
		return
	}
	_ = h.write(false, func() error {
		if connInc > 0 {
			if err := h.fr.WriteWindowUpdate(0, connInc); err != nil {
				return err
			}
		}
		if streamInc > 0 {
			return h.fr.WriteWindowUpdate(st.id, streamInc)
		}
		return nil
	})
}

// write runs fn, which writes frames into the buffer, under the write
// lock; the buffer is flushed unless more (the caller writes again at
// once) or another writer waits (it will flush).
func (h *h2Conn) write(more bool, fn func() error) error {
	h.writers.Add(1)
	h.wmu.Lock()
	defer h.wmu.Unlock()
	err := h.werr
	if err == nil {
		err = fn()
	}
	if h.writers.Add(-1) == 0 && !more && h.bw != nil {
		if err == nil {
			err = h.bw.Flush()
		}
		h.bw.Reset(nil)
		responseWriters.Put(h.bw)
		h.bw = nil
	}
	if err != nil && h.werr == nil {
		h.werr = err
		// A failed or timed-out write leaves a frame half written: the
		// connection is over. Closing it wakes the reader.
		h.c.tc.NetConn().Close()
	}
	return err
}

// h2Input is what the Framer reads from: the connection, with a budget
// of bytes per ReadFrame. One ReadFrame reads one frame, or one header
// block and all its CONTINUATION frames; the Framer bounds the decoded
// fields by MaxHeaderBytes, but not the frames, and an endless run of
// empty CONTINUATION frames would keep it reading, and a core busy,
// until the idle timeout (Go's HTTP/2 server has the same gap).
type h2Input struct {
	r    io.Reader
	left int
}

var errFrameBudget = errors.New("a header block's frames exceed any header list the edge accepts")

// h2ReadBudget bounds one ReadFrame: a DATA frame, or a header block
// within the Framer's own limit (twice the header list size encoded,
// plus frame headers for CONTINUATION frames of at least 1 KiB).
func h2ReadBudget(maxHeaderBytes int) int { return 4*maxHeaderBytes + 2*h2MaxFrame }

func (in *h2Input) Read(p []byte) (int, error) {
	if in.left <= 0 {
		return 0, errFrameBudget
	}
	if len(p) > in.left {
		p = p[:in.left]
	}
	n, err := in.r.Read(p)
	in.left -= n
	return n, err
}

// h2Sink is where the Framer writes each frame: the connection's pooled
// buffer, taken at the first frame. Under wmu.
type h2Sink struct{ h *h2Conn }

func (s h2Sink) Write(p []byte) (int, error) {
	h := s.h
	if h.bw == nil {
		h.bw = responseWriters.Get().(*bufio.Writer)
		h.bw.Reset(&h.c.dw)
	}
	return h.bw.Write(p)
}

// resetStream sends RST_STREAM and cancels the stream if it is open.
func (h *h2Conn) resetStream(id uint32, code http2.ErrCode) {
	h.mu.Lock()
	st := h.streams[id]
	h.mu.Unlock()
	if st != nil {
		st.cancel()
	}
	_ = h.write(false, func() error { return h.fr.WriteRSTStream(id, code) })
}

// goAway tells the client the last stream the edge will serve and why,
// and stops taking new streams. With an error code the connection ends.
func (h *h2Conn) goAway(code http2.ErrCode) {
	h.mu.Lock()
	h.goingAway = true
	last := h.lastID
	h.mu.Unlock()
	_ = h.write(false, func() error { return h.fr.WriteGoAway(last, code, nil) })
}

// shutdown is the server's Shutdown reaching this connection: an idle one
// closes now; a busy one is told GOAWAY once and closes when its last
// stream ends (see finish).
func (h *h2Conn) shutdown() {
	h.mu.Lock()
	idle, first := len(h.streams) == 0 && h.running == 0, !h.goingAway
	h.goingAway = true
	h.mu.Unlock()
	switch {
	case idle:
		h.c.tc.NetConn().Close()
	case first:
		go h.goAway(http2.ErrCodeNo)
	}
}

// close ends the connection: every stream is canceled (which closes its
// origin connection, so that workers end at once).
func (h *h2Conn) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	streams := make([]*h2Stream, 0, len(h.streams)+len(h.pending))
	for _, st := range h.streams {
		streams = append(streams, st)
	}
	streams = append(streams, h.pending...)
	h.mu.Unlock()
	for _, st := range streams {
		st.cancel()
	}
	h.c.tc.NetConn().Close()
}

// idleTimedOut reports whether a read deadline that passed was the idle
// timeout, for the first time.
func (h *h2Conn) idleTimedOut() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.streams) == 0 && h.running == 0 && !h.goingAway
}

// idle marks the connection idle (no stream: the idle timeout runs, and
// Shutdown may close it) or busy. Called under h.mu, or before any stream.
func (h *h2Conn) idle(yes bool) {
	h.c.idle.Store(yes)
	if yes {
		_ = h.c.tc.SetReadDeadline(time.Now().Add(h.e.cfg.IdleTimeout))
	} else {
		_ = h.c.tc.SetReadDeadline(time.Time{})
	}
}
