package service

import (
	"context"
	"errors"

	"github.com/porticohq/portico/internal/core"
)

// SetHostnameStatus moves a hostname from one status to another, for the
// subsystems that decide statuses (verification, operators). The change
// must be legal in core's transition table and is applied as a
// compare-and-swap: when the status is no longer from, nothing changes and
// the error is a KindConflict (concurrent_update). It is
// TransitionHostname without a reason.
func (s *Service) SetHostnameStatus(ctx context.Context, zoneID, id string, from, to core.HostnameStatus) error {
	return s.TransitionHostname(ctx, zoneID, id, from, to, "")
}

// SetSSLStatus is SetHostnameStatus for the certificate status.
func (s *Service) SetSSLStatus(ctx context.Context, zoneID, id string, from, to core.SSLStatus) error {
	if err := core.CheckSSLTransition(from, to); err != nil {
		return illegalTransition(err)
	}
	h, err := s.GetHostname(ctx, zoneID, id)
	if err != nil {
		return err
	}
	h.SSL.Status = from
	if err := s.setSSLStatus(ctx, h, to); err != nil {
		return err
	}
	s.changed(ctx, zoneID, h.ID, ChangeStatus)
	return nil
}

// setSSLStatus moves h's certificate status from h.SSL.Status to to (by a
// legal path, see sslPathLegal) and audits it.
func (s *Service) setSSLStatus(ctx context.Context, h core.Hostname, to core.SSLStatus) error {
	from := h.SSL.Status
	if !sslPathLegal(from, to) {
		return illegalTransition(core.CheckSSLTransition(from, to))
	}
	if err := s.st.SetSSLStatus(ctx, h.ZoneID, h.ID, from, to, s.now()); err != nil {
		return storeError(err, "changing the certificate status of "+h.Name, ReasonHostnameNotFound)
	}
	s.auditHostname(ctx, EventSSLStatus, h, string(from), string(to))
	return nil
}

// sslPathLegal reports whether a certificate may go from one status to
// another, directly or by restarting: a request that restarts validation or
// uploads a certificate is "back to initializing, then on", and the table
// has no direct edge from, say, pending_validation to active.
func sslPathLegal(from, to core.SSLStatus) bool {
	if from == to || from.CanTransition(to) {
		return true
	}
	return from.CanTransition(core.SSLInitializing) && core.SSLInitializing.CanTransition(to)
}

// illegalTransition reports a status change the transition table forbids.
func illegalTransition(err error) error {
	var te *core.TransitionError
	if !errors.As(err, &te) {
		return err
	}
	return &core.Error{Kind: core.KindConflict, Reason: ReasonIllegalStatusChange,
		Public: "The custom hostname cannot change from " + te.From + " to " + te.To + " now.", Err: err}
}
