package edge

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Client speaks raw HTTP/2 frames to the edge on one TLS connection
// (ALPN h2). Frames are written to a buffer: flush sends them.
type h2Client struct {
	t      testing.TB
	host   string    // SNI and :authority
	dialed time.Time // when the dial began
	conn   *tls.Conn
	bw     *bufio.Writer
	fr     *http2.Framer
	enc    *hpack.Encoder
	hbuf   bytes.Buffer
	next   uint32 // the next stream id
	// settings are the server's SETTINGS, as start read them.
	settings map[http2.SettingID]uint32
	// What the client may still send (flow control, RFC 9113 §6.9): on the
	// connection, and per stream. start, post, sendWindow and syncWindows
	// keep them.
	connAvail   int64
	streamAvail map[uint32]int64
}

// dialH2 connects to h's HTTPS listener with SNI host and a 10 s deadline;
// the test's end closes the connection.
func dialH2(t testing.TB, h *harness, host string) *h2Client {
	t.Helper()
	dialed := time.Now()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", h.edge.HTTPSAddr(), h.tlsConfig(host, "h2"))
	if err != nil {
		t.Fatal(err)
	}
	// The TCP connection, not the TLS one: a close_notify would wait for
	// the edge to read, which it may have stopped doing.
	t.Cleanup(func() { conn.NetConn().Close() })
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN chose %q, want h2", p)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	c := &h2Client{t: t, host: host, dialed: dialed, conn: conn, bw: bufio.NewWriterSize(conn, 64<<10), next: 1,
		settings: map[http2.SettingID]uint32{}, connAvail: 65535, streamAvail: map[uint32]int64{}}
	c.fr = http2.NewFramer(c.bw, conn)
	c.fr.AllowIllegalWrites = true
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.enc = hpack.NewEncoder(&c.hbuf)
	return c
}

// start sends the client preface and an empty SETTINGS frame, and reads
// the server's preface (a SETTINGS frame first, RFC 9113 §3.4) up to its
// acknowledgement of ours, acknowledging the server's. Any frame but
// SETTINGS, WINDOW_UPDATE and PING meanwhile fails the test.
func (c *h2Client) start() {
	c.t.Helper()
	_, _ = io.WriteString(c.bw, http2.ClientPreface)
	_ = c.fr.WriteSettings()
	c.flush()
	var got, acked bool
	for n := 0; !got || !acked; n++ {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("reading the server's preface: %v", err)
		}
		if sf, ok := f.(*http2.SettingsFrame); n == 0 && (!ok || sf.IsAck()) {
			c.t.Fatalf("the server's first frame is %v, want SETTINGS", f.Header())
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if f.IsAck() {
				acked = true
				continue
			}
			got = true
			_ = f.ForeachSetting(func(s http2.Setting) error { c.settings[s.ID] = s.Val; return nil })
			_ = c.fr.WriteSettingsAck()
			c.flush()
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				c.connAvail += int64(f.Increment)
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				_ = c.fr.WritePing(true, f.Data)
				c.flush()
			}
		default:
			c.t.Fatalf("the server sent %v before the SETTINGS exchange ended", f)
		}
	}
}

// close closes the connection (see dialH2).
func (c *h2Client) close() { c.conn.NetConn().Close() }

// setting returns the server's value for id, or the protocol's default.
func (c *h2Client) setting(id http2.SettingID, def uint32) uint32 {
	if v, ok := c.settings[id]; ok {
		return v
	}
	return def
}

// stream returns the next client stream id.
func (c *h2Client) stream() uint32 {
	id := c.next
	c.next += 2
	return id
}

func (c *h2Client) flush() {
	c.t.Helper()
	if err := c.bw.Flush(); err != nil {
		c.t.Fatalf("writing frames: %v", err)
	}
}

// req returns a request's pseudo-header fields for the client's host, then
// extra, as name, value pairs.
func (c *h2Client) req(method, path string, extra ...string) []string {
	return append([]string{":method", method, ":scheme", "https", ":authority", c.host, ":path", path}, extra...)
}

