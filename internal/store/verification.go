package store

import (
	"context"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// CheckState is the verification bookkeeping of one hostname: its place in
// the check schedule, what the last check found, and the lease of a check
// in progress. Zero times are unset.
type CheckState struct {
	ZoneID     string
	HostnameID string
	// NextCheckAt is when the next check is due; zero when the hostname is
	// not scheduled. While a check is leased it is the lease's end.
	NextCheckAt time.Time
	// Attempts counts the checks since ScheduleStartedAt.
	Attempts int
	// ScheduleStartedAt is when the hostname was created or last refreshed:
	// the early checks (1, 2, 3, 5 ... 60 minutes) count from it.
	ScheduleStartedAt time.Time
	LastCheckAt       time.Time
	// DNSStatus is the last check's verdict in the SaaS Custom Domains
	// vocabulary (valid, pending, invalid); "" before the first check.
	DNSStatus string
	// LastMethod is the proof that last succeeded (txt, cname, http), "" if
	// the last check proved nothing.
	LastMethod string
	// PendingSince and MovedSince are when the hostname last became pending
	// or moved; the store stamps them on every status change.
	PendingSince, MovedSince time.Time
	// ProvenSince is when the current unbroken run of successful proofs
	// began; zero when the last definite check proved nothing. Of two zones
	// holding one name, the one proven more recently wins.
	ProvenSince time.Time

	LeasedUntil time.Time
	LeaseOwner  string
	// LeaseToken fences a lease: RecordCheck succeeds only with the token
	// of the latest claim.
	LeaseToken int64
}

// CheckRecord is the result of one leased check, as RecordCheck stores it.
type CheckRecord struct {
	ZoneID     string
	HostnameID string
	LeaseToken int64 // from the claim; the write is refused when superseded
	CheckedAt  time.Time
	// NextCheckAt is when the next check is due; zero unschedules.
	NextCheckAt time.Time
	Attempts    int
	DNSStatus   string
	LastMethod  string
	ProvenSince time.Time
	// VerificationErrors replace the hostname's verification_errors (and
	// bump its version) when they differ from the stored ones.
	VerificationErrors []string
}

// NameHolder is one hostname of a given name, in any zone.
type NameHolder struct {
	ZoneID      string
	HostnameID  string
	Status      core.HostnameStatus
	ProvenSince time.Time
}

// Checks is the schedule of ownership checks. Both stores implement it
// next to Store; the verification scheduler is its only writer besides the
// store's own triggers.
//
// The schedule is in the database so that it survives restarts and is
// shared by every node. Each scheduled check runs once: a claim leases it
// (ClaimDueChecks, ClaimCheck) to one worker, and the lease's token fences
// the result (RecordCheck), so that a worker whose lease was superseded by a
// restart or stolen after expiry cannot overwrite newer state.
// Hostname creation schedules the first check by itself (due at once), and
// a status change back to pending, active or moved schedules a hostname
// that was not scheduled.
//
// Implementations MUST be safe for concurrent use by several processes on
// one database, honour ctx, and scope every (zoneID, id) lookup to the zone
// (ErrNotFound otherwise).
type Checks interface {
	// ClaimDueChecks leases up to limit checks due at or before now (the
	// earliest due first) to owner for leaseFor, and returns them, in no
	// particular order, with their new LeaseToken. Concurrent claimers, in this process or another, never
	// receive the same check while its lease runs.
	ClaimDueChecks(ctx context.Context, now time.Time, limit int, owner string, leaseFor time.Duration) ([]CheckState, error)
	// ClaimCheck leases one hostname's check now, due or not, superseding
	// any lease another worker holds (its RecordCheck will be ErrStale).
	// With restart, the schedule starts over at now: Attempts 0,
	// ScheduleStartedAt and PendingSince now.
	ClaimCheck(ctx context.Context, zoneID, id string, now time.Time, owner string, leaseFor time.Duration, restart bool) (CheckState, error)
	// RecordCheck stores a check's result and ends its lease. ErrStale when
	// the lease was superseded, ErrNotFound when the hostname is gone.
	RecordCheck(ctx context.Context, r CheckRecord) error
	// ScheduleCheck makes the hostname due at at. Without restart it only
	// brings the check forward, and leaves a check whose lease runs alone.
	// With restart, it supersedes any lease and starts the schedule over at
	// at, as ClaimCheck does.
	ScheduleCheck(ctx context.Context, zoneID, id string, at time.Time, restart bool) error
	// GetCheck returns the hostname's check state.
	GetCheck(ctx context.Context, zoneID, id string) (CheckState, error)
	// NameHolders returns every hostname of the canonical name, in every
	// zone.
	NameHolders(ctx context.Context, name string) ([]NameHolder, error)
}

// Block is one blocklist entry.
type Block struct {
	Name      string // canonical; blocks the name and every name under it
	CreatedAt time.Time
}

// Blocklist is the operator's list of names no zone may hold. An entry
// covers the name itself and its whole subtree.
//
// Implementations MUST be safe for concurrent use and honour ctx.
type Blocklist interface {
	// AddBlock adds name (canonical). It reports whether the entry is new,
	// and makes every hostname at or under name due for a check at at,
	// superseding running leases, so that the scheduler blocks them at
	// once; rescheduled is how many.
	AddBlock(ctx context.Context, name string, at time.Time) (added bool, rescheduled int, err error)
	// RemoveBlock removes the entry; ErrNotFound when there is none.
	// Hostnames already blocked stay blocked.
	RemoveBlock(ctx context.Context, name string) error
	// ListBlocks returns every entry in name order.
	ListBlocks(ctx context.Context) ([]Block, error)
	// MatchBlock returns the entry covering name (equal to it or an
	// ancestor of it), or "" when none does. For a wildcard "*.base" the
	// base and its ancestors are looked up.
	MatchBlock(ctx context.Context, name string) (string, error)
}

// SelfAndAncestors returns name without a leading "*." and each of its
// parent domains down to (and including) the last two labels, the names a
// blocklist entry covering name may have: for "a.b.example.com",
// [a.b.example.com b.example.com example.com]. A one-label name is
// returned alone.
func SelfAndAncestors(name string) []string {
	name = strings.TrimPrefix(name, "*.")
	out := []string{name}
	for {
		i := strings.IndexByte(name, '.')
		if i < 0 || strings.IndexByte(name[i+1:], '.') < 0 {
			return out
		}
		name = name[i+1:]
		out = append(out, name)
	}
}

// SubtreePattern returns the SQL LIKE pattern of the names strictly under
// name. Canonical names hold neither '%' nor '_' (package dnsname refuses
// both), so nothing needs escaping.
func SubtreePattern(name string) string { return "%." + name }
