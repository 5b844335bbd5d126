package edge

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/porticohq/portico/internal/store/sqlite"
)

// The tests in this file hold any HTTP/2 server of the edge to the bar that
// Go's net/http server sets (threat model E4, E5, E14). Each runs against
// Go's server (NetHTTPOnly) and against the edge's own HTTP/2 loop,
// speaking raw frames where a real client would not misbehave. What they
// expect is what RFC 9113 requires, not the bytes one implementation sends.
// The raw-frame client is in h2rawclient_test.go, h2spec's plumbing in
// h2spec_test.go.

const (
	h2Host       = "shop.customer-a.com"
	h2MaxStreams = 20 // Config.MaxConcurrentStreams in these tests
	// h2MinFrame is the SETTINGS_MAX_FRAME_SIZE every peer accepts (RFC
	// 9113 §4.2): no test frame is larger unless it means to be.
	h2MinFrame = 16 << 10
)

// forEachH2Server runs test against Go's HTTP/2 server (NetHTTPOnly) and
// against the edge's own HTTP/2 loop, in parallel: each has its own
// harness.
func forEachH2Server(t *testing.T, test func(t *testing.T, netHTTPOnly bool)) {
	for _, s := range []struct {
		name        string
		netHTTPOnly bool
	}{{"nethttp", true}, {"loop", false}} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			test(t, s.netHTTPOnly)
		})
	}
}

// newH2Harness returns a harness that serves h2Host from its origin, with
// at most h2MaxStreams streams per connection, and the origin's handler.
func newH2Harness(t *testing.T, netHTTPOnly bool, config func(*Config)) (*harness, *h2Origin) {
	t.Helper()
	h := newHarness(t, harnessOpts{quiet: true, config: func(c *Config) {
		c.NetHTTPOnly = netHTTPOnly
		c.MaxConcurrentStreams = h2MaxStreams
		if config != nil {
			config(c)
		}
	}})
	h.hostname(t, h.zone(t, "saas-a.com"), h2Host, nil)
	o := &h2Origin{}
	h.origin.setHandler(o.serve)
	return h, o
}

// h2Origin answers the origin's requests: a path under /hold waits until
// the gate in place when it arrived opens, or until the edge gives up on
// it, counting how many wait at once; any other path gets 200 at once,
// echoing the X-After header.
type h2Origin struct {
	gate                  atomic.Pointer[chan struct{}]
	inflight, peak, total atomic.Int64
}

func (o *h2Origin) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/hold") {
		_, _ = io.WriteString(w, "ok "+r.Header.Get("X-After"))
		return
	}
	o.total.Add(1)
	n := o.inflight.Add(1)
	defer o.inflight.Add(-1)
	for p := o.peak.Load(); n > p && !o.peak.CompareAndSwap(p, n); p = o.peak.Load() {
	}
	var gate chan struct{}
	if g := o.gate.Load(); g != nil {
		gate = *g
	}
	select {
	case <-r.Context().Done():
	case <-gate:
	}
	_, _ = io.WriteString(w, "released")
}

// hold makes the requests to /hold that arrive from now on wait, until
// release (or the test's end) opens the gate. It resets the peak.
func (o *h2Origin) hold(t *testing.T) (release func()) {
	gate := make(chan struct{})
	o.gate.Store(&gate)
	o.peak.Store(0)
	release = sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	return release
}