// block HPACK-encodes fields (name, value pairs).
func (c *h2Client) block(fields ...string) []byte {
	c.hbuf.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		_ = c.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return bytes.Clone(c.hbuf.Bytes())
}

// headers writes a HEADERS frame for stream id, and CONTINUATION frames
// for what does not fit in h2MinFrame.
func (c *h2Client) headers(id uint32, endStream bool, fields ...string) error {
	block := c.block(fields...)
	first := block[:min(len(block), h2MinFrame)]
	rest := block[len(first):]
	err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first, EndStream: endStream, EndHeaders: len(rest) == 0})
	for err == nil && len(rest) > 0 {
		n := min(len(rest), h2MinFrame)
		err = c.fr.WriteContinuation(id, n == len(rest), rest[:n])
		rest = rest[n:]
	}
	return err
}

// data writes n bytes of DATA on stream id, in frames of h2MinFrame.
func (c *h2Client) data(id uint32, n int64, endStream bool) {
	c.t.Helper()
	chunk := make([]byte, h2MinFrame)
	for n > 0 {
		k := min(n, int64(len(chunk)))
		n -= k
		if err := c.fr.WriteData(id, endStream && n == 0, chunk[:k]); err != nil {
			c.t.Fatal(err)
		}
	}
}

// post opens a POST stream for path; its body is to follow.
func (c *h2Client) post(path string) uint32 {
	c.t.Helper()
	id := c.stream()
	if err := c.headers(id, false, c.req("POST", path)...); err != nil {
		c.t.Fatal(err)
	}
	c.streamAvail[id] = int64(c.setting(http2.SettingInitialWindowSize, 65535))
	return id
}

// sendWindow sends on stream id as many DATA bytes as both of its
// flow-control windows allow.
func (c *h2Client) sendWindow(id uint32) {
	c.t.Helper()
	n := min(c.connAvail, c.streamAvail[id])
	c.data(id, n, false)
	c.connAvail -= n
	c.streamAvail[id] -= n
}

// syncWindows sends a PING and reads up to its acknowledgement, which the
// server sends once it has read every frame before it, adding what the
// WINDOW_UPDATEs meanwhile grant. It reports whether any did. Anything the
// server does meanwhile to a stream or the connection fails the test: the
// client has stayed within its windows.
func (c *h2Client) syncWindows() (grew bool) {
	c.t.Helper()
	payload := [8]byte{'w', 'i', 'n', 'd', 'o', 'w', 's'}
	if err := c.fr.WritePing(false, payload); err != nil {
		c.t.Fatal(err)
	}
	c.flush()
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("within the flow-control windows: %v", err)
		}
		switch f := f.(type) {
		case *http2.PingFrame:
			if f.IsAck() && f.Data == payload {
				return grew
			}
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				c.connAvail += int64(f.Increment)
			} else if _, ok := c.streamAvail[f.StreamID]; ok {
				c.streamAvail[f.StreamID] += int64(f.Increment)
			}
			grew = true
		case *http2.RSTStreamFrame, *http2.GoAwayFrame:
			c.t.Fatalf("within the flow-control windows, the edge sent %v", f)
		}
	}
}

// get sends a GET for path on a new stream and returns the answer.
func (c *h2Client) get(path string, extra ...string) h2Answer {
	c.t.Helper()
	id := c.stream()
	if err := c.headers(id, true, c.req("GET", path, extra...)...); err != nil {
		c.t.Fatal(err)
	}
	c.flush()
	return c.answer(id)
}

// h2Answer is what the server did about one stream, or to the connection.
type h2Answer struct {
	status int // the response's final :status; 0: no response
	body   []byte
	rst    *http2.ErrCode // RST_STREAM on the stream
	goAway *http2.ErrCode
	err    error // the read error that ended the answer, if one did
	ended  bool  // the stream ended (or, for stream 0, the connection)
}

