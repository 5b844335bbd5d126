package verify

import (
	"time"

	"github.com/porticohq/portico/internal/core"
)

// The schedule: a pending hostname is checked at once and then 1, 2, 3, 5,
// 10, 15, 30 and 60 minutes after it was created (or refreshed), when a
// customer who just changed DNS is most likely to be waiting; after that, as
// active and moved hostnames are, every RecheckInterval. Over the 7 days a
// pending hostname lives that is 9 + 56 = 65 checks, within the 75 that
// Cloudflare spreads over the same time.
var earlyChecks = [...]time.Duration{
	0, 1 * time.Minute, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute,
	10 * time.Minute, 15 * time.Minute, 30 * time.Minute, 60 * time.Minute,
}

const (
	// RecheckInterval is the rhythm of checks after the first hour.
	RecheckInterval = 3 * time.Hour
	// PendingTimeout is how long a hostname may stay pending unproven
	// before it becomes moved.
	PendingTimeout = 7 * 24 * time.Hour
	// MovedTimeout is how long a hostname may stay moved before it becomes
	// deleted.
	MovedTimeout = 7 * 24 * time.Hour
)

// NextCheck returns when the hostname should next be checked, or the zero
// time when its status is not checked at all (deleted, blocked, the test
// and migration statuses).
//
// start is when the hostname was created or last put back to pending;
// lastCheck is when it was last checked (zero if never); attempt counts the
// checks since start. A pending hostname gets the next early check that is
// both at or beyond attempt and after lastCheck, so a scheduler that was
// down does not fire the missed ones in a burst; after the early checks, and
// for active and moved hostnames, the next check is RecheckInterval after
// the last. A hostname never checked is due at start.
func NextCheck(start, lastCheck time.Time, attempt int, status core.HostnameStatus) time.Time {
	switch status {
	case core.HostnamePending, core.HostnameActive, core.HostnameMoved:
	default:
		return time.Time{}
	}
	if lastCheck.IsZero() {
		return start
	}
	if status == core.HostnamePending {
		for i := max(attempt, 0); i < len(earlyChecks); i++ {
			if t := start.Add(earlyChecks[i]); t.After(lastCheck) {
				return t
			}
		}
	}
	return lastCheck.Add(RecheckInterval)
}

// The reasons a Decision gives, stable codes for audit events and logs.
const (
	ReasonProven         = "ownership_proven"   // pending or moved -> active
	ReasonPendingExpired = "not_proven_in_time" // pending -> moved after PendingTimeout
	ReasonLeft           = "dns_no_longer_here" // active -> moved
	ReasonMovedExpired   = "moved_too_long"     // moved -> deleted after MovedTimeout
	ReasonUnavailable    = "dns_unavailable"    // no change: the check could not be done
	ReasonNoChange       = ""                   // no change: nothing to do
)

// Decision is what a check result means for a hostname's status.
type Decision struct {
	Status  core.HostnameStatus // the status to set; the current one when !Changed
	Changed bool
	Reason  string // one of the Reason constants
}

// Decide applies a check result to a hostname's status. pendingSince is when
// it became pending (created or refreshed), movedSince when it became moved;
// each matters only in that status, and a zero one never expires anything.
// Every change it returns is legal under core's transition table; the
// caller applies it as a compare-and-swap on the current status.
//
// The rules:
//   - An Unknown result changes nothing, ever: a DNS outage of any length
//     is not evidence that the customer left (threats A6, F7).
//   - pending: Proven -> active; not proven for PendingTimeout -> moved.
//   - active: -> moved when no proof holds any more and the DNS, known,
//     points elsewhere. A hostname whose TXT or HTTP proof still stands stays
//     active although its DNS points elsewhere: that is Cloudflare's
//     pre-validation, where the customer proves ownership first and moves
//     traffic later; moving it would have it flap between active and moved
//     on every check. A customer who leaves removes the CNAME and the token,
//     or points the CNAME at someone else and the token check then fails.
//   - moved: Proven -> active; not proven for MovedTimeout -> deleted.
//   - Any other status is left alone.
func Decide(status core.HostnameStatus, r Result, pendingSince, movedSince, now time.Time) Decision {
	stay := Decision{Status: status, Reason: ReasonNoChange}
	if r.Outcome == Unknown {
		stay.Reason = ReasonUnavailable
		return stay
	}
	to := func(next core.HostnameStatus, reason string) Decision {
		return Decision{Status: next, Changed: true, Reason: reason}
	}
	switch status {
	case core.HostnamePending:
		if r.Outcome == Proven {
			return to(core.HostnameActive, ReasonProven)
		}
		if expired(pendingSince, PendingTimeout, now) {
			return to(core.HostnameMoved, ReasonPendingExpired)
		}
	case core.HostnameActive:
		if r.Outcome == NotProven && r.Pointing == PointingElsewhere {
			return to(core.HostnameMoved, ReasonLeft)
		}
	case core.HostnameMoved:
		if r.Outcome == Proven {
			return to(core.HostnameActive, ReasonProven)
		}
		if expired(movedSince, MovedTimeout, now) {
			return to(core.HostnameDeleted, ReasonMovedExpired)
		}
	}
	return stay
}

// expired reports whether at least d has passed since t; the boundary
// itself counts as expired. A zero t never expires.
func expired(since time.Time, d time.Duration, now time.Time) bool {
	return !since.IsZero() && !now.Before(since.Add(d))
}