// TestHTTP2RapidReset (threat model E4, and E5's MadeYouReset): one
// connection opens streams and has them reset at once, as fast as it can,
// while the origin holds every request it gets. Resetting a stream frees
// its slot in the client's count of open streams, so a server that starts
// a handler per stream without bounding running handlers lets one
// connection run unbounded work (CVE-2023-44487). The origin must never see
// more concurrent requests than MaxConcurrentStreams, the edge may end the
// connection (Go sends GOAWAY ENHANCE_YOUR_CALM once client resets outrun
// its handlers; it keeps the connection under resets it sends itself) or
// keep serving it, and it serves a normal request afterwards.
//
// Slack: when a stream is reset, the edge cancels its origin request and
// may start the next one as soon as the cancel returns; the origin counts
// the first one as running until it notices the closed connection, a
// moment later. So the origin may briefly see a few more requests than the
// edge runs; h2ResetSlack bounds that, far below what an unbounded server
// reaches (thousands: one per reset stream).
func TestHTTP2RapidReset(t *testing.T) {
	const (
		maxStreams   = 20_000
		maxTime      = 5 * time.Second
		batch        = 250
		h2ResetSlack = h2MaxStreams / 4
	)
	cases := []struct {
		name  string
		reset func(c *h2Client, id uint32) error
	}{
		// CVE-2023-44487.
		{"client resets", func(c *h2Client, id uint32) error { return c.fr.WriteRSTStream(id, http2.ErrCodeCancel) }},
		// CVE-2025-8671: a zero WINDOW_UPDATE is a stream error (RFC 9113
		// §6.9) that makes the server reset the stream itself.
		{"server made to reset", func(c *h2Client, id uint32) error { return c.fr.WriteWindowUpdate(id, 0) }},
	}
	forEachH2Server(t, func(t *testing.T, netHTTPOnly bool) {
		h, o := newH2Harness(t, netHTTPOnly, nil)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				release := o.hold(t)
				defer release()
				c := dialH2(t, h, h2Host)
				c.start()
				r := c.readInBackground()
				// Batches of streams, each followed by a PING whose
				// acknowledgement says the edge has read the batch: the
				// resets come as fast as the edge takes them, and the time
				// bound holds for the edge's work too (under -race, Go's
				// server takes seconds for 20,000 streams).
				start, deadline := time.Now(), time.Now().Add(maxTime)
				var n int
				var err error
				for n < maxStreams && err == nil && !r.ended() && time.Now().Before(deadline) {
					for i := 0; i < batch && err == nil; i++ {
						id := c.stream()
						if err = c.headers(id, true, c.req("GET", "/hold/flood")...); err == nil {
							err = tc.reset(c, id)
						}
						n++
					}
					if err = errors.Join(err, c.bw.Flush()); err == nil && !r.sync(c) {
						t.Fatalf("the edge neither answered a PING nor ended the connection within 5 s, after %d streams", n)
					}
				}
				t.Logf("%d streams in %v; write error: %v; origin: %d requests, at most %d at once",
					n, time.Since(start).Round(time.Millisecond), err, o.total.Load(), o.peak.Load())
				if p := o.peak.Load(); p > h2MaxStreams+h2ResetSlack {
					t.Errorf("the origin saw %d requests at once from one connection, want at most %d (+%d)", p, h2MaxStreams, h2ResetSlack)
				}
				if err == nil && !r.ended() {
					// The edge kept the connection: it must still serve it.
					if got := r.probe(c, c.req("GET", "/ok")); got != "200" {
						t.Errorf("the connection the edge kept open answered a request with %q, want 200", got)
					}
				}
				t.Logf("the edge's answer: %v", r)
				c.close()
				<-r.done
				normalRequest(t, h)
			})
		}
	})
}

