package service

import (
	"context"
	"errors"
	"log/slog"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// TransitionRefreshed is the reason recorded when a refresh (an ssl object
// in a PATCH) brings a moved or deleted hostname back to pending.
const TransitionRefreshed = "refreshed"

// TransitionHostname moves a hostname from one status to another, as
// SetHostnameStatus does, and records reason (a stable code such as
// "ownership_proven") in the audit event. A hostname that becomes deleted
// or blocked loses its certificates and their keys at once: neither status
// is served again without a new certificate, and a private key kept for a
// name nobody holds is only a liability. The row stays, so that a deleted
// hostname can be refreshed back to pending as on Cloudflare.
func (s *Service) TransitionHostname(ctx context.Context, zoneID, id string, from, to core.HostnameStatus, reason string) error {
	if err := core.CheckHostnameTransition(from, to); err != nil {
		return illegalTransition(err)
	}
	h, err := s.GetHostname(ctx, zoneID, id)
	if err != nil {
		return err
	}
	if err := s.st.SetHostnameStatus(ctx, zoneID, h.ID, from, to, s.now()); err != nil {
		return storeError(err, "changing the status of "+h.Name, ReasonHostnameNotFound)
	}
	s.statusChanged(ctx, h, from, to, reason)
	if to == core.HostnameDeleted || to == core.HostnameBlocked {
		s.purgeCertificates(ctx, h, reason)
	}
	s.changed(ctx, zoneID, h.ID, ChangeStatus)
	return nil
}

// statusChanged audits a committed status change of h, reports it to
// Config.OnTransition and emits its event.
func (s *Service) statusChanged(ctx context.Context, h core.Hostname, from, to core.HostnameStatus, reason string) {
	var extra []slog.Attr
	if reason != "" {
		extra = append(extra, slog.String("reason", reason))
	}
	s.auditHostname(ctx, EventHostnameStatus, h, string(from), string(to), extra...)
	if s.cfg.OnTransition != nil {
		s.cfg.OnTransition(from, to)
	}
	s.emitHostname(ctx, statusEventType(to), h, from, to, reason)
}

// purgeCertificates removes every certificate of h (keys included) and
// marks its certificate status deleted. Failures are logged, not returned:
// the status change they follow is committed, and the next transition or
// an operator can finish the job.
func (s *Service) purgeCertificates(ctx context.Context, h core.Hostname, reason string) {
	for _, c := range h.SSL.Certificates {
		err := s.st.DeleteCertificate(ctx, h.ZoneID, h.ID, c.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.ErrorContext(ctx, "purging a certificate", "zone_id", h.ZoneID, "hostname_id", h.ID,
				"certificate_id", c.ID, "err", err)
			continue
		}
		s.auditCertificate(ctx, EventCertificateDeleted, h, c)
	}
	if h.SSL.Status == core.SSLDeleted || !h.SSL.Status.CanTransition(core.SSLDeleted) {
		return
	}
	if err := s.st.SetSSLStatus(ctx, h.ZoneID, h.ID, h.SSL.Status, core.SSLDeleted, s.now()); err != nil {
		s.log.WarnContext(ctx, "marking the certificate of a retired hostname deleted", "zone_id", h.ZoneID,
			"hostname_id", h.ID, "err", err)
		return
	}
	s.auditHostname(ctx, EventSSLStatus, h, string(h.SSL.Status), string(core.SSLDeleted), slog.String("reason", reason))
}
