package acme

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mholt/acmez/v3/acme"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/secrets"
)

// Issuer is the issuance engine. It is safe for concurrent use, but one
// Issuance should be stepped by one goroutine at a time (the scheduler's
// job; the store's compare-and-swap turns a second one into ErrStale).
type Issuer struct {
	cfg      settings
	orders   OrderStore
	accounts AccountStore
	pub      ChallengePublisher
	box      *secrets.Box
	clk      clock.Clock
	log      *slog.Logger // component=acme
	baseLog  *slog.Logger // as given, for acmez's own component

	mu   sync.Mutex
	cas  map[string]*caClient
	pace pacer
}

// New returns an Issuer. It checks cfg but makes no network call: accounts
// are registered on first use. log may be nil to discard logs.
func New(cfg Config, orders OrderStore, accounts AccountStore, pub ChallengePublisher, box *secrets.Box, clk clock.Clock, log *slog.Logger) (*Issuer, error) {
	st, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("acme config: %w", err)
	}
	if orders == nil || accounts == nil || pub == nil || box == nil || clk == nil {
		return nil, errors.New("acme: New needs an order store, an account store, a publisher, a box and a clock")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Issuer{
		cfg: st, orders: orders, accounts: accounts, pub: pub, box: box, clk: clk,
		log: log.With("component", "acme"), baseLog: log, cas: make(map[string]*caClient),
	}, nil
}

