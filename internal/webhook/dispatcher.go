package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/workqueue"
)

// DispatcherConfig tunes a Dispatcher. The zero value gives the defaults.
type DispatcherConfig struct {
	// Workers is how many deliveries are attempted at once
	// (--webhook-workers). Default 4.
	Workers int
	// Timeout bounds one attempt: connecting, TLS, sending, and the
	// response's headers (--webhook-timeout). Default 10 s.
	Timeout time.Duration
	// PollInterval is how often Run looks for due deliveries when nothing
	// wakes it. Default 1 s.
	PollInterval time.Duration
	// LeaseFor is how long a claimed delivery is reserved for its worker.
	// Default Timeout + 30 s.
	LeaseFor time.Duration
	// Owner names this dispatcher in leases. Default a random id.
	Owner string
	// Retry is the retry schedule.
	Retry RetryPolicy
	// Retention is how long finished deliveries stay in the log
	// (--webhook-retention). Default 30 days.
	Retention time.Duration
	// Network is where deliveries may connect.
	Network Network
	// RootCAs verify receivers' certificates. Nil means the system roots.
	RootCAs *x509.CertPool
	// Resolver resolves receivers' names. Nil means the system's. Whatever
	// it answers, Network checks the address dialed.
	Resolver *net.Resolver
	// EnqueueTimeout bounds the writes HostnameEvent makes on the caller's
	// path. Default 5 s.
	EnqueueTimeout time.Duration
	// UserAgent is sent with every delivery. Default "Portico-Webhooks/1".
	UserAgent string
}

func (c *DispatcherConfig) defaults() {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.LeaseFor <= 0 {
		c.LeaseFor = c.Timeout + 30*time.Second
	}
	if c.Owner == "" {
		c.Owner = "webhook-" + ident.ZoneID()[:12]
	}
	c.Retry.defaults()
	if c.Retention <= 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.EnqueueTimeout <= 0 {
		c.EnqueueTimeout = 5 * time.Second
	}
	if c.UserAgent == "" {
		c.UserAgent = "Portico-Webhooks/1"
	}
}

// DispatcherDeps are a Dispatcher's collaborators. Metrics and Log may be
// nil.
type DispatcherDeps struct {
	Store   store.Webhooks
	Box     *secrets.Box
	Clock   clock.Clock
	Metrics *Metrics
	Log     *slog.Logger
}

// Dispatcher queues the service's events for the endpoints that want them
// (it is a service.EventSink) and delivers them: Run claims due deliveries,
// POSTs them and records each attempt. Several dispatchers, in one process
// or on several nodes sharing a database, share the work: each due
// delivery is leased to one of them. It is safe for concurrent use.
type Dispatcher struct {
	cfg    DispatcherConfig
	d      DispatcherDeps
	client *http.Client
	wake   chan struct{}
	runMu  sync.Mutex // one RunOnce at a time
	rand   func() float64
}

var _ service.EventSink = (*Dispatcher)(nil)

// NewDispatcher returns a dispatcher; Run drives it, or RunOnce in tests.
func NewDispatcher(cfg DispatcherConfig, d DispatcherDeps) (*Dispatcher, error) {
	if d.Store == nil || d.Box == nil || d.Clock == nil {
		return nil, errors.New("webhook: NewDispatcher needs Store, Box and Clock")
	}
	cfg.defaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout, Resolver: cfg.Resolver, ControlContext: cfg.Network.control}
	transport := &http.Transport{
		// No proxy: a proxy would make the connection the Network checks
		// the proxy's, not the receiver's.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Dispatcher{
		cfg: cfg,
		d:   d,
		client: &http.Client{
			Transport: transport,
			// A redirect is a failed attempt: following it would send the
			// signed body somewhere the zone's owner did not configure.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		wake: make(chan struct{}, 1),
		rand: uniform,
	}, nil
}

// HostnameEvent queues e for every endpoint of its zone that wants it and
// wakes Run. It writes on the caller's path, bounded by EnqueueTimeout and
// unaffected by the caller's cancellation, so that a delivery row exists as
// soon as the change that caused it is answered. Failures are logged: the
// change stands, and its event is lost.
func (p *Dispatcher) HostnameEvent(ctx context.Context, e service.Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.EnqueueTimeout)
	defer cancel()
	n, err := p.enqueue(ctx, e)
	if err != nil {
		p.d.Log.ErrorContext(ctx, "queueing a webhook event", "zone_id", e.ZoneID, "event_id", e.ID,
			"event_type", string(e.Type), "err", err)
		return
	}
	if n > 0 {
		p.Wake()
	}
}

