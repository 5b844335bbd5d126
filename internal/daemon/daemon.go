// Package daemon wires Portico's parts together for `portico serve` and owns
// their start and stop order: store, secrets, service, verification, webhook
// delivery, then the listeners; on shutdown the listeners drain first,
// verification and webhook delivery stop, and the store closes last.
package daemon

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/porticohq/portico/internal/api/cfapi"
	"github.com/porticohq/portico/internal/api/scdapi"
	"github.com/porticohq/portico/internal/api/webhookapi"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/database"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// Daemon is a running Portico node.
type Daemon struct {
	cfg   config.Serve
	log   *slog.Logger
	clock clock.Clock

	store  store.Store
	svc    *service.Service
	reg    *prometheus.Registry
	verify verifier
	edge   edgeNode
	certs  certNode
	// webhooks is the webhook delivery (webhooks.go).
	webhooks webhookNode
	mail     mailer

	apiLn  net.Listener
	apiSrv *http.Server
	done   chan error
}

// Option changes how a Daemon is built (tests use these).
type Option func(*Daemon)

// WithClock replaces the real clock.
func WithClock(c clock.Clock) Option { return func(d *Daemon) { d.clock = c } }

// New returns a daemon for cfg; Start brings it up.
func New(cfg config.Serve, log *slog.Logger, opts ...Option) *Daemon {
	d := &Daemon{cfg: cfg, log: log, clock: clock.Real{}}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Start opens the store, loads the master key and starts listening. It
// returns once every listener is bound; the servers then run until Shutdown.
func (d *Daemon) Start(ctx context.Context) (err error) {
	if err := d.cfg.Validate(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			d.closeAll()
		}
	}()
	box, err := LoadSecrets(d.cfg.Store, d.cfg.Secrets)
	if err != nil {
		return err
	}
	roots, err := certRoots(d.cfg.CustomCertRoots)
	if err != nil {
		return err
	}
	d.store, err = database.Open(ctx, d.cfg.Store)
	if err != nil {
		return err
	}
	if err := d.checkMasterKey(ctx, box); err != nil {
		return err
	}
	d.reg = prometheus.NewRegistry()
	d.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := d.newVerifyMetrics(); err != nil {
		return err
	}

	d.svc = service.New(service.Config{
		DCVZone:                d.cfg.DCVZone,
		CertRoots:              roots,
		QuotaPerZone:           d.cfg.Quota,
		CertificateAuthorities: d.serviceCAs(),
		AuditLog:               d.log.With("component", "audit"),
		OnTransition:           d.verify.metrics.Transition,
	}, d.store, box, d.clock, d.log.With("component", "service"))
	if err := d.startVerify(); err != nil {
		return err
	}
	if err := d.startWebhooks(box); err != nil {
		return err
	}
	if err := d.startMail(); err != nil {
		return err
	}
	if err := d.startEdge(ctx, box); err != nil {
		return err
	}
	if err := d.startCerts(ctx, box); err != nil {
		return err
	}

	d.apiLn, err = net.Listen("tcp", d.cfg.APIListen)
	if err != nil {
		return fmt.Errorf("listening for the API on %s: %w", d.cfg.APIListen, err)
	}
	d.apiSrv = &http.Server{
		Handler:           d.apiHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	d.done = make(chan error, 1)
	go func() {
		if err := d.apiSrv.Serve(d.apiLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.done <- err
		}
		close(d.done)
	}()
	d.log.Info("api listening", "addr", d.apiLn.Addr().String(), "database", redactDSN(d.cfg.Database))
	d.hintFirstRun(ctx)
	return nil
}

// APIAddr is the bound address of the control plane API.
func (d *Daemon) APIAddr() string { return d.apiLn.Addr().String() }

// Service returns the service layer (for in-process tests and the demo).
func (d *Daemon) Service() *service.Service { return d.svc }

// Done is closed when a server stops on its own; it carries its error.
func (d *Daemon) Done() <-chan error { return d.done }

// Shutdown stops accepting requests, waits for running ones (bounded by
// ctx), then closes the store.
func (d *Daemon) Shutdown(ctx context.Context) error {
	var errs []error
	if d.apiSrv != nil {
		if err := d.apiSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the API server: %w", err))
		}
	}
	errs = append(errs, d.stopEdge(ctx), d.stopCerts(ctx))
	d.closeAll()
	return errors.Join(errs...)
}

func (d *Daemon) closeAll() {
	_ = d.stopEdge(context.Background()) // after a failed start: nothing to drain
	_ = d.stopCerts(context.Background())
	d.stopVerify()
	d.stopWebhooks()
	d.stopMail()
	if d.store != nil {
		if err := d.store.Close(); err != nil {
			d.log.Warn("closing the store", "err", err)
		}
		d.store = nil
	}
}

func (d *Daemon) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(cfapi.Prefix, cfapi.New(d.svc, d.log.With("component", "cfapi"), d.reg))
	mux.Handle(scdapi.Prefix, scdapi.New(d.svc, d.log.With("component", "scdapi"), d.reg))
	webhooks := webhookapi.New(d.svc, d.webhooks.endpoints, d.log.With("component", "webhookapi"), d.reg)
	mux.Handle(webhookapi.Prefix, webhooks)
	mux.Handle(webhookapi.Prefix+"/", webhooks)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.readyz)
	mux.Handle("GET /metrics", promhttpHandler(d.reg))
	return mux
}

func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := d.store.Ping(ctx); err != nil {
		d.log.Warn("readiness check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// hintFirstRun tells a new user what to do next when no zone exists yet.
func (d *Daemon) hintFirstRun(ctx context.Context) {
	zones, err := d.svc.ListZones(ctx)
	if err != nil || len(zones) > 0 {
		return
	}
	d.log.Info("no zones yet: create one with `portico zone create --name saasprovider.com --cname-target customers.saasprovider.com`, then a token with `portico token create --zone ZONE_ID` (same --database)")
}

func certRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--custom-cert-roots: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--custom-cert-roots %s: no PEM certificates found", file)
	}
	return pool, nil
}
