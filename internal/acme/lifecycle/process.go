package lifecycle

import (
	"context"
	"crypto/x509"
	"errors"
	"hash/fnv"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// maxStepsPerClaim bounds the steps of one claim; an issuance needs about
// eight, and one that keeps stepping without an end goes back in the queue.
const maxStepsPerClaim = 16

// process works on one claimed record until it waits, ends or fails, and
// mirrors each step into the hostname.
func (m *Manager) process(ctx context.Context, iss acme.Issuance) {
	defer func() {
		// The lease is released with a fresh context: a shutdown that
		// cancelled ctx should not leave the record reserved for LeaseFor.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := m.st.ReleaseIssuance(rctx, iss.ID, m.cfg.Owner); err != nil {
			m.log.DebugContext(ctx, "releasing a certificate order", "issuance_id", iss.ID, "err", err)
		}
	}()
	log := m.log.With("zone_id", iss.ZoneID, "hostname_id", iss.HostnameID, "issuance_id", iss.ID)
	h, err := m.host.GetHostname(ctx, iss.ZoneID, iss.HostnameID)
	if isNotFound(err) {
		_ = m.cancel(ctx, iss, "the hostname was deleted")
		return
	}
	if err != nil {
		log.WarnContext(ctx, "reading the hostname of a certificate order", "err", err)
		return
	}
	if why := noManagedCertificate(h, m.clk.Now()); why != "" {
		if err := m.cancel(ctx, iss, why); err != nil {
			log.WarnContext(ctx, "cancelling a certificate order", "err", err)
		}
		return
	}
	if iss.Step == acme.StepNew {
		if !store.EdgeServes(h.Status) {
			// Not proven (yet): no order. A hostname that becomes active
			// pulls this forward through its hook.
			m.postpone(ctx, iss, m.clk.Now().Add(m.cfg.WaitRecheck))
			return
		}
		if isRenewal(iss) {
			if at, wait := m.renewalWait(ctx, h, iss); wait {
				m.postpone(ctx, iss, at)
				return
			}
		}
		if ready := m.httpReady(ctx, h); ready != iss.HTTPReady {
			iss.HTTPReady = ready
			if err := m.st.SaveIssuance(ctx, &iss); err != nil {
				log.DebugContext(ctx, "recording that the hostname points at us", "err", err)
				return
			}
		}
	}

	for range maxStepsPerClaim {
		err := m.eng.Step(ctx, iss.ID)
		cur, gerr := m.st.GetIssuance(ctx, iss.ID)
		if gerr != nil {
			if !errors.Is(gerr, acme.ErrNotFound) && ctx.Err() == nil {
				log.WarnContext(ctx, "reading a certificate order", "err", gerr)
			}
			return
		}
		switch {
		case err == nil && cur.Step == acme.StepDone:
			m.finish(ctx, h, cur)
			return
		case err == nil:
			m.mirror(ctx, h, cur)
			continue
		case errors.Is(err, acme.ErrPostponed):
			m.mirror(ctx, h, cur)
			return
		case errors.Is(err, acme.ErrFailed):
			m.failed(ctx, h, cur)
			return
		default:
			if ctx.Err() == nil && !errors.Is(err, acme.ErrStale) {
				log.WarnContext(ctx, "certificate order step", "err", err)
			}
			return
		}
	}
}

// postpone moves a record at step new to at.
func (m *Manager) postpone(ctx context.Context, iss acme.Issuance, at time.Time) {
	iss.NextAttemptAt = at
	iss.UpdatedAt = m.clk.Now()
	if err := m.st.SaveIssuance(ctx, &iss); err != nil && !errors.Is(err, acme.ErrStale) {
		m.log.WarnContext(ctx, "postponing a certificate order", "issuance_id", iss.ID, "err", err)
	}
}

// renewalWait asks the CA's ARI when to renew and reports whether to wait,
// and until when: at most ARIPoll when the CA offers ARI (or could not be
// asked), so that it is asked again; the record's own schedule otherwise.
func (m *Manager) renewalWait(ctx context.Context, h core.Hostname, iss acme.Issuance) (time.Time, bool) {
	now := m.clk.Now()
	_, leaf := currentManaged(h, now)
	if leaf == nil {
		return time.Time{}, false // nothing to renew any more: order at once
	}
	w, err := m.eng.RenewalInfo(ctx, iss.CA, leaf)
	if err != nil {
		m.log.InfoContext(ctx, "no renewal information from the CA; using Portico's schedule", "hostname", h.Name, "err", err)
		w = nil
	}
	at := acme.RenewalTime(leaf, w, renewRand(leaf), now)
	if !at.After(now) {
		return time.Time{}, false
	}
	if w == nil && err == nil {
		return at, true // the CA has no ARI: nothing to poll
	}
	next := minTime(at, now.Add(m.cfg.ARIPoll))
	if w != nil && w.RetryAfter.After(now) && w.RetryAfter.Before(next) {
		next = w.RetryAfter
	}
	return next, true
}

// renewRand is the point of the renewal window where leaf is renewed, in
// [0, 1): drawn from its serial number rather than at random, so that each
// look at the schedule (every ARI poll) finds the same time, while
// certificates issued together still spread over the window.
func renewRand(leaf *x509.Certificate) float64 {
	h := fnv.New64a()
	_, _ = h.Write(leaf.SerialNumber.Bytes())
	return float64(h.Sum64()>>11) / (1 << 53)
}