// enqueue writes e's deliveries and returns how many.
func (p *Dispatcher) enqueue(ctx context.Context, e service.Event) (int, error) {
	endpoints, err := p.d.Store.ListWebhookEndpoints(ctx, e.ZoneID)
	if err != nil || len(endpoints) == 0 {
		return 0, err
	}
	var body []byte
	var ds []core.WebhookDelivery
	now := p.d.Clock.Now().UTC().Truncate(time.Microsecond)
	for _, ep := range endpoints {
		if !Wants(ep, e.Type) {
			continue
		}
		if body == nil {
			if body, err = encodeMessage(NewMessage(e)); err != nil {
				return 0, err
			}
		}
		ds = append(ds, core.WebhookDelivery{
			ID: ident.UUID(), ZoneID: e.ZoneID, EndpointID: ep.ID, EventID: e.ID, EventType: string(e.Type),
			Payload: body, Status: core.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		})
	}
	return p.d.Store.EnqueueWebhookDeliveries(ctx, ds)
}

// Wake makes Run look for due deliveries now. It never blocks.
func (p *Dispatcher) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run delivers due deliveries until ctx ends: whenever woken and at least
// every PollInterval; it prunes the log hourly. An attempt running when ctx
// ends is abandoned unrecorded: its lease expires and it is tried again
// (the receiver may then see it twice).
func (p *Dispatcher) Run(ctx context.Context) {
	poll := time.NewTicker(p.cfg.PollInterval)
	defer poll.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	defer p.client.CloseIdleConnections()
	p.Prune(ctx)
	for {
		if _, err := p.RunOnce(ctx); err != nil && ctx.Err() == nil {
			p.d.Log.WarnContext(ctx, "delivering webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		case <-p.wake:
		case <-prune.C:
			p.Prune(ctx)
		}
	}
}

// Prune deletes the finished deliveries older than Retention, in batches.
func (p *Dispatcher) Prune(ctx context.Context) {
	before := p.d.Clock.Now().Add(-p.cfg.Retention)
	for range 100 { // at most 100,000 rows an hour; the rest next time
		n, err := p.d.Store.PruneWebhookDeliveries(ctx, before, 1000)
		if err != nil {
			if ctx.Err() == nil {
				p.d.Log.WarnContext(ctx, "pruning the webhook delivery log", "err", err)
			}
			return
		}
		if n < 1000 {
			return
		}
	}
}

// RunOnce attempts every delivery due at the clock's now, at most Workers
// at a time, and returns how many it attempted. Under a fake clock it is
// how tests drive retries: set the time, RunOnce, look.
func (p *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	p.runMu.Lock()
	defer p.runMu.Unlock()
	ran, err := workqueue.Drain(ctx, p.cfg.Workers, func(ctx context.Context, n int) ([]store.DeliveryClaim, error) {
		return p.d.Store.ClaimDueWebhookDeliveries(ctx, p.d.Clock.Now(), n, p.cfg.Owner, p.cfg.LeaseFor)
	}, p.process)
	if err != nil && ctx.Err() == nil {
		return ran, fmt.Errorf("claiming due webhook deliveries: %w", err)
	}
	return ran, err
}

// process makes one leased attempt and records it. What fails before the
// attempt is logged and left to the lease's expiry.
func (p *Dispatcher) process(ctx context.Context, c store.DeliveryClaim) {
	d := c.Delivery
	log := p.d.Log.With("zone_id", d.ZoneID, "webhook_id", d.EndpointID, "delivery_id", d.ID)
	ep, err := p.d.Store.GetWebhookEndpoint(ctx, d.ZoneID, d.EndpointID)
	if errors.Is(err, store.ErrNotFound) {
		return // deleted: its deliveries went with it
	}
	if err != nil {
		log.WarnContext(ctx, "loading a webhook endpoint", "err", err)
		return
	}
	res := p.attempt(ctx, ep, d)
	if ctx.Err() != nil {
		if !res.ok {
			return // shutting down: our own cancellation says nothing about the receiver
		}
		// Delivered as we stop: record it, or the receiver gets it again.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
	}
	now := p.d.Clock.Now()
	a := store.DeliveryAttempt{ZoneID: d.ZoneID, DeliveryID: d.ID, LeaseToken: c.LeaseToken, At: now,
		ResponseCode: res.code, Error: res.err}
	outcome := OutcomeSucceeded
	switch {
	case res.ok:
		a.Status = core.DeliverySucceeded
	case res.final:
		a.Status, outcome = core.DeliveryFailed, OutcomeFailed
	default:
		next, retry := p.cfg.Retry.next(d.Attempts+1, d.CreatedAt, now, p.rand())
		a.Status, a.NextAttemptAt, outcome = core.DeliveryPending, next, OutcomeRetried
		if !retry {
			a.Status, outcome = core.DeliveryFailed, OutcomeFailed
		}
	}
	err = p.d.Store.RecordWebhookAttempt(ctx, a)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrStale), errors.Is(err, store.ErrNotFound):
		log.DebugContext(ctx, "a webhook attempt was superseded", "err", err)
		return
	default:
		log.WarnContext(ctx, "recording a webhook attempt", "err", err)
		return
	}
	p.d.Metrics.count(outcome)
	level := slog.LevelDebug
	if outcome == OutcomeFailed {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "webhook attempt", "host", urlHost(ep.URL), "event_type", d.EventType,
		"attempt", d.Attempts+1, "outcome", outcome, "status", res.code, "error", res.err,
		"next_attempt_at", a.NextAttemptAt)
}
