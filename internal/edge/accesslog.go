package edge

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// responseLog wraps the ResponseWriter of every request: it records status
// and bytes for the access log and metrics, keeps the write deadline moving
// while the response makes progress (see Config.WriteTimeout), and drops
// 103 Early Hints for hostnames that did not turn them on. Instances are
// pooled: one allocation-free wrapper per request.
type responseLog struct {
	http.ResponseWriter
	e        *Edge
	req      *http.Request
	listener string
	route    *route
	start    time.Time
	status   int
	bytes    int64
	// deadline is the underlying writer's SetWriteDeadline (HTTP/1 and
	// HTTP/2 writers both have it); extended is when it was last moved
	// (zero before the first write).
	deadline interface{ SetWriteDeadline(time.Time) error }
	extended time.Time
}

var responseLogs = sync.Pool{New: func() any { return new(responseLog) }}

func (e *Edge) newResponseLog(w http.ResponseWriter, r *http.Request, listener string) *responseLog {
	rl := responseLogs.Get().(*responseLog)
	now := time.Now()
	*rl = responseLog{ResponseWriter: w, e: e, req: r, listener: listener, start: now}
	if d, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok {
		// Until the first write, the origin may take its full response
		// timeout; the first write must then be possible for WriteTimeout.
		rl.deadline = d
		_ = d.SetWriteDeadline(now.Add(e.cfg.OriginResponseTimeout + e.cfg.WriteTimeout))
	}
	return rl
}

// WriteHeader records the status. Informational responses pass through
// (ReverseProxy forwards the origin's 1xx) except 103 Early Hints for a
// hostname whose early_hints setting is not on.
func (w *responseLog) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		if code == http.StatusEarlyHints && (w.route == nil || !w.route.earlyHints) {
			return
		}
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.status == 0 {
		w.status = code
	}
	// A proxy passes the origin's headers through: without this, net/http
	// would sniff a body without a Content-Type and add one of its guess.
	if h := w.ResponseWriter.Header(); h["Content-Type"] == nil {
		h["Content-Type"] = nil
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write counts bytes and, at most four times per WriteTimeout, moves the
// write deadline to WriteTimeout from now: a visitor that keeps reading
// keeps the response alive, one that stops is cut after WriteTimeout.
func (w *responseLog) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.deadline != nil {
		if now := time.Now(); w.extended.IsZero() || now.Sub(w.extended) > w.e.cfg.WriteTimeout/4 {
			_ = w.deadline.SetWriteDeadline(now.Add(w.e.cfg.WriteTimeout))
			w.extended = now
		}
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and the deadlines.
func (w *responseLog) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush is here because ReverseProxy asserts http.Flusher for streams.
func (w *responseLog) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

// Hijack serves protocol upgrades (WebSocket over HTTP/1.1). The upgraded
// connection belongs to the two peers from then on: the request's
// deadlines are lifted, or a long-lived socket would die at WriteTimeout.
func (w *responseLog) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		_ = conn.SetDeadline(time.Time{})
		w.status = http.StatusSwitchingProtocols
		w.deadline = nil
	}
	return conn, brw, err
}

// finish records the request in metrics and the access log and returns the
// wrapper to its pool. It runs deferred, so it also records requests that
// ReverseProxy aborted with http.ErrAbortHandler.
func (e *Edge) finish(w *responseLog) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	d := time.Since(w.start)
	e.m.observe(w.listener, w.status, d)
	if e.cfg.AccessLog != nil {
		r := w.req
		e.writeAccess(&accessRecord{
			listener: w.listener, remote: r.RemoteAddr, method: r.Method, host: r.Host,
			uri: r.RequestURI, proto: r.Proto, userAgent: r.UserAgent(),
			status: w.status, bytes: w.bytes, route: w.route,
		}, d)
	}
	*w = responseLog{}
	responseLogs.Put(w)
}

// accessRecord is what the access log says of one request, from net/http
// or from the HTTP/1.1 loop.
type accessRecord struct {
	listener, remote, method, host, uri, proto, userAgent string
	status                                                int
	bytes                                                 int64
	route                                                 *route
}

// writeAccess writes one record in the format of the configured slog
// handler (JSON in production): the request line, status, bytes and
// duration, the visitor's address, and the hostname and zone that served
// it.
func (e *Edge) writeAccess(a *accessRecord, d time.Duration) {
	zone, id := "", ""
	if a.route != nil {
		zone, id = a.route.zoneID, a.route.hostnameID
	}
	e.cfg.AccessLog.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("listener", a.listener),
		slog.String("remote", a.remote),
		slog.String("method", a.method),
		slog.String("host", a.host),
		slog.String("uri", a.uri),
		slog.String("proto", a.proto),
		slog.Int("status", a.status),
		slog.Int64("bytes", a.bytes),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("zone_id", zone),
		slog.String("hostname_id", id),
		slog.String("user_agent", a.userAgent),
	)
}
