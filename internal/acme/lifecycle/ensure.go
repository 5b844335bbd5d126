package lifecycle

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	acmeproto "github.com/mholt/acmez/v3/acme"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// Ensure brings the hostname's certificate work in line with the hostname:
// a live record when it needs a managed certificate (due now when the
// hostname is served), none when it does not. reason is the hook's change
// reason (service.Change*); a revalidation may restart a failed record.
func (m *Manager) Ensure(ctx context.Context, zoneID, id, reason string) error {
	h, err := m.host.GetHostname(ctx, zoneID, id)
	if isNotFound(err) {
		return nil // the store removed its records with it
	}
	if err != nil {
		return err
	}
	recs, err := m.st.HostnameIssuances(ctx, zoneID, id, 5)
	if err != nil {
		return fmt.Errorf("reading the certificate work of %s: %w", h.Name, err)
	}
	live := liveOf(recs)
	if why := noManagedCertificate(h, m.clk.Now()); why != "" {
		if live != nil {
			return m.cancel(ctx, *live, why)
		}
		return nil
	}
	want := m.desired(h)
	if live != nil && !sameRequest(*live, want) {
		if err := m.cancel(ctx, *live, "the hostname's certificate settings changed"); err != nil {
			return err
		}
		live = nil
	}
	now := m.clk.Now()
	if live != nil {
		pull := live.Step == acme.StepNew && !isRenewal(*live) && live.NextAttemptAt.After(now) &&
			store.EdgeServes(h.Status) && (live.Attempts == 0 || reason == service.ChangeRevalidate)
		if !pull {
			return nil
		}
		live.NextAttemptAt = now
		live.UpdatedAt = now
		if err := m.st.SaveIssuance(ctx, live); err != nil && !errors.Is(err, acme.ErrStale) {
			return fmt.Errorf("bringing the certificate order of %s forward: %w", h.Name, err)
		}
		m.Kick()
		return nil
	}

	// No live record. A hostname whose managed certificate is still good
	// needs its renewal record (lost in a crash, or cancelled while the
	// hostname was moved).
	if c, leaf := currentManaged(h, now); leaf != nil && covers(c, want.Identifiers) {
		return m.createRenewal(ctx, h, want, leaf, nil, time.Time{})
	}
	// Do not restart what failed for good on every status change: only a
	// refresh (or a creation) does.
	if len(recs) > 0 && recs[0].Step == acme.StepFailed && !strings.HasPrefix(recs[0].LastError, "cancelled:") &&
		reason != service.ChangeRevalidate && reason != service.ChangeCreated && now.Sub(recs[0].UpdatedAt) < 24*time.Hour {
		return nil
	}
	if !store.EdgeServes(h.Status) {
		// Not proven: no record yet. The status change that activates
		// it comes back here (a hook), and a restart reconciles what a
		// crash lost (Reconcile).
		return nil
	}
	want.NextAttemptAt = now
	return m.create(ctx, h, want)
}

// reconcilePage is how many hostnames Reconcile reads at a time.
const reconcilePage = 500

// Reconcile runs Ensure for every active hostname whose certificate is not
// active: what a hook lost to a crash (a status change committed, the
// process gone before the record was created) is found at the next start.
// It reads only those hostnames, a page at a time.
func (m *Manager) Reconcile(ctx context.Context) error {
	zones, err := m.host.ListZones(ctx)
	if err != nil {
		return fmt.Errorf("listing zones: %w", err)
	}
	notActive := false
	for _, z := range zones {
		for offset := 0; ; offset += reconcilePage {
			page, err := m.host.ListHostnames(ctx, z.ID, service.ListOptions{
				Filter: service.HostnameFilter{HostnameStatus: core.HostnameActive, HasActiveSSL: &notActive},
				Offset: offset, Limit: reconcilePage,
			})
			if err != nil {
				return fmt.Errorf("listing hostnames of zone %s: %w", z.ID, err)
			}
			for _, h := range page.Hostnames {
				if err := m.Ensure(ctx, z.ID, h.ID, ""); err != nil {
					m.log.WarnContext(ctx, "reconciling certificate work", "hostname", h.Name, "err", err)
				}
			}
			if len(page.Hostnames) < reconcilePage {
				break
			}
		}
	}
	return nil
}

// desired is the first-issuance record h needs, without ID and times.
func (m *Manager) desired(h core.Hostname) acme.Issuance {
	ids := []string{h.Name}
	if h.SSL.Wildcard && !h.IsWildcard() {
		ids = append(ids, "*."+h.Name)
	}
	method := h.SSL.Method
	if method != core.DCVTXT {
		method = core.DCVHTTP
	}
	return acme.Issuance{
		ZoneID: h.ZoneID, HostnameID: h.ID, Identifiers: ids, Method: method,
		DCVLabel: h.SSL.DCVLabel, CA: m.cfg.ResolveCA(h.SSL.CertificateAuthority), Step: acme.StepNew,
	}
}

