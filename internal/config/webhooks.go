package config

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// Webhooks configures webhook delivery in `portico serve`. Zero values mean
// the defaults, so that a Serve built in code (tests) is valid.
type Webhooks struct {
	// WebhookWorkers is how many deliveries are attempted at once (default
	// 4).
	WebhookWorkers int
	// WebhookTimeout bounds one delivery attempt (default 10s).
	WebhookTimeout time.Duration
	// WebhookRetryWindow is how long a failing delivery is retried before it
	// is marked failed (default 24h).
	WebhookRetryWindow time.Duration
	// WebhookRetention is how long finished deliveries stay in the delivery
	// log (default 720h, 30 days).
	WebhookRetention time.Duration
	// WebhookRoots is a PEM file of roots trusted for receivers'
	// certificates, added to the system roots (receivers on an internal
	// CA).
	WebhookRoots string
	WebhookPolicy
}

// WebhookPolicy says where webhook URLs may point. The operator commands
// that create endpoints take it too, so that they refuse what serve would.
type WebhookPolicy struct {
	// WebhookAllowHTTP accepts http:// URLs to loopback receivers and lets
	// deliveries reach loopback addresses (development and tests only;
	// default false).
	WebhookAllowHTTP bool
	// WebhookAllowPrivate lets deliveries reach private addresses (RFC
	// 1918, RFC 4193, RFC 6598) for receivers inside the operator's
	// network (default false). Link-local addresses stay refused.
	WebhookAllowPrivate bool
}

// Register adds the webhook flags to fs.
func (w *Webhooks) Register(fs *flag.FlagSet) {
	fs.IntVar(&w.WebhookWorkers, "webhook-workers", 4, "webhook deliveries attempted at once")
	fs.DurationVar(&w.WebhookTimeout, "webhook-timeout", 10*time.Second, "deadline of one webhook delivery attempt")
	fs.DurationVar(&w.WebhookRetryWindow, "webhook-retry-window", 24*time.Hour, "how long a failing webhook delivery is retried")
	fs.DurationVar(&w.WebhookRetention, "webhook-retention", 30*24*time.Hour, "how long finished webhook deliveries stay in the delivery log")
	fs.StringVar(&w.WebhookRoots, "webhook-roots", "", "PEM file of extra roots trusted for webhook receivers' certificates")
	w.WebhookPolicy.Register(fs)
}

// Register adds the policy flags to fs.
func (p *WebhookPolicy) Register(fs *flag.FlagSet) {
	fs.BoolVar(&p.WebhookAllowHTTP, "webhook-allow-http", false, "accept http:// webhook URLs to loopback and let webhooks reach loopback (development and tests only)")
	fs.BoolVar(&p.WebhookAllowPrivate, "webhook-allow-private", false, "let webhooks reach private addresses (receivers inside your network)")
}

// Validate checks the webhook settings.
func (w Webhooks) Validate() error {
	var errs []error
	if w.WebhookWorkers < 0 {
		errs = append(errs, fmt.Errorf("--webhook-workers %d: want at least 1", w.WebhookWorkers))
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--webhook-timeout", w.WebhookTimeout}, {"--webhook-retry-window", w.WebhookRetryWindow}, {"--webhook-retention", w.WebhookRetention}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %s: must not be negative", d.flag, d.v))
		}
	}
	if w.WebhookTimeout > 5*time.Minute {
		errs = append(errs, fmt.Errorf("--webhook-timeout %s: at most 5m (a receiver should answer at once and work later)", w.WebhookTimeout))
	}
	if w.WebhookRetention > 0 && w.WebhookRetention < w.WebhookRetryWindow {
		errs = append(errs, fmt.Errorf("--webhook-retention %s: must be at least --webhook-retry-window %s", w.WebhookRetention, w.WebhookRetryWindow))
	}
	return errors.Join(errs...)
}