// TestHTTP2ContinuationFlood (threat model E5, CVE-2023-45288): a HEADERS
// frame without END_HEADERS followed by CONTINUATION frames that never
// end. The server must decode a header block to keep its HPACK state, but
// need not buffer past MaxHeaderBytes: it must end the connection long
// before the client stops (at 10 MiB), and keep serving others.
//
// Not a case: empty CONTINUATION frames. They grow no buffer, and neither
// Go's server nor the edge's own ends such a connection before IdleTimeout.
func TestHTTP2ContinuationFlood(t *testing.T) {
	const maxSent = 10 << 20
	// fields: literal fields, never indexed, so that each frame decodes the
	// same whatever came before.
	var fields bytes.Buffer
	enc := hpack.NewEncoder(&fields)
	for fields.Len() < h2MinFrame-1100 {
		_ = enc.WriteField(hpack.HeaderField{Name: "x-flood", Value: strings.Repeat("a", 1000), Sensitive: true})
	}
	cases := []struct {
		name  string
		start []byte // after the request's own fields, in the HEADERS frame
		chunk []byte // each CONTINUATION frame's fragment
	}{
		{"header fields", nil, fields.Bytes()},
		// A literal (never indexed, new name "x-flood") whose value claims
		// 1 GiB, then its bytes.
		{"one endless value", hpackInt(append([]byte{0x10, 7}, "x-flood"...), 7, 1<<30), bytes.Repeat([]byte("a"), h2MinFrame)},
		// Empty frames: nothing to decode, so no header list limit trips.
		// Go's server reads them until its idle timeout; the loop bounds
		// the bytes of one header block (h2Input).
		{"empty frames", nil, []byte{}},
	}
	forEachH2Server(t, func(t *testing.T, netHTTPOnly bool) {
		h, _ := newH2Harness(t, netHTTPOnly, nil)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if netHTTPOnly && len(tc.chunk) == 0 {
					t.Skip("Go's HTTP/2 server reads empty CONTINUATION frames until its idle timeout")
				}
				before := h.origin.count.Load()
				c := dialH2(t, h, h2Host)
				c.start()
				r := c.readInBackground()
				id := c.stream()
				frag := append(c.block(c.req("GET", "/flood")...), tc.start...)
				err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: frag, EndStream: true})
				sent := len(frag)
				for err == nil && sent < maxSent && !r.ended() {
					if err = c.fr.WriteContinuation(id, false, tc.chunk); err == nil {
						err = c.bw.Flush()
					}
					sent += 9 + len(tc.chunk) // with the frame header
				}
				if !r.waitEnd(5 * time.Second) {
					t.Errorf("the edge neither sent GOAWAY nor ended the connection within 5 s of the flood's end")
				}
				t.Logf("sent %d bytes of one header block; write error: %v; the edge's answer: %v", sent, err, r)
				if sent >= maxSent {
					t.Errorf("the edge took %d bytes of one header block without ending the connection", sent)
				}
				c.close()
				<-r.done
				if n := h.origin.count.Load() - before; n != 0 {
					t.Errorf("the origin got %d requests", n)
				}
				normalRequest(t, h)
			})
		}
	})
}

