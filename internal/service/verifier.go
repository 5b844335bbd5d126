package service

import (
	"context"
	"errors"
	"time"

	"github.com/porticohq/portico/internal/store"
)

// Verifier checks a hostname's ownership now: the verification scheduler.
// The service calls it on a refresh (an ssl object in a PATCH, the other
// dialect's verify endpoint), so that the reply already shows the verdict.
//
// CheckNow restarts the hostname's check schedule, runs one check and
// applies its verdict before it returns (through TransitionHostname). It
// MUST bound its own duration (a DNS server that does not answer costs at
// most its check timeout) and be safe for concurrent use. Its error is
// about the check's bookkeeping; a check that could not reach DNS is not an
// error, it changes nothing.
type Verifier interface {
	CheckNow(ctx context.Context, zoneID, hostnameID string) error
}

type verifierHolder struct{ v Verifier }

// SetVerifier installs the verifier (nil removes it). Without one, a
// refresh only restarts validation, and the status changes later.
func (s *Service) SetVerifier(v Verifier) {
	if v == nil {
		s.verifier.Store(nil)
		return
	}
	s.verifier.Store(&verifierHolder{v: v})
}

// verifyNow runs the verifier, if any. A failure is logged, not returned:
// the edit it follows is committed, and the schedule checks again soon.
func (s *Service) verifyNow(ctx context.Context, zoneID, id string) {
	vh := s.verifier.Load()
	if vh == nil {
		return
	}
	if err := vh.v.CheckNow(ctx, zoneID, id); err != nil {
		s.log.WarnContext(ctx, "checking ownership after a refresh", "zone_id", zoneID, "hostname_id", id, "err", err)
	}
}

// Verification is what the last ownership check of a hostname found, for
// the dialects that show it (the SaaS Custom Domains DNS status).
type Verification struct {
	// DNSStatus is "valid", "pending" (could not check; retried) or
	// "invalid"; "" before the first check.
	DNSStatus   string
	LastCheckAt time.Time // zero before the first check
	NextCheckAt time.Time // zero when no check is scheduled
	// Method is the proof that last succeeded: txt, cname or http.
	Method string
}

// HostnameVerification returns the verification state of a hostname of
// the zone.
func (s *Service) HostnameVerification(ctx context.Context, zoneID, id string) (Verification, error) {
	h, err := s.GetHostname(ctx, zoneID, id)
	if err != nil {
		return Verification{}, err
	}
	checks, ok := s.st.(store.Checks)
	if !ok {
		return Verification{}, errors.New("the store keeps no check schedule")
	}
	c, err := checks.GetCheck(ctx, zoneID, h.ID)
	if err != nil {
		return Verification{}, storeError(err, "reading the check state of "+h.Name, ReasonHostnameNotFound)
	}
	v := Verification{DNSStatus: c.DNSStatus, LastCheckAt: c.LastCheckAt, Method: c.LastMethod}
	if c.LeasedUntil.IsZero() {
		v.NextCheckAt = c.NextCheckAt
	}
	return v, nil
}
