package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RequestIDHeader carries the request id back to the client, so that a user
// reporting a failure can quote the id an operator finds in the logs.
const RequestIDHeader = "X-Request-Id"

// Metrics are the API's Prometheus collectors, shared by every dialect (the
// dialect is a label).
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates the API collectors and registers them on reg. A nil reg
// leaves them unregistered (still usable). When another dialect registered
// them on reg already, those collectors are reused: both dialects share one
// daemon registry. Any other registration failure is a programming error
// (a name clash with different labels) and panics, as MustRegister does.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_api_requests_total",
			Help: "API requests served, by dialect, method, route template and status code.",
		}, []string{"dialect", "method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portico_api_request_duration_seconds",
			Help:    "Time to serve an API request, by dialect, method and route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"dialect", "method", "route"}),
	}
	if reg == nil {
		return m
	}
	m.requests = register(reg, m.requests)
	m.duration = register(reg, m.duration)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("api: registering metrics: " + err.Error())
	}
	return c
}

// Middleware gives every request an id, logs it once it is served, and
// counts it. Route labels come from SetRoute; requests no route claimed are
// labelled "unmatched" so that scans of random paths cannot grow the series.
// Neither headers nor bodies are logged: they carry tokens and keys.
func Middleware(next http.Handler, dialect string, log *slog.Logger, m *Metrics) http.Handler {
	if m == nil {
		m = NewMetrics(nil)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{id: newRequestID(), route: "unmatched"}
		w.Header().Set(RequestIDHeader, ri.id)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(withInfo(r.Context(), ri)))

		status := sw.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http sends 200
		}
		elapsed := time.Since(start)
		method := methodLabel(r.Method)
		m.requests.WithLabelValues(dialect, method, ri.route, statusLabel(status)).Inc()
		m.duration.WithLabelValues(dialect, method, ri.route).Observe(elapsed.Seconds())
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", ri.id),
			slog.String("method", r.Method),
			slog.String("route", ri.route),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Int64("bytes", sw.bytes),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("remote_addr", r.RemoteAddr),
		)
	})
}

// newRequestID returns 16 random hex characters. Incoming ids are not
// trusted: a client-chosen id could forge or split log lines.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// methodLabel bounds the method label to the methods HTTP defines.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

func statusLabel(code int) string {
	if code < 100 || code > 999 {
		return "other"
	}
	return string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)})
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the first status written.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write counts the body bytes (an implicit 200 if no status was written).
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