// TestHTTP2Limits sends, each on a new connection, what RFC 9113 tells a
// server to refuse, and checks the class of the edge's answer: the first
// allowed answer of each case is what Go's server answers today, the others
// what the RFC also allows. A request the edge refuses never reaches the
// origin, and after a stream error the connection still serves requests
// (threat model E14 and neighbours of E4 and E5).
func TestHTTP2Limits(t *testing.T) {
	const (
		idle      = 300 * time.Millisecond
		maxHeader = 16 << 10
		// over is a header size well over maxHeader, and over Go's
		// allowance for framing (SETTINGS_MAX_HEADER_LIST_SIZE is
		// MaxHeaderBytes + 320).
		over = maxHeader + maxHeader/4
	)
	forEachH2Server(t, func(t *testing.T, netHTTPOnly bool) {
		h, o := newH2Harness(t, netHTTPOnly, func(c *Config) { c.IdleTimeout, c.MaxHeaderBytes = idle, maxHeader })
		h.hostname(t, h.zone(t, "saas-b.com"), h2UploadHost, withOrigin("https://"+stalledOrigin(t), ""))
		// malformed: what RFC 9113 allows for a malformed request.
		malformed := []string{"status 400", "RST_STREAM PROTOCOL_ERROR", "GOAWAY PROTOCOL_ERROR"}
		connectionSpecific := func(name, value string) func(t *testing.T, c *h2Client) h2Answer {
			return func(t *testing.T, c *h2Client) h2Answer {
				c.start()
				return c.get("/ok", name, value)
			}
		}
		cases := []struct {
			name string
			// allowed are the answers RFC 9113 allows (h2Answer.is).
			allowed []string
			// reach is how many requests reach the origin.
			reach int64
			// upload: connect to h2UploadHost, not h2Host.
			upload bool
			run    func(t *testing.T, c *h2Client) h2Answer
		}{
			// RFC 9113 §10.5.1: a server MAY answer 431, or reset the
			// stream or the connection; it must still decode the block to
			// keep HPACK state (the follow-up request reuses x-after from
			// the dynamic table).
			{"header list over MaxHeaderBytes", []string{"status 431", "RST_STREAM", "GOAWAY"}, 0, false, func(t *testing.T, c *h2Client) h2Answer {
				c.start()
				fields := c.req("GET", "/big", "x-before", "1")
				for size := 0; size <= over; size += 32 + 10 + 500 {
					fields = append(fields, "x-fill-"+strconv.Itoa(size), strings.Repeat("f", 500))
				}
				id := c.stream()
				if err := c.headers(id, true, append(fields, "x-after", "hpack")...); err != nil {
					t.Fatal(err)
				}
				c.flush()
				return c.answer(id)
			}},
			// Go's HPACK decoder refuses a string longer than the whole
			// limit, and ends the connection with COMPRESSION_ERROR.
			{"one header field over MaxHeaderBytes", []string{"GOAWAY", "status 431", "RST_STREAM"}, 0, false, func(t *testing.T, c *h2Client) h2Answer {
				c.start()
				return c.get("/big", "x-big", strings.Repeat("b", over), "x-after", "hpack")
			}},
			// RFC 9113 §5.1.2: a HEADERS frame past the advertised limit
			// is a stream error PROTOCOL_ERROR or REFUSED_STREAM.
			{"more streams than MaxConcurrentStreams", []string{"RST_STREAM PROTOCOL_ERROR", "RST_STREAM REFUSED_STREAM"}, h2MaxStreams, false,
				func(t *testing.T, c *h2Client) h2Answer {
					c.start()
					if got := c.setting(http2.SettingMaxConcurrentStreams, 0); got != h2MaxStreams {
						t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS %d, want %d", got, h2MaxStreams)
					}
					release := o.hold(t)
					total := o.total.Load()
					var ids []uint32
					for range h2MaxStreams + 1 {
						id := c.stream()
						ids = append(ids, id)
						if err := c.headers(id, true, c.req("GET", "/hold/"+strconv.Itoa(int(id)))...); err != nil {
							t.Fatal(err)
						}
					}
					c.flush()
					extra := ids[h2MaxStreams]
					a := c.answer(extra)
					h.eventually(t, 5*time.Second, "holding every allowed stream's request", func() bool { return o.inflight.Load() == h2MaxStreams })
					release()
					for id, a := range c.answers(ids[:h2MaxStreams]...) {
						if a.status != http.StatusOK {
							t.Errorf("stream %d, within the limit: %v", id, a)
						}
					}
					if n := o.total.Load() - total; n != h2MaxStreams || o.peak.Load() != h2MaxStreams {
						t.Errorf("the origin got %d requests, at most %d at once, want %d", n, o.peak.Load(), h2MaxStreams)
					}
					return a
				}},
			// RFC 9113 §6.9.1: a sender must not exceed either window; §6.9:
			// the receiver MAY answer with a stream error or a connection
			// error of type FLOW_CONTROL_ERROR (Go resets the stream, for
			// either window). The upload host's origin never finishes its
			// handshake, so the edge cannot pass a body on (and give its
			// window back): the windows it granted are all there is.
			{"DATA beyond the stream window", []string{"RST_STREAM FLOW_CONTROL_ERROR", "GOAWAY FLOW_CONTROL_ERROR"}, 0, true, func(t *testing.T, c *h2Client) h2Answer {
				c.start()
				id := c.post("/upload")
				t.Logf("windows: %d on the stream, %d on the connection", c.streamAvail[id], c.connAvail)
				for i := 0; ; i++ {
					c.sendWindow(id)
					if !c.syncWindows() {
						break
					}
					if i == 64 {
						t.Fatal("the edge keeps granting window for a body it cannot pass on")
					}
				}
				c.data(id, 1, false)
				c.flush()
				return c.answer(id)
			}},
			{"DATA beyond the connection window", []string{"RST_STREAM FLOW_CONTROL_ERROR", "GOAWAY FLOW_CONTROL_ERROR"}, 0, true, func(t *testing.T, c *h2Client) h2Answer {
				c.start()
				for i := 0; c.connAvail > 0; i++ {
					if i == h2MaxStreams-1 {
						t.Fatal("the edge keeps granting window for bodies it cannot pass on")
					}
					c.sendWindow(c.post("/upload"))
					c.syncWindows()
				}
				id := c.post("/upload") // its own window is whole
				c.data(id, 1, false)
				c.flush()
				return c.answer(id)
			}},
			// RFC 9113 §6.9.1: a window over 2^31-1 is a connection error
			// FLOW_CONTROL_ERROR for the connection's, a stream error for
			// a stream's.
			{"WINDOW_UPDATE overflowing the connection window", []string{"GOAWAY FLOW_CONTROL_ERROR"}, 0, false, func(t *testing.T, c *h2Client) h2Answer {
				c.start()
				_ = c.fr.WriteWindowUpdate(0, 1<<31-1)
				c.flush()
				return c.answer(0)
			}},
			{"WINDOW_UPDATE overflowing a stream window", []string{"RST_STREAM FLOW_CONTROL_ERROR"}, 1, false, func(t *testing.T, c *h2Client) h2Answer {
				c.start()
				release := o.hold(t)
				defer release()
				inflight := o.inflight.Load()
				id := c.stream()
				if err := c.headers(id, true, c.req("GET", "/hold/window")...); err != nil {
					t.Fatal(err)
				}
				c.flush()
				h.eventually(t, 5*time.Second, "holding the request", func() bool { return o.inflight.Load() > inflight })
				_ = c.fr.WriteWindowUpdate(id, 1<<31-1)
				c.flush()
				return c.answer(id)
			}},
			// RFC 9113 §5.1.1: a new stream id not above every earlier one
			// is a connection error PROTOCOL_ERROR. (Stream 5 names a host
			// the edge does not serve: answered or not, it never reaches
			// the origin.)
			{"stream id going backwards", []string{"GOAWAY PROTOCOL_ERROR"}, 0, false, func(t *testing.T, c *h2Client) h2Answer {
				c.start()
				fields := c.req("GET", "/")
				fields[5] = "unknown.example.net" // :authority
				if err := c.headers(5, true, fields...); err != nil {
					t.Fatal(err)
				}
				if err := c.headers(3, true, c.req("GET", "/ok")...); err != nil {
					t.Fatal(err)
				}
				c.flush()
				return *c.answers(5, 3)[3]
			}},
			// RFC 9113 §8.2.2: connection-specific fields (and TE other
			// than "trailers") make a request malformed; §8.1.1: a
			// malformed request is a stream error PROTOCOL_ERROR, which a
			// server MAY precede with a response, and is never forwarded.
			{"connection: keep-alive", malformed, 0, false, connectionSpecific("connection", "keep-alive")},
			{"proxy-connection", malformed, 0, false, connectionSpecific("proxy-connection", "keep-alive")},
			{"keep-alive", malformed, 0, false, connectionSpecific("keep-alive", "timeout=5")},
			{"transfer-encoding: chunked", malformed, 0, false, connectionSpecific("transfer-encoding", "chunked")},
			{"upgrade", malformed, 0, false, connectionSpecific("upgrade", "websocket")},
			{"te: gzip", malformed, 0, false, connectionSpecific("te", "gzip")},
			{"te: trailers is allowed", []string{"status 200"}, 1, false, connectionSpecific("te", "trailers")},
			// RFC 9113 §3.4: an invalid preface is a connection error
			// PROTOCOL_ERROR, whose GOAWAY may be omitted. An HTTP/1.1
			// request on a connection that chose h2 gets no HTTP/1.1
			// answer.
			{"not the HTTP/2 preface", []string{"closed", "GOAWAY PROTOCOL_ERROR"}, 0, false, func(t *testing.T, c *h2Client) h2Answer {
				_, _ = io.WriteString(c.conn, "GET / HTTP/1.1\r\nHost: "+h2Host+"\r\n\r\n")
				return c.answer(0)
			}},
			// An idle connection (no stream) is closed after IdleTimeout;
			// a GOAWAY, if any, says NO_ERROR (RFC 9113 §6.8).
			{"idle connection", []string{"GOAWAY NO_ERROR", "closed"}, 0, false, func(t *testing.T, c *h2Client) h2Answer {
				c.start()
				a := c.answer(0)
				if d := time.Since(c.dialed); a.is("GOAWAY NO_ERROR", "closed") && d < idle {
					t.Errorf("closed %v after the dial, before IdleTimeout (%v)", d, idle)
				}
				return a
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				host := h2Host
				if tc.upload {
					host = h2UploadHost
				}
				before := h.origin.count.Load()
				c := dialH2(t, h, host)
				a := tc.run(t, c)
				t.Logf("the edge's answer: %v", a)
				if !a.is(tc.allowed...) {
					t.Errorf("the edge's answer: %v; RFC 9113 allows: %s", a, strings.Join(tc.allowed, "; "))
				}
				if n := h.origin.count.Load() - before; n != tc.reach {
					t.Errorf("%d requests reached the origin, want %d", n, tc.reach)
				}
				if a.goAway != nil || a.err != nil || tc.upload {
					return
				}
				// A stream error leaves the connection (and its HPACK
				// state) serving.
				if next := c.get("/ok", "x-after", "hpack"); next.status != http.StatusOK || string(next.body) != "ok hpack" {
					t.Errorf("the next request on the connection: %v %q", next, next.body)
				}
			})
		}
	})
}

