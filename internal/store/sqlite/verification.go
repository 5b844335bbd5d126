package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/columns"
)

var (
	_ store.Checks    = (*Store)(nil)
	_ store.Blocklist = (*Store)(nil)
)

// checkColumns are the columns scanCheck reads, zone first.
const checkColumns = "h.zone_id, c.hostname_id, c.next_check_at, c.attempts, c.schedule_started_at, c.last_check_at, " +
	"c.dns_status, c.last_method, c.pending_since, c.moved_since, c.proven_since, " +
	"c.leased_until, c.lease_owner, c.lease_token"

const checkFrom = " FROM hostname_checks c JOIN hostnames h ON h.id = c.hostname_id"

func scanCheck(row scanner) (store.CheckState, error) {
	var (
		c                                          store.CheckState
		next, last, pending, moved, proven, leased sql.NullInt64
		started                                    int64
		dnsStatus, method, owner                   sql.NullString
	)
	err := row.Scan(&c.ZoneID, &c.HostnameID, &next, &c.Attempts, &started, &last,
		&dnsStatus, &method, &pending, &moved, &proven, &leased, &owner, &c.LeaseToken)
	if err != nil {
		return store.CheckState{}, err
	}
	c.ScheduleStartedAt = fromMicros(started)
	c.NextCheckAt, c.LastCheckAt = nullTime(next), nullTime(last)
	c.PendingSince, c.MovedSince, c.ProvenSince = nullTime(pending), nullTime(moved), nullTime(proven)
	c.LeasedUntil = nullTime(leased)
	c.DNSStatus, c.LastMethod, c.LeaseOwner = dnsStatus.String, method.String, owner.String
	return c, nil
}

// nullMicros stores a zero time as NULL.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

func nullTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ClaimDueChecks leases the earliest due checks. The select and the lease
// run in one IMMEDIATE transaction on the one writer connection, and other
// processes wait on the file's write lock, so no two claimers see the same
// row due: exactly-once per lease.
func (s *Store) ClaimDueChecks(ctx context.Context, now time.Time, limit int, owner string, leaseFor time.Duration) ([]store.CheckState, error) {
	var out []store.CheckState
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+checkColumns+checkFrom+
			" WHERE c.next_check_at IS NOT NULL AND c.next_check_at <= ? ORDER BY c.next_check_at LIMIT ?",
			micros(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			c, err := scanCheck(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if err := lease(ctx, tx, &out[i], now, owner, leaseFor); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming due checks: %w", err)
	}
	return out, nil
}

// lease writes a lease on c's row and updates c to match.
func lease(ctx context.Context, tx *sql.Tx, c *store.CheckState, now time.Time, owner string, leaseFor time.Duration) error {
	until := now.Add(leaseFor)
	_, err := tx.ExecContext(ctx, "UPDATE hostname_checks SET next_check_at = ?, leased_until = ?, lease_owner = ?,"+
		" lease_token = lease_token + 1 WHERE hostname_id = ?", micros(until), micros(until), nullString(owner), c.HostnameID)
	if err != nil {
		return fmt.Errorf("leasing the check of %s: %w", c.HostnameID, err)
	}
	c.NextCheckAt, c.LeasedUntil, c.LeaseOwner = fromMicros(micros(until)), fromMicros(micros(until)), owner
	c.LeaseToken++
	return nil
}

// restartSQL starts a hostname's schedule over and supersedes its lease.
const restartSQL = "UPDATE hostname_checks SET next_check_at = ?, attempts = 0, schedule_started_at = ?," +
	" pending_since = ?, leased_until = NULL, lease_owner = NULL, lease_token = lease_token + 1" +
	" WHERE hostname_id = (SELECT id FROM hostnames WHERE zone_id = ? AND id = ?)"

// ClaimCheck leases one hostname's check, due or not.
func (s *Store) ClaimCheck(ctx context.Context, zoneID, id string, now time.Time, owner string, leaseFor time.Duration, restart bool) (store.CheckState, error) {
	var c store.CheckState
	err := s.write(ctx, func(tx *sql.Tx) error {
		if restart {
			at := micros(now)
			if _, err := tx.ExecContext(ctx, restartSQL, at, at, at, zoneID, id); err != nil {
				return err
			}
		}
		var err error
		c, err = getCheck(ctx, tx, zoneID, id)
		if err != nil {
			return err
		}
		return lease(ctx, tx, &c, now, owner, leaseFor)
	})
	if err != nil {
		return store.CheckState{}, fmt.Errorf("claiming the check of hostname %s: %w", id, err)
	}
	return c, nil
}

func getCheck(ctx context.Context, q queryer, zoneID, id string) (store.CheckState, error) {
	c, err := scanCheck(q.QueryRowContext(ctx, "SELECT "+checkColumns+checkFrom+" WHERE h.zone_id = ? AND h.id = ?", zoneID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.CheckState{}, store.ErrNotFound
	}
	return c, err
}

// GetCheck returns the hostname's check state.
func (s *Store) GetCheck(ctx context.Context, zoneID, id string) (store.CheckState, error) {
	c, err := getCheck(ctx, s.r, zoneID, id)
	if err != nil {
		return store.CheckState{}, fmt.Errorf("reading the check state of hostname %s: %w", id, err)
	}
	return c, nil
}

// RecordCheck stores a check's result if its lease is still the latest,
// and the verification errors on the hostname when they changed, in one
// transaction.
func (s *Store) RecordCheck(ctx context.Context, r store.CheckRecord) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE hostname_checks SET next_check_at = ?, attempts = ?, last_check_at = ?,"+
			" dns_status = ?, last_method = ?, proven_since = ?, leased_until = NULL, lease_owner = NULL"+
			" WHERE lease_token = ? AND hostname_id = (SELECT id FROM hostnames WHERE zone_id = ? AND id = ?)",
			nullMicros(r.NextCheckAt), r.Attempts, micros(r.CheckedAt), nullString(r.DNSStatus), nullString(r.LastMethod),
			nullMicros(r.ProvenSince), r.LeaseToken, r.ZoneID, r.HostnameID)
		if err != nil {
			return err
		}
		if err := staleOrMissing(ctx, tx, res, r.ZoneID, r.HostnameID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE hostnames SET verification_errors = ?, version = version + 1"+
			" WHERE zone_id = ? AND id = ? AND verification_errors IS NOT ?",
			columns.Strings(r.VerificationErrors), r.ZoneID, r.HostnameID, columns.Strings(r.VerificationErrors))
		return err
	})
	if err != nil {
		return fmt.Errorf("recording the check of hostname %s: %w", r.HostnameID, err)
	}
	return nil
}