// httpReady reports whether HTTP-01 can work for h now: its method is http,
// or verification found it pointing at the edge (a CNAME to the target or
// the HTTP token answered by the edge).
func (m *Manager) httpReady(ctx context.Context, h core.Hostname) bool {
	if h.SSL.Method != core.DCVTXT {
		return true
	}
	if m.chk == nil {
		return false
	}
	c, err := m.chk.GetCheck(ctx, h.ZoneID, h.ID)
	if err != nil {
		return false
	}
	return c.LastMethod == "cname" || c.LastMethod == "http"
}

// mirror shows the record's progress in the hostname's ssl object.
func (m *Manager) mirror(ctx context.Context, h core.Hostname, iss acme.Issuance) {
	st := service.SSLState{ValidationRecords: iss.ValidationRecords, ValidationErrors: iss.ValidationErrors}
	if _, leaf := currentManaged(h, m.clk.Now()); leaf != nil {
		st.Status = core.SSLActive // a renewal in progress: the certificate still serves
	} else {
		st.Status = iss.Step.SSLStatus()
		if iss.Step == acme.StepNew && iss.Attempts > 0 {
			st.Status = core.SSLPendingValidation // backing off after a failed validation
		}
	}
	if err := m.host.SetSSLState(ctx, h.ZoneID, h.ID, st); err != nil && !isNotFound(err) {
		m.log.WarnContext(ctx, "showing certificate progress", "hostname", h.Name, "err", err)
	}
}

// finish deploys a committed certificate: the hostname shows it active, the
// certificate it replaces is retired, and its renewal is scheduled.
func (m *Manager) finish(ctx context.Context, h core.Hostname, iss acme.Issuance) {
	log := m.log.With("hostname", h.Name, "issuance_id", iss.ID)
	_, old := currentManaged(h, m.clk.Now())
	st := service.SSLState{Status: core.SSLActive}
	for _, a := range iss.Authzs {
		if a.ChallengeType == "dns-01" {
			st.DelegationStatus = "active"
		}
	}
	if err := m.host.SetSSLState(ctx, h.ZoneID, h.ID, st); err != nil && !isNotFound(err) {
		log.WarnContext(ctx, "marking the certificate active", "err", err)
	}
	if err := m.host.RetireManagedCertificates(ctx, h.ZoneID, h.ID, iss.Result.CertificateID); err != nil && !isNotFound(err) {
		log.WarnContext(ctx, "retiring the renewed certificate", "err", err)
	}
	kind := EventIssued
	if old != nil {
		kind = EventRenewed
	}
	log.InfoContext(ctx, "certificate "+kind, "serial", iss.Result.SerialNumber, "expires_on", iss.Result.NotAfter)
	if m.ev != nil {
		m.ev.CertificateEvent(ctx, h, kind, iss)
	}
	leaf := parseLeaf(iss.Result.ChainPEM)
	if leaf == nil {
		log.ErrorContext(ctx, "the committed certificate does not parse; no renewal scheduled")
		return
	}
	want := m.desired(h)
	want.Identifiers = iss.Identifiers
	want.Method, want.CA, want.DCVLabel = iss.Method, iss.CA, iss.DCVLabel
	want.HTTPFailed = iss.HTTPFailed
	if err := m.createRenewal(ctx, h, want, leaf, iss.Result.ARI, time.Time{}); err != nil {
		log.WarnContext(ctx, "scheduling the renewal", "err", err)
	}
}

// failed handles a record that will not be tried again: the customer sees
// why, and a certificate that has run out is ordered afresh after
// FailedRetry (a renewal fails for good only once its deadline, the old
// certificate's expiry, has passed).
func (m *Manager) failed(ctx context.Context, h core.Hostname, iss acme.Issuance) {
	now := m.clk.Now()
	log := m.log.With("hostname", h.Name, "issuance_id", iss.ID)
	log.WarnContext(ctx, "certificate order failed", "reason", iss.LastError)
	if m.ev != nil {
		m.ev.CertificateEvent(ctx, h, EventFailed, iss)
	}
	if _, leaf := currentManaged(h, now); leaf != nil {
		// Failed while a certificate still serves: keep it, and try its
		// renewal again after FailedRetry (not at once: what failed for
		// good, a configuration, would only fail again).
		m.mirror(ctx, h, iss)
		want := m.desired(h)
		if err := m.createRenewal(ctx, h, want, leaf, nil, now.Add(m.cfg.FailedRetry)); err != nil {
			log.WarnContext(ctx, "rescheduling the renewal", "err", err)
		}
		return
	}
	st := service.SSLState{Status: core.SSLValidationTimedOut, ValidationRecords: iss.ValidationRecords, ValidationErrors: iss.ValidationErrors}
	if iss.OrderURL == "" {
		st.Status = core.SSLInitializingTimedOut // it never reached the CA (configuration)
	}
	if isRenewal(iss) {
		st.Status = core.SSLExpired
		want := m.desired(h)
		want.NextAttemptAt = now.Add(m.cfg.FailedRetry)
		if err := m.create(ctx, h, want); err != nil {
			log.WarnContext(ctx, "ordering a replacement for an expired certificate", "err", err)
		}
	}
	if len(st.ValidationErrors) == 0 && iss.LastError != "" {
		st.ValidationErrors = []string{"The certificate could not be issued; Portico will not retry until the hostname is refreshed."}
	}
	if err := m.host.SetSSLState(ctx, h.ZoneID, h.ID, st); err != nil && !isNotFound(err) {
		log.WarnContext(ctx, "showing the failed certificate order", "err", err)
	}
}