// h2UploadHost is served from stalledOrigin in TestHTTP2Limits.
const h2UploadHost = "upload.customer-b.com"

// stalledOrigin listens on loopback and accepts connections, but never
// says a word: as an HTTPS origin, it holds the edge in the TLS handshake,
// so that the edge never reads a request body it would pass on. The test's
// end closes it.
func stalledOrigin(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// hpackInt appends v as an HPACK integer with an n-bit prefix (RFC 7541
// §5.1) in a new byte.
func hpackInt(b []byte, n uint, v uint64) []byte {
	max := uint64(1)<<n - 1
	if v < max {
		return append(b, byte(v))
	}
	b = append(b, byte(max))
	for v -= max; v >= 128; v >>= 7 {
		b = append(b, byte(v&0x7f|0x80))
	}
	return append(b, byte(v))
}

// normalRequest checks that the edge still serves an HTTP/2 request from a
// well-behaved client.
func normalRequest(t *testing.T, h *harness) {
	t.Helper()
	c := h.newClient(h2Host, true)
	defer c.CloseIdleConnections()
	resp, body := get(t, c, "https://"+h2Host+"/after", "X-After", "normal")
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 || body != "ok normal" {
		t.Errorf("a normal request afterwards: %s %d %q", resp.Proto, resp.StatusCode, body)
	}
}

// h2specVersion is the h2spec that TestHTTP2Conformance runs (scripts/
// test.sh installs it). It is the newest the Go module proxy serves: the
// later tags (v2.3.0 to v2.6.0) have a go.mod without the /v2 suffix, so
// `go install ...@v2.6.0` fails.
const h2specVersion = "v2.2.1+incompatible"

// h2specAllowed are the h2spec cases (spec/section/number, as h2spec numbers
// them) the edge need not pass: Go's server fails them today, for the
// reasons given, none a weakness. They are not run: h2spec waits out its
// whole timeout (-o) on each.
var h2specAllowed = map[string]string{
	// h2spec: "MUST respond with a connection error of type
	// FRAME_SIZE_ERROR"; expected GOAWAY FRAME_SIZE_ERROR or a close, got
	// the response's DATA frame. h2spec sends a HEADERS frame of about
	// 20,000 bytes, assuming the default SETTINGS_MAX_FRAME_SIZE (16,384),
	// but Go's server advertises 1 MiB: the frame is within it.
	"http2/4.2/3": "Sends a large size HEADERS frame that exceeds the SETTINGS_MAX_FRAME_SIZE",
	// h2spec: "MUST process the values in the settings in the order they
	// apper"; expected a SETTINGS ACK, got "Connection closed". Go refuses
	// a SETTINGS frame that repeats a setting with a connection error
	// PROTOCOL_ERROR, on purpose ("This isn't actually in the spec, but
	// hang up on suspiciously large settings frames or those with
	// duplicate entries", x/net/http2/server.go), against RFC 9113 §6.5.3.
	"http2/6.5.3/1": "Sends multiple values of SETTINGS_INITIAL_WINDOW_SIZE",
	// h2spec: "MUST respond with a stream error of type PROTOCOL_ERROR";
	// expected RST_STREAM or GOAWAY PROTOCOL_ERROR or a close, got a DATA
	// frame: Go answers 400 with END_STREAM. h2spec follows RFC 7540; RFC
	// 9113 §8.1.1 lets a server send a response before closing the stream.
	// TestHTTP2Limits checks that these requests never reach the origin.
	"http2/8.1.2.2/1": "Sends a HEADERS frame that contains the connection-specific header field",
	"http2/8.1.2.2/2": `Sends a HEADERS frame that contains the TE header field with any value other than "trailers"`,
}

// TestHTTP2Conformance runs h2spec, the HTTP/2 conformance suite, against
// the edge's HTTPS listener, and fails on any failed case outside
// h2specAllowed. h2spec dials 127.0.0.1 and cannot set SNI: the edge
// presents its default certificate, and routes by the :authority,
// 127.0.0.1:port, which aliasStore makes a name of h2Host's. So the
// requests reach the origin, which reads each body before answering: were
// they answered at once (421 for an unknown host), the response could
// end a stream before h2spec's DATA or WINDOW_UPDATE frames reach it, and
// the cases that expect a stream error there would pass or fail by luck.
//
// Without h2spec the test is skipped, or fails when CI=true.
func TestHTTP2Conformance(t *testing.T) {
	bin := findH2spec(t)
	ids, names := h2specCases(t, bin)
	for id, name := range h2specAllowed {
		if names[id] != name {
			t.Errorf("allowed case %s is %q in h2spec, want %q", id, names[id], name)
		}
	}
	forEachH2Server(t, func(t *testing.T, netHTTPOnly bool) {
		// The allowances are Go's server's; the edge's own loop passes
		// every case.
		var run []string
		for _, id := range ids {
			if _, ok := h2specAllowed[id]; !ok || !netHTTPOnly {
				run = append(run, id)
			}
		}
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "portico.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		cert := selfSigned(t, "edge.invalid")
		h := newHarness(t, harnessOpts{quiet: true, store: aliasStore{Store: st, alias: "127.0.0.1", target: h2Host},
			config: func(c *Config) {
				c.NetHTTPOnly = netHTTPOnly
				c.MaxConcurrentStreams = h2MaxStreams
				c.DefaultCertificate = &cert
			}})
		h.hostname(t, h.zone(t, "saas-a.com"), h2Host, nil)
		// A small body, but more than the 5 bytes below which h2spec skips
		// its flow-control cases.
		const body = "h2spec: the origin's answer\n"
		h.origin.setHandler(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
		// As h2spec connects: no SNI, any certificate.
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
		defer c.CloseIdleConnections()
		if resp, got := get(t, c, "https://"+h.edge.HTTPSAddr()+"/"); resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 || got != body {
			t.Fatalf("a request as h2spec sends it: %s %d %q, want the origin's answer", resp.Proto, resp.StatusCode, got)
		}
		_, port, _ := net.SplitHostPort(h.edge.HTTPSAddr())
		report := filepath.Join(t.TempDir(), "h2spec.xml")
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		args := append([]string{"-h", "127.0.0.1", "-p", port, "-t", "-k", "-o", "5", "-j", report}, run...)
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("running h2spec: %v\n%s", err, out)
		}
		results := readH2specReport(t, report, ids, names)
		var failed []string
		for _, id := range run {
			r, ok := results[id]
			switch {
			case !ok:
				failed = append(failed, id+" "+names[id]+": no result")
			case r != "":
				failed = append(failed, id+" "+names[id]+":\n"+r)
			}
		}
		if len(failed) > 0 || (err != nil) != (len(failed) > 0) {
			t.Errorf("h2spec (exit: %v): %d of %d cases failed:\n%s\n\n%s", err, len(failed), len(run), strings.Join(failed, "\n"), out)
		}
	})
}