// kind names the answer's first decisive part, the class a case allows:
// "status 431", "RST_STREAM PROTOCOL_ERROR", "GOAWAY FLOW_CONTROL_ERROR",
// "closed" (without GOAWAY), "no answer" (the read timed out) or
// "unreadable" (not HTTP/2 frames).
func (a h2Answer) kind() string {
	var ne net.Error
	switch {
	case a.status != 0:
		return "status " + strconv.Itoa(a.status)
	case a.rst != nil:
		return "RST_STREAM " + a.rst.String()
	case a.goAway != nil:
		return "GOAWAY " + a.goAway.String()
	case connEnded(a.err):
		return "closed"
	case errors.As(a.err, &ne) && ne.Timeout():
		return "no answer"
	}
	return "unreadable"
}

// is reports whether the answer is one of kinds; a kind without an error
// code ("RST_STREAM", "GOAWAY") allows any code.
func (a h2Answer) is(kinds ...string) bool {
	k := a.kind()
	return slices.ContainsFunc(kinds, func(want string) bool { return k == want || strings.HasPrefix(k, want+" ") })
}

func (a h2Answer) String() string {
	parts := []string{a.kind()}
	if a.status != 0 && a.rst != nil {
		parts = append(parts, "RST_STREAM "+a.rst.String())
	}
	if a.goAway != nil && (a.status != 0 || a.rst != nil) {
		parts = append(parts, "GOAWAY "+a.goAway.String())
	}
	if a.err != nil {
		parts = append(parts, "then "+a.err.Error())
	}
	return strings.Join(parts, ", ")
}

