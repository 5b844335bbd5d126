package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store"
)

// Edge serves custom hostnames to visitors: TLS termination with the
// hostname's certificate, routing to its origin, HTTP-01 and ownership
// answers on plain HTTP. It is safe for concurrent use.
type Edge struct {
	cfg       Config
	src       store.EdgeSource
	box       *secrets.Box
	clk       clock.Clock
	log       *slog.Logger
	errLog    *log.Logger
	m         *metrics
	ownership OwnershipSource

	index atomic.Pointer[index] // nil until the first load
	ready chan struct{}         // closed after the first load
	cache *routeCache

	loadMu sync.Mutex
	loads  map[routeKey]*loadCall

	transports *transports
	buffers    *bufferPool
	noSNI      *tls.Config
	reject     *tls.Config
	tlsBase    *tls.Config // the HTTPS listener's
	metaLower  string      // MetadataHeader, lowercase
	dates      dateCache
	h2workers  *h2Workers

	pendingLookups   *tokenBucket
	ownershipLookups *tokenBucket
	checks           *keyLimiter

	wake chan struct{}
	feed feed // the feed goroutine's

	runCtx   context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	httpsLn  net.Listener
	httpLn   net.Listener
	httpsSrv *http.Server
	httpSrv  *http.Server
	h1       *h1Server // nil with NetHTTPOnly
}

// New returns an Edge that serves what src holds. box opens the
// certificates' private keys; clk decides certificate expiry; log receives
// operational messages; reg, when not nil, receives the edge's metrics.
// Start brings it up.
func New(cfg Config, src store.EdgeSource, box *secrets.Box, clk clock.Clock, log *slog.Logger, reg prometheus.Registerer) *Edge {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	e := &Edge{
		cfg: cfg, src: src, box: box, clk: clk, log: log,
		errLog:           slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ownership:        cfg.Ownership,
		ready:            make(chan struct{}),
		cache:            newRouteCache(cfg.CacheSize),
		loads:            map[routeKey]*loadCall{},
		buffers:          newBufferPool(64),
		pendingLookups:   newTokenBucket(cfg.PendingLookupsPerSecond),
		ownershipLookups: newTokenBucket(50),
		checks:           newKeyLimiter(checkInterval, 10_000),
		wake:             make(chan struct{}, 1),
		metaLower:        strings.ToLower(cfg.MetadataHeader),
	}
	if e.ownership == nil {
		e.ownership = storeOwnership{src}
	}
	e.transports = newTransports(e)
	e.h2workers = newH2Workers()
	e.m = newMetrics(reg, e)
	e.runCtx, e.cancel = context.WithCancel(context.Background())
	return e
}

// Start binds the listeners, starts serving, and starts loading the index
// of served names in the background, so that it returns in milliseconds
// however many hostnames are stored. Until the index is loaded (see Ready),
// handshakes wait for it, at most Config.LoadWait.
func (e *Edge) Start(ctx context.Context) error {
	var lc net.ListenConfig
	if e.cfg.HTTPSAddr != "" {
		ln, err := lc.Listen(ctx, "tcp", e.cfg.HTTPSAddr)
		if err != nil {
			return fmt.Errorf("listening for HTTPS on %s: %w", e.cfg.HTTPSAddr, err)
		}
		e.tlsBase = e.baseTLSConfig()
		e.httpsSrv = e.newServer(http.HandlerFunc(e.serveHTTPS))
		if e.cfg.NetHTTPOnly {
			e.httpsLn = tls.NewListener(ln, e.tlsBase)
		} else {
			e.httpsSrv.ConnContext = connContext
			e.h1 = newH1Server(e, ln, e.httpsSrv)
			e.httpsLn = e.h1.handoff
		}
	}
	if e.cfg.HTTPAddr != "" {
		ln, err := lc.Listen(ctx, "tcp", e.cfg.HTTPAddr)
		if err != nil {
			if e.httpsLn != nil {
				e.httpsLn.Close()
			}
			return fmt.Errorf("listening for HTTP on %s: %w", e.cfg.HTTPAddr, err)
		}
		e.httpLn = ln
		e.httpSrv = e.newServer(http.HandlerFunc(e.serveHTTP))
	}
	e.wg.Add(1)
	go e.run(e.runCtx)
	if e.h1 != nil {
		go func() {
			if err := e.h1.serve(); err != nil {
				e.log.Error("edge listener stopped", "listener", listenerHTTPS, "err", err)
			}
		}()
	}
	for _, s := range []struct {
		srv  *http.Server
		ln   net.Listener
		name string
	}{{e.httpsSrv, e.httpsLn, listenerHTTPS}, {e.httpSrv, e.httpLn, listenerHTTP}} {
		if s.srv == nil {
			continue
		}
		e.log.Info("edge listening", "listener", s.name, "addr", s.ln.Addr().String())
		go func() {
			if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				e.log.Error("edge listener stopped", "listener", s.name, "err", err)
			}
		}()
	}
	return nil
}

// newServer returns an http.Server with every limit set (threat model
// E1–E5, E14).
//
// crypto/tls handshakes run inside http.Server, under a deadline that is
// the smallest of ReadHeaderTimeout, ReadTimeout and WriteTimeout. So
// WriteTimeout is the handshake timeout here (it also bounds the responses
// the server writes on its own, such as 400 and 431), and every request's
// handler replaces it at once with the progress-based write deadline of
// Config.WriteTimeout (see responseLog). The handshake deadline is thus
// min(HandshakeTimeout, HeaderTimeout).
func (e *Edge) newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: e.cfg.HeaderTimeout,
		ReadTimeout:       e.cfg.ReadTimeout,
		WriteTimeout:      e.cfg.HandshakeTimeout,
		IdleTimeout:       e.cfg.IdleTimeout,
		MaxHeaderBytes:    e.cfg.MaxHeaderBytes,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: e.cfg.MaxConcurrentStreams,
			// MaxReadFrameSize, header table sizes and flow control
			// windows: Go's defaults, which carry the rapid reset and
			// CONTINUATION flood fixes.
		},
		ErrorLog: e.errLog,
	}
}

// Ready is closed once the index of served names is loaded.
func (e *Edge) Ready() <-chan struct{} { return e.ready }

// HTTPSAddr is the HTTPS listener's address ("" when disabled).
func (e *Edge) HTTPSAddr() string { return addrOf(e.httpsLn) }

// HTTPAddr is the HTTP listener's address ("" when disabled).
func (e *Edge) HTTPAddr() string { return addrOf(e.httpLn) }

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// HostnameChanged implements service.Hooks: the service calls it after
// committing a change, and the edge reads the change feed at once instead
// of at its next poll, so a change on this node reaches its memory in
// milliseconds. It never blocks.
func (e *Edge) HostnameChanged(_ context.Context, _, _, _ string) {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Shutdown stops accepting connections, waits for running requests
// (bounded by ctx), and stops the change feed.
func (e *Edge) Shutdown(ctx context.Context) error {
	var errs []error
	if e.h1 != nil {
		// First, so that no connection is handed to the http.Server after
		// its Shutdown.
		if err := e.h1.shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	for _, srv := range []*http.Server{e.httpsSrv, e.httpSrv} {
		if srv == nil {
			continue
		}
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	e.cancel()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	e.transports.closeIdle(true)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stopping the edge: %w", err)
	}
	return nil
}
