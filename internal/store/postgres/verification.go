package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/columns"
)

var (
	_ store.Checks    = (*Store)(nil)
	_ store.Blocklist = (*Store)(nil)
)

// checkReturning are the columns scanCheck reads, zone first, for queries
// that name the check table c and the hostname table h.
const checkReturning = "h.zone_id, c.hostname_id, c.next_check_at, c.attempts, c.schedule_started_at, c.last_check_at, " +
	"c.dns_status, c.last_method, c.pending_since, c.moved_since, c.proven_since, " +
	"c.leased_until, c.lease_owner, c.lease_token"

func scanCheck(row pgx.Row) (store.CheckState, error) {
	var (
		c                                          store.CheckState
		next, last, pending, moved, proven, leased *time.Time
		dnsStatus, method, owner                   *string
	)
	err := row.Scan(&c.ZoneID, &c.HostnameID, &next, &c.Attempts, &c.ScheduleStartedAt, &last,
		&dnsStatus, &method, &pending, &moved, &proven, &leased, &owner, &c.LeaseToken)
	if err != nil {
		return store.CheckState{}, err
	}
	c.ScheduleStartedAt = utc(c.ScheduleStartedAt)
	c.NextCheckAt, c.LastCheckAt = optTime(next), optTime(last)
	c.PendingSince, c.MovedSince, c.ProvenSince = optTime(pending), optTime(moved), optTime(proven)
	c.LeasedUntil = optTime(leased)
	c.DNSStatus, c.LastMethod, c.LeaseOwner = optString(dnsStatus), optString(method), optString(owner)
	return c, nil
}

func optTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return utc(*t)
}

func optString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// claimDue leases the earliest due checks in one statement. FOR UPDATE SKIP
// LOCKED lets concurrent claimers (other workers, other nodes) pass over
// the rows one of them is taking; a row another claimer leased after this
// statement's snapshot is re-read before the update and no longer due
// (next_check_at is the lease's end), so each lease goes to one claimer.
const claimDue = `WITH due AS (
	SELECT hostname_id FROM hostname_checks
	WHERE next_check_at <= $1
	ORDER BY next_check_at
	LIMIT $2
	FOR UPDATE SKIP LOCKED
)
UPDATE hostname_checks c
SET next_check_at = $3, leased_until = $3, lease_owner = $4, lease_token = c.lease_token + 1
FROM due, hostnames h
WHERE c.hostname_id = due.hostname_id AND h.id = c.hostname_id
RETURNING ` + checkReturning

// ClaimDueChecks leases the earliest due checks.
func (s *Store) ClaimDueChecks(ctx context.Context, now time.Time, limit int, owner string, leaseFor time.Duration) ([]store.CheckState, error) {
	var out []store.CheckState
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, claimDue, now, limit, now.Add(leaseFor), nullString(owner))
		if err != nil {
			return err
		}
		out, err = pgx.AppendRows(out, rows, rowTo(scanCheck))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claiming due checks: %w", err)
	}
	return out, nil
}

// restartSQL starts a hostname's schedule over at $1 and supersedes its
// lease.
const restartSQL = "UPDATE hostname_checks SET next_check_at = $1, attempts = 0, schedule_started_at = $1," +
	" pending_since = $1, leased_until = NULL, lease_owner = NULL, lease_token = lease_token + 1" +
	" WHERE hostname_id = (SELECT id FROM hostnames WHERE zone_id = $2 AND id = $3)"

const selectCheck = "SELECT " + checkReturning + " FROM hostname_checks c JOIN hostnames h ON h.id = c.hostname_id" +
	" WHERE h.zone_id = $1 AND h.id = $2"

