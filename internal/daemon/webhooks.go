package daemon

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/webhook"
)

// webhookNode is a node's webhook delivery: the endpoints the API manages
// and the dispatcher that queues events and delivers them.
type webhookNode struct {
	endpoints *webhook.Endpoints
	disp      *webhook.Dispatcher
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// startWebhooks builds the endpoints and the dispatcher, adds the
// dispatcher to the service's event sinks and runs it until stopWebhooks.
// Every node delivers: the deliveries are leased from the shared database.
func (d *Daemon) startWebhooks(box *secrets.Box) error {
	st, ok := d.store.(store.Webhooks)
	if !ok {
		return errors.New("the store keeps no webhooks")
	}
	roots, err := webhookRoots(d.cfg.WebhookRoots)
	if err != nil {
		return err
	}
	metrics, err := webhook.NewMetrics(d.reg)
	if err != nil {
		return err
	}
	network := webhook.Network{AllowHTTP: d.cfg.WebhookAllowHTTP, AllowPrivate: d.cfg.WebhookAllowPrivate}
	host, _ := os.Hostname()
	disp, err := webhook.NewDispatcher(webhook.DispatcherConfig{
		Workers:   d.cfg.WebhookWorkers,
		Timeout:   d.cfg.WebhookTimeout,
		Owner:     fmt.Sprintf("%s:%d", host, os.Getpid()),
		Retry:     webhook.RetryPolicy{Window: d.cfg.WebhookRetryWindow},
		Retention: d.cfg.WebhookRetention,
		Network:   network,
		RootCAs:   roots,
	}, webhook.DispatcherDeps{
		Store:   st,
		Box:     box,
		Clock:   d.clock,
		Metrics: metrics,
		Log:     d.log.With("component", "webhook"),
	})
	if err != nil {
		return err
	}
	d.webhooks.endpoints = webhook.NewEndpoints(webhook.EndpointsConfig{Network: network, Enqueued: disp.Wake}, st, box, d.clock)
	d.webhooks.disp = disp
	d.svc.AddEventSink(disp)
	ctx, cancel := context.WithCancel(context.Background())
	d.webhooks.cancel = cancel
	d.webhooks.wg.Go(func() { disp.Run(ctx) })
	return nil
}

// Webhooks returns the webhook dispatcher (for tests); nil before Start.
func (d *Daemon) Webhooks() *webhook.Dispatcher { return d.webhooks.disp }

// stopWebhooks stops the dispatcher and waits for its running attempts,
// which end at their timeout at the latest; it must run before the store
// closes. Events emitted after it still queue their deliveries, which the
// next start sends.
func (d *Daemon) stopWebhooks() {
	if d.webhooks.cancel == nil {
		return
	}
	d.webhooks.cancel()
	d.webhooks.wg.Wait()
	d.webhooks.cancel = nil
}

// webhookRoots returns the system roots plus --webhook-roots, or nil (the
// system roots) when the flag is not set.
func webhookRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--webhook-roots: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--webhook-roots %s: no PEM certificates found", file)
	}
	return pool, nil
}
