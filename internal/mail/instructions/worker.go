// Package instructions sends the SaaS Custom Domains instruction emails:
// when a custom domain is created with an instructions_recipient, its
// customer is mailed the exact DNS records to publish.
//
// Sending is asynchronous and never fails the API call: the domain's
// record is the outbox (store.CustomDomains), the Worker claims due emails
// from it with a lease, sends them through a mail sender, and records the
// time the server accepted each (instructions_email_sent_at). A failed
// send is retried with exponential backoff; a permanent refusal (a 5xx
// reply), or too many attempts, gives up. The outbox is in the database,
// so emails survive restarts and several nodes share the work; a node that
// dies mid-send leaves its emails to be sent again when their lease ends
// (at least once, never lost).
package instructions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	pmail "github.com/porticohq/portico/internal/mail"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// Outbox is where due emails come from and where results go: the
// store.CustomDomains methods of that name, with their contract.
type Outbox interface {
	ClaimInstructionEmails(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]store.InstructionEmail, error)
	InstructionEmailSent(ctx context.Context, zoneID, hostnameID string, at time.Time) error
	InstructionEmailFailed(ctx context.Context, zoneID, hostnameID string, attempts int, next time.Time, lastErr string) error
}

// Source says what an email must contain: service.Service.Instructions.
// It returns a KindNotFound *core.Error when the domain is gone.
type Source interface {
	Instructions(ctx context.Context, zoneID, hostnameID string) (service.Instructions, error)
}

// Sender delivers one message; *mail.Sender. It MUST bound its own
// duration and be safe for concurrent use; mail.IsPermanent tells its
// permanent failures.
type Sender interface {
	Send(ctx context.Context, m pmail.Message) error
}

// Config configures a Worker. Zero values take the defaults given.
type Config struct {
	// From is the sender of every email (--smtp-from). Required.
	From *mail.Address
	// Poll is how often the outbox is read when nothing wakes the worker
	// (default 2s). A created domain wakes it at once on its own node.
	Poll time.Duration
	// Lease is how long a claimed email is the worker's before another may
	// send it (default 2m; longer than a send may take).
	Lease time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failure: it doubles
	// from MinBackoff (default 30s) up to MaxBackoff (default 1h).
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts is how many sends are tried before giving up (default
	// 20: about 15 hours with the default backoff).
	MaxAttempts int
	// Batch is how many emails one claim takes (default 10).
	Batch int
	// Metrics counts the sends; nil counts nothing.
	Metrics *Metrics
}

func (c *Config) defaults() {
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 30 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Hour
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	if c.Batch <= 0 {
		c.Batch = 10
	}
}

// Worker sends the outbox's emails. It is safe for concurrent use.
type Worker struct {
	cfg    Config
	outbox Outbox
	src    Source
	sender Sender
	clk    clock.Clock
	log    *slog.Logger
	wake   chan struct{}
	runMu  sync.Mutex
}

// New returns a worker; Run starts it.
func New(cfg Config, outbox Outbox, src Source, sender Sender, clk clock.Clock, log *slog.Logger) (*Worker, error) {
	if cfg.From == nil {
		return nil, errors.New("instruction emails need a sender address (--smtp-from)")
	}
	cfg.defaults()
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{cfg: cfg, outbox: outbox, src: src, sender: sender, clk: clk, log: log, wake: make(chan struct{}, 1)}, nil
}

// Wake makes a running worker read the outbox now.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// HostnameChanged wakes the worker when a hostname is created (it may
// have an email waiting): service.Hooks.
func (w *Worker) HostnameChanged(_ context.Context, _, _, reason string) {
	if reason == service.ChangeCreated {
		w.Wake()
	}
}

// Run sends due emails until ctx ends: at every Poll, and whenever woken.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("reading the instruction email outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// RunOnce sends every email due at the clock's now and returns how many
// it attempted.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.runMu.Lock()
	defer w.runMu.Unlock()
	total := 0
	for ctx.Err() == nil {
		due, err := w.outbox.ClaimInstructionEmails(ctx, w.clk.Now(), w.cfg.Batch, w.cfg.Lease)
		if err != nil {
			return total, err
		}
		for _, m := range due {
			w.send(ctx, m)
		}
		total += len(due)
		if len(due) < w.cfg.Batch {
			break
		}
	}
	return total, ctx.Err()
}

// send sends one email and records the outcome.
func (w *Worker) send(ctx context.Context, m store.InstructionEmail) {
	log := w.log.With("zone_id", m.ZoneID, "hostname_id", m.HostnameID)
	inst, err := w.src.Instructions(ctx, m.ZoneID, m.HostnameID)
	if err != nil {
		if core.AsError(err).Kind == core.KindNotFound {
			return // deleted meanwhile: its outbox row went with it
		}
		w.failed(ctx, log, m, err, false)
		return
	}
	msg, err := compose(w.cfg.From, inst)
	if err != nil {
		w.failed(ctx, log, m, err, true)
		return
	}
	if err := w.sender.Send(ctx, msg); err != nil {
		w.failed(ctx, log, m, err, pmail.IsPermanent(err))
		return
	}
	at := w.clk.Now().UTC().Truncate(time.Microsecond)
	if err := w.outbox.InstructionEmailSent(ctx, m.ZoneID, m.HostnameID, at); err != nil && !errors.Is(err, store.ErrNotFound) {
		// Sent, but not recorded: the lease ends and it is sent again.
		log.Warn("recording a sent instruction email", "err", err)
		return
	}
	w.cfg.Metrics.count(outcomeSent)
	log.Info("instruction email sent", "hostname", inst.Domain.Hostname.Name, "attempt", m.Attempts+1)
}

// failed reschedules an email after a failed attempt, or gives up.
func (w *Worker) failed(ctx context.Context, log *slog.Logger, m store.InstructionEmail, cause error, permanent bool) {
	attempts := m.Attempts + 1
	var next time.Time
	if !permanent && attempts < w.cfg.MaxAttempts {
		next = w.clk.Now().Add(w.backoff(attempts))
	}
	text := cause.Error()
	if len(text) > 300 {
		text = text[:300]
	}
	if err := w.outbox.InstructionEmailFailed(ctx, m.ZoneID, m.HostnameID, attempts, next, text); err != nil && !errors.Is(err, store.ErrNotFound) {
		log.Warn("rescheduling an instruction email", "err", err)
	}
	if next.IsZero() {
		w.cfg.Metrics.count(outcomeGivenUp)
		log.Error("instruction email given up", "attempts", attempts, "permanent", permanent, "err", cause)
		return
	}
	w.cfg.Metrics.count(outcomeRetry)
	log.Warn("instruction email not sent; will retry", "attempts", attempts, "retry_at", next, "err", cause)
}

// backoff is the wait after the n-th failed attempt: MinBackoff doubled
// n-1 times, at most MaxBackoff.
func (w *Worker) backoff(n int) time.Duration {
	d := w.cfg.MinBackoff
	for i := 1; i < n && d < w.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.cfg.MaxBackoff)
}

// compose builds the email of inst.
func compose(from *mail.Address, inst service.Instructions) (pmail.Message, error) {
	to, err := mail.ParseAddress(inst.Recipient)
	if err != nil {
		return pmail.Message{}, fmt.Errorf("recipient: %w", err)
	}
	text, html, err := render(inst)
	if err != nil {
		return pmail.Message{}, err
	}
	return pmail.Message{
		From: from, To: to,
		Subject: "Connect " + inst.Domain.Hostname.Name + " to " + inst.Zone.Name + ": DNS records to add",
		Text:    text, HTML: html,
	}, nil
}
