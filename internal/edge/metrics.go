package edge

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The listeners, as metric labels and access log values.
const (
	listenerHTTPS = "https"
	listenerHTTP  = "http"
)

// metrics are the edge's Prometheus series. Counters on the request and
// handshake paths are resolved once here, so that recording one is an
// atomic add, not a label lookup.
type metrics struct {
	handshakes struct {
		served, unknown, noCertificate, noSNI prometheus.Counter
	}
	// requests[listener][status class 1..5]
	requests  [2][6]prometheus.Counter
	durations [2]prometheus.Observer
	loads     *prometheus.CounterVec
	changes   prometheus.Counter
	feedErrs  prometheus.Counter
	rebuilds  prometheus.Counter
	// loopServed counts the HTTPS requests the edge's loops served
	// themselves (h1conn.go, h2conn.go); loopHandoffs the HTTP/1.1
	// connections handed to net/http.
	loopServed, loopHandoffs atomic.Int64
}

func newMetrics(reg prometheus.Registerer, e *Edge) *metrics {
	m := &metrics{}
	hs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_edge_handshakes_total",
		Help: "TLS handshakes by certificate selection result: served, unknown_name (unrecognized_name alert), no_certificate, no_sni.",
	}, []string{"result"})
	m.handshakes.served = hs.WithLabelValues("served")
	m.handshakes.unknown = hs.WithLabelValues("unknown_name")
	m.handshakes.noCertificate = hs.WithLabelValues("no_certificate")
	m.handshakes.noSNI = hs.WithLabelValues("no_sni")
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_edge_requests_total",
		Help: "Requests answered by the edge, by listener and status class.",
	}, []string{"listener", "code"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "portico_edge_request_duration_seconds",
		Help:    "Time from request headers read to response done, by listener.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"listener"})
	for i, l := range []string{listenerHTTPS, listenerHTTP} {
		for c := 1; c <= 5; c++ {
			m.requests[i][c] = reqs.WithLabelValues(l, string(rune('0'+c))+"xx")
		}
		m.durations[i] = dur.WithLabelValues(l)
	}
	m.loads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_edge_route_loads_total",
		Help: "Routes loaded from the database on demand: loaded, inactive (the index was ahead), error.",
	}, []string{"result"})
	m.changes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portico_edge_feed_changes_total", Help: "Change feed entries applied.",
	})
	m.feedErrs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portico_edge_feed_errors_total", Help: "Failed reads of the change feed (the edge keeps serving from memory).",
	})
	m.rebuilds = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portico_edge_index_loads_total", Help: "Full loads of the name index (start, or the feed fell too far behind).",
	})
	if reg != nil {
		reg.MustRegister(hs, reqs, dur, m.loads, m.changes, m.feedErrs, m.rebuilds,
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "portico_edge_loop_requests_total",
				Help: "HTTPS requests the edge's own HTTP/1.1 and HTTP/2 loops served (the rest went through net/http).",
			}, func() float64 { return float64(m.loopServed.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "portico_edge_loop_handoffs_total",
				Help: "HTTPS/1.1 connections the edge's loop handed to net/http, at a request it does not proxy itself (a body, an upgrade, an answer of the edge's own, an unusual header).",
			}, func() float64 { return float64(m.loopHandoffs.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "portico_edge_index_names", Help: "Names (exact and wildcard) the edge serves.",
			}, func() float64 {
				if ix := e.index.Load(); ix != nil {
					return float64(ix.len())
				}
				return 0
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "portico_edge_cached_routes", Help: "Hostname routes (parsed certificates) in memory.",
			}, func() float64 { return float64(e.cache.size.Load()) }),
		)
	}
	return m
}

func (m *metrics) observe(listener string, status int, d time.Duration) {
	i := 0
	if listener == listenerHTTP {
		i = 1
	}
	c := status / 100
	if c < 1 || c > 5 {
		c = 5
	}
	m.requests[i][c].Inc()
	m.durations[i].Observe(d.Seconds())
}