// sameRequest reports whether a live record asks for what want asks for.
func sameRequest(live, want acme.Issuance) bool {
	return slices.Equal(live.Identifiers, want.Identifiers) && live.Method == want.Method &&
		live.CA == want.CA && live.DCVLabel == want.DCVLabel
}

func (m *Manager) create(ctx context.Context, h core.Hostname, iss acme.Issuance) error {
	now := m.clk.Now()
	iss.ID = ident.UUID()
	iss.CreatedAt, iss.UpdatedAt = now, now
	err := m.st.CreateIssuance(ctx, &iss)
	if errors.Is(err, acme.ErrConflict) {
		return nil // another node (or hook) created it
	}
	if err != nil {
		return fmt.Errorf("creating the certificate order of %s: %w", h.Name, err)
	}
	if !iss.NextAttemptAt.After(now) {
		m.Kick()
	}
	return nil
}

// createRenewal schedules the renewal of leaf, h's certificate, at
// acme.RenewalTime (or at the next ARI poll, whichever comes first), never
// before notBefore.
func (m *Manager) createRenewal(ctx context.Context, h core.Hostname, want acme.Issuance, leaf *x509.Certificate, ari *acme.Window, notBefore time.Time) error {
	now := m.clk.Now()
	if len(leaf.AuthorityKeyId) > 0 {
		want.Replaces, _ = acmeproto.ARIUniqueIdentifier(leaf)
	}
	want.Deadline = leaf.NotAfter
	// The first look comes at the next ARI poll at the latest: it learns
	// whether the CA offers ARI, and a CA without it is not asked again.
	want.NextAttemptAt = minTime(acme.RenewalTime(leaf, ari, renewRand(leaf), now), now.Add(m.cfg.ARIPoll))
	if want.NextAttemptAt.Before(notBefore) {
		want.NextAttemptAt = notBefore
	}
	return m.create(ctx, h, want)
}

func (m *Manager) cancel(ctx context.Context, iss acme.Issuance, reason string) error {
	if err := m.eng.Cancel(ctx, iss.ID, reason); err != nil && !errors.Is(err, acme.ErrNotFound) {
		return err
	}
	return nil
}

// noManagedCertificate says why h needs no managed certificate work now,
// or "" when it does: retired hostnames and hostnames with an uploaded
// certificate (which takes priority) get none.
func noManagedCertificate(h core.Hostname, now time.Time) string {
	switch h.Status {
	case core.HostnameMoved, core.HostnameDeleted, core.HostnameBlocked, core.HostnamePendingDeletion,
		core.HostnamePendingBlocked, core.HostnameTestBlocked:
		return "the hostname is " + string(h.Status)
	}
	for _, c := range h.SSL.Certificates {
		if c.Source == core.SourceCustom && now.Before(c.ExpiresOn) {
			return "an uploaded certificate is deployed"
		}
	}
	return ""
}

// currentManaged returns h's newest managed certificate that has not
// expired at now, parsed; a nil leaf when there is none.
func currentManaged(h core.Hostname, now time.Time) (core.Certificate, *x509.Certificate) {
	for _, c := range h.SSL.Certificates {
		if c.Source != core.SourceManaged || !now.Before(c.ExpiresOn) {
			continue
		}
		if leaf := parseLeaf(c.ChainPEM); leaf != nil {
			return c, leaf
		}
	}
	return core.Certificate{}, nil
}

func parseLeaf(chain []byte) *x509.Certificate {
	block, _ := pem.Decode(chain)
	if block == nil {
		return nil
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil
	}
	return leaf
}

// covers reports whether c's names include every identifier.
func covers(c core.Certificate, ids []string) bool {
	for _, id := range ids {
		if !slices.Contains(c.Hosts, id) {
			return false
		}
	}
	return true
}

func liveOf(recs []acme.Issuance) *acme.Issuance {
	for i := range recs {
		if !recs[i].Step.Terminal() {
			return &recs[i]
		}
	}
	return nil
}

// isRenewal reports whether iss renews a certificate: it has the old
// certificate's expiry as its deadline.
func isRenewal(iss acme.Issuance) bool { return !iss.Deadline.IsZero() }

func isNotFound(err error) bool {
	var ce *core.Error
	return errors.As(err, &ce) && ce.Kind == core.KindNotFound || errors.Is(err, store.ErrNotFound)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
