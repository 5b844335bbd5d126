package verify

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// More reasons a status change records (see the Reason constants of
// Decide), for the decisions the scheduler makes beyond Decide.
const (
	ReasonBlocked      = "blocked_by_operator"        // -> blocked
	ReasonConflictLost = "proven_by_another_zone"     // -> moved: another zone proved the name more recently
	ReasonClaimed      = "claimed_by_newer_ownership" // rival -> moved, as the winner activates
)

// The verification errors the scheduler writes itself.
const (
	msgBlocked  = "This hostname is blocked by the operator of this service and cannot be activated."
	msgConflict = "Ownership of this hostname was proven more recently for another account, which serves it now; " +
		"it becomes active here again when that proof is removed."
)

// checked reports whether the scheduler checks hostnames of status st.
func checked(st core.HostnameStatus) bool {
	return st == core.HostnamePending || st == core.HostnameActive || st == core.HostnameMoved
}

// process runs one leased check from start to end: load, blocklist, DNS,
// decision, conflicts, status change, record. It never returns an error:
// what fails is logged, and the check, left leased, runs again when the
// lease expires.
func (s *Scheduler) process(ctx context.Context, c store.CheckState) {
	log := s.d.Log.With("zone_id", c.ZoneID, "hostname_id", c.HostnameID)
	h, err := s.d.Hostnames.GetHostname(ctx, c.ZoneID, c.HostnameID)
	if err != nil {
		if core.AsError(err).Kind != core.KindNotFound {
			log.WarnContext(ctx, "loading a hostname to check", "err", err)
		}
		return // gone: its schedule went with it
	}
	now := s.d.Clock.Now()
	rec := store.CheckRecord{
		ZoneID: c.ZoneID, HostnameID: c.HostnameID, LeaseToken: c.LeaseToken, CheckedAt: now,
		Attempts: c.Attempts + 1, DNSStatus: c.DNSStatus, LastMethod: c.LastMethod,
		ProvenSince: c.ProvenSince, VerificationErrors: h.VerificationErrors,
	}
	if !checked(h.Status) {
		s.record(ctx, log, rec) // unschedule: deleted, blocked and the rest are not checked
		return
	}
	if blocked, err := s.blocked(ctx, h); err != nil {
		log.WarnContext(ctx, "matching a hostname against the blocklist", "err", err)
		return
	} else if blocked {
		s.d.Metrics.check(outcomeBlocked)
		if err := s.d.Hostnames.TransitionHostname(ctx, h.ZoneID, h.ID, h.Status, core.HostnameBlocked, ReasonBlocked); err != nil {
			log.InfoContext(ctx, "blocking a hostname", "err", err)
			return
		}
		rec.VerificationErrors = []string{msgBlocked}
		s.record(ctx, log, rec)
		return
	}
	zone, err := s.d.Hostnames.GetZone(ctx, h.ZoneID)
	if err != nil {
		log.WarnContext(ctx, "loading the zone of a hostname to check", "err", err)
		return
	}

	cctx, cancel := context.WithTimeout(ctx, s.cfg.CheckTimeout)
	r := s.d.Checker.Check(cctx, zone, h)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: an unknown verdict from our own cancellation is no verdict
	}
	s.d.Metrics.check(r.Outcome.String())
	rec.DNSStatus, rec.LastMethod, rec.VerificationErrors = string(r.DNSStatus), string(r.Method), r.Errors
	switch r.Outcome {
	case Proven:
		if rec.ProvenSince.IsZero() {
			rec.ProvenSince = now
		}
	case NotProven:
		rec.ProvenSince = time.Time{}
	}

	d := Decide(h.Status, r, c.PendingSince, c.MovedSince, now)
	var losers []store.NameHolder
	if r.Outcome == Proven {
		var lost bool
		lost, losers, err = s.rivals(ctx, h, rec.ProvenSince)
		if err != nil {
			log.WarnContext(ctx, "looking for other zones holding the name", "err", err)
			return
		}
		if lost {
			d = loseConflict(h.Status, c.PendingSince, c.MovedSince, now)
			rec.VerificationErrors = []string{msgConflict}
		}
	}
	status := h.Status
	if d.Changed {
		err := s.d.Hostnames.TransitionHostname(ctx, h.ZoneID, h.ID, h.Status, d.Status, d.Reason)
		applied := err == nil
		if err != nil {
			// The hostname changed under the check. When a concurrent
			// check (the schedule's, next to a check-now) applied this
			// same verdict, the verdict stands and is recorded: else the
			// superseded check and this one would both record nothing.
			// Any other change (a refresh, an operator) means this verdict
			// is about a state that is gone.
			if cur, gerr := s.d.Hostnames.GetHostname(ctx, h.ZoneID, h.ID); gerr != nil || cur.Status != d.Status {
				log.InfoContext(ctx, "applying a check's verdict", "from", h.Status, "to", d.Status, "err", err)
				return
			}
		}
		status = d.Status
		if applied && status == core.HostnameActive {
			// Only an activation displaces the others; a standing proof
			// re-checked does not, so that a new zone's pending hostname
			// keeps its own schedule until it proves ownership itself.
			s.moveLosers(ctx, log, h, losers, now)
		}
	}
	rec.NextCheckAt = NextCheck(c.ScheduleStartedAt, now, rec.Attempts, status)
	log.DebugContext(ctx, "checked ownership", "hostname", h.Name, "outcome", r.Outcome.String(),
		"method", string(r.Method), "pointing", r.Pointing.String(), "status", string(status), "next_check_at", rec.NextCheckAt)
	s.record(ctx, log, rec)
}

// blocked reports whether the blocklist covers h.
func (s *Scheduler) blocked(ctx context.Context, h core.Hostname) (bool, error) {
	if s.d.Blocklist == nil || !h.Status.CanTransition(core.HostnameBlocked) {
		return false, nil
	}
	entry, err := s.d.Blocklist.MatchBlock(ctx, h.Name)
	return entry != "", err
}

// record stores a check's result. A superseded lease (a refresh restarted
// the schedule meanwhile) is normal: the newer check's result wins.
func (s *Scheduler) record(ctx context.Context, log *slog.Logger, rec store.CheckRecord) {
	err := s.d.Checks.RecordCheck(ctx, rec)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrStale), errors.Is(err, store.ErrNotFound):
		log.DebugContext(ctx, "a check's result was superseded", "err", err)
	default:
		log.WarnContext(ctx, "recording a check", "err", err)
	}
}