// connEnded reports whether err is the connection's end (EOF or reset),
// not a timeout or a frame that does not parse.
func connEnded(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// answer reads frames until stream id ends (END_STREAM or RST_STREAM) or
// the connection does; id 0 reads until the connection ends.
func (c *h2Client) answer(id uint32) h2Answer { return *c.answers(id)[id] }

// answers reads frames until every stream in ids has ended or the
// connection has. It answers PING and SETTINGS, as a client must.
func (c *h2Client) answers(ids ...uint32) map[uint32]*h2Answer {
	out := map[uint32]*h2Answer{}
	for _, id := range ids {
		out[id] = &h2Answer{}
	}
	open := len(ids)
	if _, ok := out[0]; ok {
		open = 1 << 30 // until the connection ends
	}
	end := func(a *h2Answer) {
		a.ended = true
		open--
	}
	for open > 0 {
		f, err := c.fr.ReadFrame()
		if err != nil {
			for _, a := range out {
				if !a.ended {
					a.err = err
				}
			}
			return out
		}
		a := out[f.Header().StreamID]
		if f.Header().StreamID == 0 || a != nil && a.ended {
			a = nil // not a stream asked for, or one already ended
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if a == nil {
				continue
			}
			if s, _ := strconv.Atoi(f.PseudoValue("status")); s >= 200 && a.status == 0 {
				a.status = s
			}
			if f.StreamEnded() {
				end(a)
			}
		case *http2.DataFrame:
			if a == nil {
				continue
			}
			a.body = append(a.body, f.Data()...)
			if f.StreamEnded() {
				end(a)
			}
		case *http2.RSTStreamFrame:
			if a == nil {
				continue
			}
			code := f.ErrCode
			a.rst = &code
			end(a)
		case *http2.GoAwayFrame:
			// It ends stream 0's answer, and the answers of streams the
			// server will not process; after a connection error (any code
			// but NO_ERROR) the client reads no further. Other streams may
			// still be answered.
			code := f.ErrCode
			for id, a := range out {
				a.goAway = &code
				if !a.ended && (id == 0 || id > f.LastStreamID || code != http2.ErrCodeNo) {
					end(a)
				}
			}
			if code != http2.ErrCodeNo {
				return out
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				_ = c.fr.WritePing(true, f.Data)
				_ = c.bw.Flush()
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = c.fr.WriteSettingsAck()
				_ = c.bw.Flush()
			}
		}
	}
	return out
}

// h2Reader reads a connection's frames in the background, for tests that
// write without waiting for answers.
type h2Reader struct {
	done    chan struct{} // closed when a read fails; err is set then
	err     error
	gone    chan struct{} // closed at the first GOAWAY; goAway is set then
	goAway  *http2.ErrCode
	probeID atomic.Uint32 // a stream whose response status goes to status
	status  chan string
	pong    chan struct{} // a PING acknowledged
}

// readInBackground starts reading c's frames in a goroutine, which ends
// when a read fails: close c to end it. c's reads are then the reader's
// alone; c's writes stay the test's.
func (c *h2Client) readInBackground() *h2Reader {
	r := &h2Reader{done: make(chan struct{}), gone: make(chan struct{}), status: make(chan string, 1), pong: make(chan struct{}, 1)}
	go func() {
		defer close(r.done)
		for {
			f, err := c.fr.ReadFrame()
			if err != nil {
				r.err = err
				return
			}
			switch f := f.(type) {
			case *http2.GoAwayFrame:
				if r.goAway == nil {
					code := f.ErrCode
					r.goAway = &code
					close(r.gone)
					// The client is done writing: a write blocked on a
					// server that stopped reading fails now.
					_ = c.conn.SetWriteDeadline(time.Now())
				}
			case *http2.PingFrame:
				if f.IsAck() {
					select {
					case r.pong <- struct{}{}:
					default:
					}
				}
			case *http2.MetaHeadersFrame:
				if f.StreamID == r.probeID.Load() {
					select {
					case r.status <- f.PseudoValue("status"):
					default:
					}
				}
			}
		}
	}()
	return r
}

// ended reports whether the server sent GOAWAY or the connection ended.
func (r *h2Reader) ended() bool {
	select {
	case <-r.done:
		return true
	case <-r.gone:
		return true
	default:
		return false
	}
}

// waitEnd waits up to d for a GOAWAY or the connection's end, and reports
// whether the edge did either.
func (r *h2Reader) waitEnd(d time.Duration) bool {
	select {
	case <-r.done:
		return connEnded(r.err)
	case <-r.gone:
		return true
	case <-time.After(d):
		return false
	}
}

// String tells how the edge ended the connection, if it did.
func (r *h2Reader) String() string {
	s := "no GOAWAY"
	select {
	case <-r.gone:
		s = "GOAWAY " + r.goAway.String()
	default:
	}
	select {
	case <-r.done:
		if connEnded(r.err) {
			s += ", then the connection ended (" + r.err.Error() + ")"
		}
	default:
	}
	return s
}

// sync sends a PING and waits for its acknowledgement, which the server
// sends once it has read every frame before it, or for the connection's
// end; false: neither within 5 s.
func (r *h2Reader) sync(c *h2Client) bool {
	if c.fr.WritePing(false, [8]byte{'s', 'y', 'n', 'c'}) != nil || c.bw.Flush() != nil {
		// The write failed: after a GOAWAY, or on a connection closing
		// (which the deadline of dialH2 bounds).
		select {
		case <-r.gone:
		case <-r.done:
		}
		return true
	}
	select {
	case <-r.pong:
	case <-r.gone:
	case <-r.done:
	case <-time.After(5 * time.Second):
		return false
	}
	return true
}

// probe sends a request with fields on a new stream of c and returns its
// response's status, or what ended the wait.
func (r *h2Reader) probe(c *h2Client, fields []string) string {
	id := c.stream()
	r.probeID.Store(id)
	if err := c.headers(id, true, fields...); err != nil {
		return err.Error()
	}
	if err := c.bw.Flush(); err != nil {
		return err.Error()
	}
	select {
	case s := <-r.status:
		return s
	case <-r.done:
		return "the connection ended: " + r.err.Error()
	case <-time.After(5 * time.Second):
		return "no answer in 5s"
	}
}
