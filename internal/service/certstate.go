package service

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// SSLState is what the managed-certificate lifecycle shows in a hostname's
// ssl object: its status, the records the CA checks and, in plain words,
// why validation failed. The lifecycle (package acme/lifecycle) is the only
// writer; the dialects read it through GetHostname.
type SSLState struct {
	Status            core.SSLStatus
	ValidationRecords []core.ValidationRecord
	ValidationErrors  []string
	// DelegationStatus is the status of the DCV delegation record ("pending"
	// until a DNS-01 validation through it succeeded, then "active"); ""
	// leaves it unchanged.
	DelegationStatus string
}

// maxSSLStateRetries bounds the read-modify-write loop of SetSSLState: each
// retry follows a concurrent write that moved the version on.
const maxSSLStateRetries = 5

// SetSSLState applies st to the hostname's ssl object, by a legal status
// path (see sslPathLegal), as a compare-and-swap on the hostname's version
// retried a few times when a concurrent write interferes. It does nothing
// when the hostname already shows st. A status change is audited and
// reported to the hooks like any other.
func (s *Service) SetSSLState(ctx context.Context, zoneID, id string, st SSLState) error {
	for range maxSSLStateRetries {
		h, err := s.GetHostname(ctx, zoneID, id)
		if err != nil {
			return err
		}
		if hasUploaded(h, s.now()) {
			// An uploaded certificate takes priority: what the managed
			// lifecycle was doing when it arrived no longer shows.
			return nil
		}
		next, changed := withSSLState(h, st)
		if !changed {
			return nil
		}
		if !sslPathLegal(h.SSL.Status, next.SSL.Status) {
			return illegalTransition(core.CheckSSLTransition(h.SSL.Status, next.SSL.Status))
		}
		next.UpdatedAt = s.now()
		err = s.st.UpdateHostname(ctx, next)
		if errors.Is(err, store.ErrStale) {
			continue
		}
		if err != nil {
			return storeError(err, "recording the certificate state of "+h.Name, ReasonHostnameNotFound)
		}
		if h.SSL.Status != next.SSL.Status {
			s.auditHostname(ctx, EventSSLStatus, h, string(h.SSL.Status), string(next.SSL.Status))
		}
		s.changed(ctx, zoneID, id, ChangeStatus)
		return nil
	}
	return storeError(store.ErrStale, "recording a certificate state", ReasonHostnameNotFound)
}

// hasUploaded reports whether h has an unexpired uploaded certificate.
func hasUploaded(h core.Hostname, now time.Time) bool {
	for _, c := range h.SSL.Certificates {
		if c.Source == core.SourceCustom && now.Before(c.ExpiresOn) {
			return true
		}
	}
	return false
}

// withSSLState returns h with st applied, and whether anything changed.
func withSSLState(h core.Hostname, st SSLState) (core.Hostname, bool) {
	next := h
	next.SSL.Status = st.Status
	next.SSL.ValidationRecords = st.ValidationRecords
	next.SSL.ValidationErrors = st.ValidationErrors
	next.SSL.DCVDelegation = slices.Clone(h.SSL.DCVDelegation)
	if st.DelegationStatus != "" {
		for i := range next.SSL.DCVDelegation {
			next.SSL.DCVDelegation[i].Status = st.DelegationStatus
		}
	}
	changed := h.SSL.Status != next.SSL.Status ||
		!slices.EqualFunc(h.SSL.ValidationRecords, next.SSL.ValidationRecords, sameRecord) ||
		!slices.Equal(h.SSL.ValidationErrors, next.SSL.ValidationErrors) ||
		!slices.EqualFunc(h.SSL.DCVDelegation, next.SSL.DCVDelegation, sameRecord)
	return next, changed
}

func sameRecord(a, b core.ValidationRecord) bool {
	return a.TXTName == b.TXTName && a.TXTValue == b.TXTValue && a.HTTPURL == b.HTTPURL &&
		a.HTTPBody == b.HTTPBody && a.CNAME == b.CNAME && a.CNAMETarget == b.CNAMETarget &&
		a.Status == b.Status && slices.Equal(a.Emails, b.Emails)
}

// RetireManagedCertificates removes the hostname's managed certificates
// other than keep (the one just issued), keys included: a renewed
// certificate replaces its predecessor. Uploaded certificates are not
// touched.
func (s *Service) RetireManagedCertificates(ctx context.Context, zoneID, id, keep string) error {
	h, err := s.GetHostname(ctx, zoneID, id)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range h.SSL.Certificates {
		if c.Source != core.SourceManaged || c.ID == keep {
			continue
		}
		err := s.st.DeleteCertificate(ctx, zoneID, id, c.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, storeError(err, "retiring a renewed certificate of "+h.Name, ReasonCertificateNotFound))
			continue
		}
		s.auditCertificate(ctx, EventCertificateDeleted, h, c)
	}
	if len(errs) == 0 {
		s.changed(ctx, zoneID, id, ChangeCertificate)
	}
	return errors.Join(errs...)
}
