package verify

import (
	"context"
	"log/slog"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// Two zones may hold hostnames of one name (threat A2: a second tenant
// claims a customer's domain). Only proof activates either, and when both
// prove it (the customer moved from one SaaS to another, publishing the new
// one's TXT record while the old CNAME still stands), the one proven most
// recently wins and the other becomes moved.
//
// "Most recently proven" is the start of each hostname's current unbroken
// run of successful proofs (store.CheckState.ProvenSince), not the time of
// its last check: two standing proofs would otherwise take turns winning
// at every check. The winner's proof is the newer one; the loser, still
// proven, stays moved until the winner's proof goes (it then is moved, or
// deleted) or its own proof breaks and starts again. Ties go to the larger
// hostname id, so every node decides alike.

// rivals looks at the other zones' hostnames of h's name, given that h's
// check proved ownership with a run starting at mine. It reports whether a
// rival holds the name with a newer proof (h must not be active), and
// otherwise the rivals h displaces: the active and pending ones.
func (s *Scheduler) rivals(ctx context.Context, h core.Hostname, mine time.Time) (lost bool, losers []store.NameHolder, err error) {
	holders, err := s.d.Checks.NameHolders(ctx, h.Name)
	if err != nil {
		return false, nil, err
	}
	for _, r := range holders {
		if r.ZoneID == h.ZoneID {
			continue
		}
		switch r.Status {
		case core.HostnameActive:
			if newer(r.ProvenSince, r.HostnameID, mine, h.ID) {
				return true, nil, nil
			}
			losers = append(losers, r)
		case core.HostnamePending:
			losers = append(losers, r)
		}
	}
	return false, losers, nil
}

// newer reports whether the run of proofs (a, aID) started after (b, bID).
// A hostname never proven (zero time) is older than any proof.
func newer(a time.Time, aID string, b time.Time, bID string) bool {
	if !a.Equal(b) {
		return a.After(b)
	}
	return aID > bID
}

// loseConflict is the verdict for a hostname whose check proved ownership
// while another zone holds the name with a newer proof: the proof counts
// for nothing here, as if the DNS pointed elsewhere, so a pending one is
// not activated (and times out as usual), an active one is moved, and a
// moved one is deleted after MovedTimeout.
func loseConflict(status core.HostnameStatus, pendingSince, movedSince, now time.Time) Decision {
	d := Decide(status, Result{Outcome: NotProven, Pointing: PointingElsewhere}, pendingSince, movedSince, now)
	if d.Changed && d.Status == core.HostnameMoved && status == core.HostnameActive {
		d.Reason = ReasonConflictLost
	}
	return d
}

// moveLosers moves the rivals h displaced now that it became active, and
// schedules their checks at once, so that each shows why (msgConflict).
// A rival that changed meanwhile is left alone: its own check decides.
func (s *Scheduler) moveLosers(ctx context.Context, log *slog.Logger, h core.Hostname, losers []store.NameHolder, now time.Time) {
	for _, r := range losers {
		err := s.d.Hostnames.TransitionHostname(ctx, r.ZoneID, r.HostnameID, r.Status, core.HostnameMoved, ReasonClaimed)
		if err != nil {
			log.InfoContext(ctx, "moving a hostname another zone proved", "rival_zone_id", r.ZoneID,
				"rival_hostname_id", r.HostnameID, "err", err)
			continue
		}
		if err := s.d.Checks.ScheduleCheck(ctx, r.ZoneID, r.HostnameID, now, false); err != nil {
			log.InfoContext(ctx, "scheduling the check of a displaced hostname", "rival_hostname_id", r.HostnameID, "err", err)
		}
	}
}
