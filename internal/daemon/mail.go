package daemon

import (
	"context"
	"fmt"
	"sync"

	"github.com/porticohq/portico/internal/mail"
	"github.com/porticohq/portico/internal/mail/instructions"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// mailer is the node's instruction email sender, when --smtp-url is set.
type mailer struct {
	worker *instructions.Worker
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// tune adjusts the worker's and the SMTP client's settings (tests:
	// short backoff, a private CA).
	tune func(*instructions.Config, *mail.Config)
}

// WithMailTuning adjusts the instruction email worker and SMTP client
// before they start (tests use it for a short backoff and their CA).
func WithMailTuning(f func(*instructions.Config, *mail.Config)) Option {
	return func(d *Daemon) { d.mail.tune = f }
}

// startMail starts the instruction email worker over the store's outbox
// and turns instruction emails on in the service; without --smtp-url they
// stay off (a create asking for one is refused).
func (d *Daemon) startMail() error {
	if d.cfg.Mail.SMTPURL == "" {
		return nil
	}
	sc, err := mail.ParseURL(d.cfg.Mail.SMTPURL)
	if err != nil {
		return fmt.Errorf("--smtp-url: %w", err)
	}
	from, err := mail.ParseFrom(d.cfg.Mail.SMTPFrom)
	if err != nil {
		return fmt.Errorf("--smtp-from: %w", err)
	}
	outbox, ok := d.store.(store.CustomDomains)
	if !ok {
		return fmt.Errorf("the %T store keeps no instruction email outbox", d.store)
	}
	metrics, err := instructions.NewMetrics(d.reg)
	if err != nil {
		return err
	}
	wc := instructions.Config{From: from, Metrics: metrics}
	if d.mail.tune != nil {
		d.mail.tune(&wc, &sc)
	}
	w, err := instructions.New(wc, outbox, d.svc, mail.NewSender(sc, d.clock.Now), d.clock, d.log.With("component", "mail"))
	if err != nil {
		return err
	}
	v4, v6, err := d.cfg.EdgeAddrs()
	if err != nil {
		return err
	}
	d.svc.SetInstructionEmails(&service.InstructionsConfig{EdgeIPv4: v4, EdgeIPv6: v6})
	d.svc.AddHooks(w)
	ctx, cancel := context.WithCancel(context.Background())
	d.mail.worker, d.mail.cancel = w, cancel
	d.mail.wg.Go(func() { w.Run(ctx) })
	// sc.String() leaves the password out.
	d.log.Info("instruction emails on", "smtp", sc.String(), "from", from.String())
	return nil
}

// stopMail stops the worker and waits for a send in progress (bounded by
// the SMTP timeout); it must run before the store closes.
func (d *Daemon) stopMail() {
	if d.mail.cancel == nil {
		return
	}
	if d.svc != nil {
		d.svc.SetInstructionEmails(nil)
	}
	d.mail.cancel()
	d.mail.wg.Wait()
	d.mail.cancel = nil
}

// InstructionEmails returns the instruction email worker; nil when
// --smtp-url is not set.
func (d *Daemon) InstructionEmails() *instructions.Worker { return d.mail.worker }