// ScheduleCheck makes the hostname due at at (see store.Checks).
func (s *Store) ScheduleCheck(ctx context.Context, zoneID, id string, at time.Time, restart bool) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if restart {
			res, err = tx.ExecContext(ctx, restartSQL, micros(at), micros(at), micros(at), zoneID, id)
			if err == nil {
				err = expectRows(res, store.ErrNotFound)
			}
			return err
		}
		// Bringing a check forward: nothing to do when it is due sooner
		// already or a worker holds it (its result schedules the next).
		_, err = tx.ExecContext(ctx, "UPDATE hostname_checks SET next_check_at = ?"+
			" WHERE hostname_id = (SELECT id FROM hostnames WHERE zone_id = ? AND id = ?)"+
			" AND (next_check_at IS NULL OR next_check_at > ?) AND (leased_until IS NULL OR leased_until <= ?)",
			micros(at), zoneID, id, micros(at), micros(at))
		if err != nil {
			return err
		}
		_, err = getCheck(ctx, tx, zoneID, id)
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
	rows, err := s.r.QueryContext(ctx, "SELECT h.zone_id, h.id, h.status, c.proven_since FROM hostnames h"+
		" LEFT JOIN hostname_checks c ON c.hostname_id = h.id WHERE h.name = ? ORDER BY h.zone_id", name)
	if err != nil {
		return nil, fmt.Errorf("finding hostnames named %s: %w", name, err)
	}
	defer rows.Close()
	var out []store.NameHolder
	for rows.Next() {
		var n store.NameHolder
		var status string
		var proven sql.NullInt64
		if err := rows.Scan(&n.ZoneID, &n.HostnameID, &status, &proven); err != nil {
			return nil, fmt.Errorf("finding hostnames named %s: %w", name, err)
		}
		n.Status, n.ProvenSince = core.HostnameStatus(status), nullTime(proven)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("finding hostnames named %s: %w", name, err)
	}
	return out, nil
}

// AddBlock adds a blocklist entry and makes the hostnames it covers due.
// Finding them scans the hostnames (a subtree is a suffix, which no index
// here serves); an operator adds entries rarely.
func (s *Store) AddBlock(ctx context.Context, name string, at time.Time) (added bool, rescheduled int, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO blocklist (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
			name, micros(at))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		added = n > 0
		res, err = tx.ExecContext(ctx, "UPDATE hostname_checks SET next_check_at = ?, leased_until = NULL, lease_owner = NULL,"+
			" lease_token = lease_token + 1 WHERE hostname_id IN (SELECT id FROM hostnames WHERE name = ? OR name LIKE ?)",
			micros(at), name, store.SubtreePattern(name))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		rescheduled = int(n)
		return err
	})
	if err != nil {
		return false, 0, fmt.Errorf("blocking %s: %w", name, err)
	}
	return added, rescheduled, nil
}

// RemoveBlock removes a blocklist entry.
func (s *Store) RemoveBlock(ctx context.Context, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM blocklist WHERE name = ?", name)
		if err != nil {
			return err
		}
		return expectRows(res, store.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("unblocking %s: %w", name, err)
	}
	return nil
}

// ListBlocks returns the blocklist in name order.
func (s *Store) ListBlocks(ctx context.Context) ([]store.Block, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT name, created_at FROM blocklist ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("listing the blocklist: %w", err)
	}
	defer rows.Close()
	var out []store.Block
	for rows.Next() {
		var b store.Block
		var at int64
		if err := rows.Scan(&b.Name, &at); err != nil {
			return nil, fmt.Errorf("listing the blocklist: %w", err)
		}
		b.CreatedAt = fromMicros(at)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the blocklist: %w", err)
	}
	return out, nil
}

// MatchBlock returns the entry covering name, the nearest one first.
func (s *Store) MatchBlock(ctx context.Context, name string) (string, error) {
	cands := store.SelfAndAncestors(name)
	args := make([]any, len(cands))
	for i, c := range cands {
		args[i] = c
	}
	var entry string
	err := s.r.QueryRowContext(ctx, "SELECT name FROM blocklist WHERE name IN (?"+strings.Repeat(", ?", len(cands)-1)+
		") ORDER BY length(name) DESC LIMIT 1", args...).Scan(&entry)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("matching %s against the blocklist: %w", name, err)
	}
	return entry, nil
}