// ca returns the client of the named CA ("" = the default), or a fatal
// stepError when it is not configured.
func (is *Issuer) ca(name string) (*caClient, error) {
	if name == "" {
		name = is.cfg.DefaultCA
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	if c, ok := is.cas[name]; ok {
		return c, nil
	}
	cfg, ok := is.cfg.CAs[name]
	if !ok {
		return nil, fatalError(fmt.Sprintf("The certificate authority %s is not configured on this Portico.", name), nil)
	}
	c := newCAClient(name, cfg, is.cfg, is.clk, is.baseLog)
	is.cas[name] = c
	return c, nil
}

// Run steps the Issuance until it is done (nil), waits (an error wrapping
// ErrPostponed, a *PostponedError saying until when) or has failed (an
// error wrapping ErrFailed). It also returns store errors (ErrStale when
// another worker changed the record) and ctx's error.
func (is *Issuer) Run(ctx context.Context, id string) error {
	for {
		iss, err := is.orders.GetIssuance(ctx, id)
		if err != nil {
			return fmt.Errorf("issuance %s: %w", id, err)
		}
		if iss.Step == StepDone {
			return nil
		}
		if err := is.step(ctx, iss); err != nil {
			return err
		}
	}
}

// Step advances the Issuance by exactly one saved step. It returns nil
// after a step was saved, or when the Issuance is done already; a
// *PostponedError (ErrPostponed) when the Issuance is not due or a failure
// was recorded for a later retry; an error wrapping ErrFailed when it is
// failed; store errors and ctx's error as they come. Given a record at any
// step it continues from the stored URLs: it never places an order for a
// record past StepNew.
func (is *Issuer) Step(ctx context.Context, id string) error {
	iss, err := is.orders.GetIssuance(ctx, id)
	if err != nil {
		return fmt.Errorf("issuance %s: %w", id, err)
	}
	if iss.Step == StepDone {
		return nil
	}
	return is.step(ctx, iss)
}

func (is *Issuer) step(ctx context.Context, iss Issuance) error {
	now := is.clk.Now()
	switch {
	case iss.Step == StepFailed:
		return fmt.Errorf("issuance %s: %w: %s", iss.ID, ErrFailed, iss.LastError)
	case !iss.Step.Valid():
		return fmt.Errorf("issuance %s: unknown step %q", iss.ID, iss.Step)
	case iss.NextAttemptAt.After(now):
		return &PostponedError{ID: iss.ID, Until: iss.NextAttemptAt, Reason: "not due yet"}
	case iss.Step == StepNew && !iss.Deadline.IsZero() && !now.Before(iss.Deadline):
		// Orders in flight are finished: their certificate is still useful.
		return is.fail(ctx, iss, fatalError("The certificate could not be issued before its deadline.",
			fmt.Errorf("deadline %s passed", iss.Deadline.UTC().Format(time.RFC3339))), nil)
	}

	sctx, cancel := context.WithTimeout(ctx, is.cfg.StepTimeout)
	defer cancel()
	sctx, note := withRetryNote(sctx)
	next := iss.Clone()
	err := is.advance(sctx, &next)
	if err != nil {
		if isContextErr(ctx, err) {
			return err // shutdown: nothing happened that needs recording
		}
		if errors.Is(err, errSave) {
			return err
		}
		return is.fail(ctx, iss, classify(err, note, is.clk.Now()), &next)
	}
	next.Retries = 0
	next.NextAttemptAt = time.Time{}
	next.LastError = ""
	next.UpdatedAt = is.clk.Now()
	if err := is.save(ctx, &next); err != nil {
		return err
	}
	is.log.Info("issuance step", "issuance_id", next.ID, "hostname_id", next.HostnameID, "step", string(next.Step))
	if next.Step == StepDone {
		is.cleanup(ctx, next.Authzs, next.DCVLabel)
	}
	return nil
}

// errSave marks a failed save inside a step: the store is the problem,
// not the Issuance, so nothing is recorded.
var errSave = errors.New("saving the issuance")

func (is *Issuer) save(ctx context.Context, iss *Issuance) error {
	if err := is.orders.SaveIssuance(ctx, iss); err != nil {
		return fmt.Errorf("%w %s at step %s: %w", errSave, iss.ID, iss.Step, err)
	}
	return nil
}

// advance performs the one step due for iss and moves it to the next step.
// On error iss may be half changed and is thrown away.
func (is *Issuer) advance(ctx context.Context, iss *Issuance) error {
	ca, err := is.ca(iss.CA)
	if err != nil {
		return err
	}
	switch iss.Step {
	case StepNew:
		if ca.cfg.Local != nil {
			return is.issueLocal(ctx, ca, iss)
		}
		return is.order(ctx, ca, iss)
	case StepDownloaded:
		return is.commit(iss)
	}
	acct, err := is.orderAccount(ctx, ca, iss)
	if err != nil {
		return err
	}
	switch iss.Step {
	case StepOrdered:
		return is.fetchAuthzs(ctx, ca, acct, iss)
	case StepAuthorized:
		return is.present(ctx, iss)
	case StepChallengeReady:
		return is.submit(ctx, ca, acct, iss)
	case StepChallengeSubmitted:
		return is.finalize(ctx, ca, acct, iss)
	case StepFinalizing:
		return is.download(ctx, ca, acct, iss)
	}
	return fmt.Errorf("no action for step %q", iss.Step)
}

// orderAccount returns the account that placed iss's order. When the CA
// account changed since (re-registered), the order cannot be continued and
// the Issuance starts over.
func (is *Issuer) orderAccount(ctx context.Context, ca *caClient, iss *Issuance) (acme.Account, error) {
	acct, err := ca.ensureAccount(ctx, is.accounts, is.box, is.clk)
	if err != nil {
		return acct, err
	}
	if acct.Location != iss.AccountURL {
		return acct, &stepError{kind: kindRestart, err: fmt.Errorf("the order belongs to account %s, the CA account is now %s", iss.AccountURL, acct.Location)}
	}
	return acct, nil
}

// fail records a classified failure on iss (the record as read) and saves
// it. tried is the half-advanced copy, for the challenges it may have
// published; it may be nil.
func (is *Issuer) fail(ctx context.Context, iss Issuance, se *stepError, tried *Issuance) error {
	now := is.clk.Now()
	iss.UpdatedAt = now
	iss.LastError = se.Error()
	if isAccountGone(se) {
		if ca, err := is.ca(iss.CA); err == nil {
			ca.forgetAccount(ctx, is.accounts)
		}
	}
	var withdraw []Authz
	switch se.kind {
	case kindTransient, kindLookup:
		iss.Retries++
		iss.NextAttemptAt = now.Add(is.jitter(RetryDelay(iss.Retries)))
	case kindWait:
		iss.NextAttemptAt = se.retryAt
	case kindRestart:
		iss.Retries++
		withdraw = challengeAuthzs(iss, tried)
		resetOrder(&iss)
		iss.NextAttemptAt = now.Add(is.jitter(RetryDelay(iss.Retries)))
	case kindValidation:
		iss.Attempts++
		iss.Retries = 0
		iss.ValidationErrors = []string{se.public}
		if failedHTTP(iss, tried) && iss.DCVLabel != "" {
			iss.HTTPFailed = true
		}
		withdraw = challengeAuthzs(iss, tried)
		resetOrder(&iss)
		iss.NextAttemptAt = now.Add(Backoff(iss.Attempts))
	case kindFatal:
		withdraw = challengeAuthzs(iss, tried)
		iss.Step = StepFailed
		iss.ValidationErrors = []string{se.public}
	}
	if err := is.save(ctx, &iss); err != nil {
		return err
	}
	is.cleanup(ctx, withdraw, iss.DCVLabel)
	is.log.Warn("issuance step failed", "issuance_id", iss.ID, "hostname_id", iss.HostnameID,
		"step", string(iss.Step), "kind", se.kind.String(), "next_attempt_at", iss.NextAttemptAt, "error", se.Error())
	if iss.Step == StepFailed {
		return fmt.Errorf("issuance %s: %w: %s", iss.ID, ErrFailed, iss.LastError)
	}
	return &PostponedError{ID: iss.ID, Until: iss.NextAttemptAt, Reason: iss.LastError}
}

// isAccountGone reports whether the CA no longer knows the account.
func isAccountGone(err error) bool {
	var p acme.Problem
	return errors.As(err, &p) && p.Type == acme.ProblemTypeAccountDoesNotExist
}

func (k failKind) String() string {
	switch k {
	case kindTransient:
		return "transient"
	case kindWait:
		return "wait"
	case kindValidation:
		return "validation"
	case kindLookup:
		return "caa_lookup"
	case kindRestart:
		return "restart"
	case kindFatal:
		return "fatal"
	}
	return "unknown"
}

// resetOrder sends iss back to StepNew, forgetting the order and its key:
// the next attempt places a fresh order with a fresh key.
func resetOrder(iss *Issuance) {
	iss.Step = StepNew
	iss.AccountURL, iss.OrderURL, iss.FinalizeURL, iss.CertURL = "", "", "", ""
	iss.Authzs = nil
	iss.KeyCiphertext = nil
	iss.Result = nil
	for i := range iss.ValidationRecords {
		iss.ValidationRecords[i].Status = "pending"
	}
}

// challengeAuthzs lists the authorizations whose responses may be
// published, from the record and from the half-advanced copy.
func challengeAuthzs(iss Issuance, tried *Issuance) []Authz {
	out := iss.Authzs
	if tried != nil && len(tried.Authzs) > len(out) {
		out = tried.Authzs
	}
	return out
}

// failedHTTP reports whether the failed order used HTTP-01.
func failedHTTP(iss Issuance, tried *Issuance) bool {
	for _, a := range challengeAuthzs(iss, tried) {
		if a.ChallengeType == acme.ChallengeTypeHTTP01 && a.Status != acme.StatusValid {
			return true
		}
	}
	return false
}

// jitter spreads d by up to ±10%, so that retries of many Issuances after
// one outage do not arrive together (threat model B6, B15).
func (is *Issuer) jitter(d time.Duration) time.Duration {
	return d + time.Duration((is.cfg.Rand()*0.2-0.1)*float64(d))
}

// cleanup withdraws published challenge responses; failures are logged.
func (is *Issuer) cleanup(ctx context.Context, authzs []Authz, label string) {
	for _, a := range authzs {
		var err error
		switch a.ChallengeType {
		case acme.ChallengeTypeHTTP01:
			err = is.pub.CleanupHTTP(ctx, a.Identifier, a.Token)
		case acme.ChallengeTypeDNS01:
			err = is.pub.CleanupDNS(ctx, label, a.TXTValue)
		}
		if err != nil {
			is.log.Warn("withdrawing a challenge response", "identifier", a.Identifier, "error", err)
		}
	}
}

// Cancel stops an Issuance for good (the hostname moved or was deleted):
// it is marked failed with reason and its challenge responses withdrawn.
// Certificates already issued are not touched. Cancelling a terminal
// Issuance does nothing.
func (is *Issuer) Cancel(ctx context.Context, id, reason string) error {
	for range 3 {
		iss, err := is.orders.GetIssuance(ctx, id)
		if err != nil {
			return fmt.Errorf("cancelling issuance %s: %w", id, err)
		}
		if iss.Step.Terminal() {
			return nil
		}
		authzs := iss.Authzs
		iss.Step = StepFailed
		iss.LastError = "cancelled: " + reason
		iss.UpdatedAt = is.clk.Now()
		err = is.orders.SaveIssuance(ctx, &iss)
		if errors.Is(err, ErrStale) {
			continue
		}
		if err != nil {
			return fmt.Errorf("cancelling issuance %s: %w", id, err)
		}
		is.cleanup(ctx, authzs, iss.DCVLabel)
		return nil
	}
	return fmt.Errorf("cancelling issuance %s: %w", id, ErrStale)
}

// RenewalInfo asks the CA for cert's ARI window (RFC 9773). It returns nil
// and no error when the CA does not offer ARI, and an error when it does
// but the answer is missing or malformed: the caller then falls back to
// its own schedule (threat model B4).
func (is *Issuer) RenewalInfo(ctx context.Context, caName string, cert *x509.Certificate) (*Window, error) {
	ca, err := is.ca(caName)
	if err != nil {
		return nil, err
	}
	if ca.client == nil {
		return nil, nil
	}
	ri, err := ca.client.GetRenewalInfo(ctx, cert)
	if errors.Is(err, acme.ErrUnsupported) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("renewal info from %s: %w", ca.name, err)
	}
	return windowOf(ri), nil
}

func windowOf(ri acme.RenewalInfo) *Window {
	if !ri.HasWindow() {
		return nil
	}
	w := &Window{Start: ri.SuggestedWindow.Start, End: ri.SuggestedWindow.End, ExplanationURL: ri.ExplanationURL}
	if ri.RetryAfter != nil {
		w.RetryAfter = *ri.RetryAfter
	}
	return w
}