// ClaimCheck leases one hostname's check, due or not.
func (s *Store) ClaimCheck(ctx context.Context, zoneID, id string, now time.Time, owner string, leaseFor time.Duration, restart bool) (store.CheckState, error) {
	var cs store.CheckState
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if restart {
			if _, err := tx.Exec(ctx, restartSQL, now, zoneID, id); err != nil {
				return err
			}
		}
		until := now.Add(leaseFor)
		var err error
		cs, err = scanCheck(tx.QueryRow(ctx, "UPDATE hostname_checks c SET next_check_at = $1, leased_until = $1,"+
			" lease_owner = $2, lease_token = c.lease_token + 1 FROM hostnames h"+
			" WHERE h.id = c.hostname_id AND h.zone_id = $3 AND h.id = $4 RETURNING "+checkReturning,
			until, nullString(owner), zoneID, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.CheckState{}, fmt.Errorf("claiming the check of hostname %s: %w", id, err)
	}
	return cs, nil
}

// GetCheck returns the hostname's check state.
func (s *Store) GetCheck(ctx context.Context, zoneID, id string) (store.CheckState, error) {
	var cs store.CheckState
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		var err error
		cs, err = scanCheck(c.QueryRow(ctx, selectCheck, zoneID, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.CheckState{}, fmt.Errorf("reading the check state of hostname %s: %w", id, err)
	}
	return cs, nil
}

// RecordCheck stores a check's result if its lease is still the latest,
// and the verification errors on the hostname when they changed, in one
// transaction that locks the hostname first (see lockHostname).
func (s *Store) RecordCheck(ctx context.Context, r store.CheckRecord) error {
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := lockHostname(ctx, tx, r.ZoneID, r.HostnameID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE hostname_checks SET next_check_at = $1, attempts = $2, last_check_at = $3,
			dns_status = $4, last_method = $5, proven_since = $6, leased_until = NULL, lease_owner = NULL
			WHERE lease_token = $7 AND hostname_id = $8`,
			nullTime(r.NextCheckAt), r.Attempts, r.CheckedAt, nullString(r.DNSStatus), nullString(r.LastMethod),
			nullTime(r.ProvenSince), r.LeaseToken, r.HostnameID)
		if err != nil {
			return err
		}
		if err := expectRows(tag, store.ErrStale); err != nil {
			return err
		}
		errs := columns.Strings(r.VerificationErrors)
		_, err = tx.Exec(ctx, "UPDATE hostnames SET verification_errors = $1, version = version + 1"+
			" WHERE zone_id = $2 AND id = $3 AND verification_errors IS DISTINCT FROM $1", errs, r.ZoneID, r.HostnameID)
		return err
	})
	if err != nil {
		return fmt.Errorf("recording the check of hostname %s: %w", r.HostnameID, err)
	}
	return nil
}

// ScheduleCheck makes the hostname due at at (see store.Checks).
func (s *Store) ScheduleCheck(ctx context.Context, zoneID, id string, at time.Time, restart bool) error {
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		if restart {
			tag, err := c.Exec(ctx, restartSQL, at, zoneID, id)
			if err != nil {
				return err
			}
			return expectRows(tag, store.ErrNotFound)
		}
		// Bringing a check forward: nothing to do when it is due sooner
		// already or a worker holds it (its result schedules the next).
		var exists bool
		err := c.QueryRow(ctx, `WITH u AS (
			UPDATE hostname_checks SET next_check_at = $1
			WHERE hostname_id = (SELECT id FROM hostnames WHERE zone_id = $2 AND id = $3)
			AND (next_check_at IS NULL OR next_check_at > $1) AND (leased_until IS NULL OR leased_until <= $1)
		) SELECT EXISTS (SELECT 1 FROM hostnames WHERE zone_id = $2 AND id = $3)`, at, zoneID, id).Scan(&exists)
		if err == nil && !exists {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("scheduling a check of hostname %s: %w", id, err)
	}
	return nil
}

// NameHolders returns every hostname of the name, in every zone, through
// the hostnames_name index.
func (s *Store) NameHolders(ctx context.Context, name string) ([]store.NameHolder, error) {
	var out []store.NameHolder
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, "SELECT h.zone_id, h.id, h.status, c.proven_since FROM hostnames h"+
			" LEFT JOIN hostname_checks c ON c.hostname_id = h.id WHERE h.name = $1 ORDER BY h.zone_id", name)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n store.NameHolder
			var status string
			var proven *time.Time
			if err := rows.Scan(&n.ZoneID, &n.HostnameID, &status, &proven); err != nil {
				return err
			}
			n.Status, n.ProvenSince = core.HostnameStatus(status), optTime(proven)
			out = append(out, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("finding hostnames named %s: %w", name, err)
	}
	return out, nil
}

// AddBlock adds a blocklist entry and makes the hostnames it covers due, in
// one transaction. Finding them scans the hostnames (a subtree is a
// suffix, which no index here serves); an operator adds entries rarely.
func (s *Store) AddBlock(ctx context.Context, name string, at time.Time) (added bool, rescheduled int, err error) {
	err = s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO blocklist (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", name, at)
		if err != nil {
			return err
		}
		added = tag.RowsAffected() > 0
		tag, err = tx.Exec(ctx, "UPDATE hostname_checks SET next_check_at = $1, leased_until = NULL, lease_owner = NULL,"+
			" lease_token = lease_token + 1 WHERE hostname_id IN (SELECT id FROM hostnames WHERE name = $2 OR name LIKE $3)",
			at, name, store.SubtreePattern(name))
		rescheduled = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return false, 0, fmt.Errorf("blocking %s: %w", name, err)
	}
	return added, rescheduled, nil
}

// RemoveBlock removes a blocklist entry.
func (s *Store) RemoveBlock(ctx context.Context, name string) error {
	tag, err := s.exec(ctx, "DELETE FROM blocklist WHERE name = $1", name)
	if err == nil {
		err = expectRows(tag, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("unblocking %s: %w", name, err)
	}
	return nil
}

// ListBlocks returns the blocklist in name order.
func (s *Store) ListBlocks(ctx context.Context) ([]store.Block, error) {
	var out []store.Block
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, "SELECT name, created_at FROM blocklist ORDER BY name")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b store.Block
			if err := rows.Scan(&b.Name, &b.CreatedAt); err != nil {
				return err
			}
			b.CreatedAt = utc(b.CreatedAt)
			out = append(out, b)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("listing the blocklist: %w", err)
	}
	return out, nil
}

// MatchBlock returns the entry covering name, the nearest one first.
func (s *Store) MatchBlock(ctx context.Context, name string) (string, error) {
	var entry string
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT name FROM blocklist WHERE name = ANY($1) ORDER BY length(name) DESC LIMIT 1",
			store.SelfAndAncestors(name)).Scan(&entry)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("matching %s against the blocklist: %w", name, err)
	}
	return entry, nil
}
