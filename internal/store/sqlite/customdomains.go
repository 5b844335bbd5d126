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
)

// domainColumns are a custom_domains row (alias d) as scanDomain reads
// it; the companion's id comes from the apex index.
const domainColumns = `d.hostname_id, d.zone_id, d.upstream_id, d.redirect_to_www,
	(SELECT w.hostname_id FROM custom_domains w WHERE w.apex_hostname_id = d.hostname_id),
	d.apex_hostname_id, d.instructions_recipient, d.instructions_email_sent_at, d.created_at, d.updated_at`

// domainScan scans a row holding domainColumns (after any prefix columns
// given in dest) into a core.CustomDomain.
type domainScan struct {
	d                    core.CustomDomain
	www, apex, recipient *string
	sent                 *int64
	created, updated     int64
}

func (ds *domainScan) dest() []any {
	return []any{&ds.d.HostnameID, &ds.d.ZoneID, &ds.d.UpstreamID, &ds.d.RedirectToWWW,
		&ds.www, &ds.apex, &ds.recipient, &ds.sent, &ds.created, &ds.updated}
}

func (ds *domainScan) domain() core.CustomDomain {
	d := ds.d
	d.WWWHostnameID, d.ApexHostnameID, d.InstructionsRecipient = deref(ds.www), deref(ds.apex), deref(ds.recipient)
	if ds.sent != nil {
		d.InstructionsEmailSentAt = fromMicros(*ds.sent)
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(ds.created), fromMicros(ds.updated)
	return d
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// CreateCustomDomain inserts the hostnames and their records in one
// transaction.
func (s *Store) CreateCustomDomain(ctx context.Context, hs []core.Hostname, ds []core.CustomDomain) error {
	if len(hs) != len(ds) {
		return fmt.Errorf("creating custom domain: %d hostnames, %d records", len(hs), len(ds))
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, h := range hs {
			_, err := tx.ExecContext(ctx, insertHostname, append([]any{h.ID, h.ZoneID, h.Name, micros(h.CreatedAt), int64(1)}, mutableArgs(h)...)...)
			switch {
			case isUniqueViolation(err):
				return fmt.Errorf("hostname %s: %w", h.Name, store.ErrConflict)
			case isForeignKeyViolation(err):
				return fmt.Errorf("zone %s: %w", h.ZoneID, store.ErrNotFound)
			case err != nil:
				return err
			}
		}
		for _, d := range ds {
			var next any
			if d.InstructionsRecipient != "" && d.InstructionsEmailSentAt.IsZero() {
				next = micros(d.CreatedAt) // due at once
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO custom_domains (hostname_id, zone_id, upstream_id, redirect_to_www,
				apex_hostname_id, created_at, updated_at, instructions_recipient, email_next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				d.HostnameID, d.ZoneID, d.UpstreamID, d.RedirectToWWW, nullString(d.ApexHostnameID),
				micros(d.CreatedAt), micros(d.UpdatedAt), nullString(d.InstructionsRecipient), next)
			switch {
			case isForeignKeyViolation(err):
				return fmt.Errorf("upstream %s: %w", d.UpstreamID, store.ErrNotFound)
			case isUniqueViolation(err):
				return fmt.Errorf("record of hostname %s: %w", d.HostnameID, store.ErrConflict)
			case err != nil:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("creating custom domain: %w", err)
	}
	return nil
}

// GetCustomDomain returns a hostname's record.
func (s *Store) GetCustomDomain(ctx context.Context, zoneID, hostnameID string) (core.CustomDomain, error) {
	var ds domainScan
	err := s.r.QueryRowContext(ctx, "SELECT "+domainColumns+" FROM custom_domains d WHERE d.zone_id = ? AND d.hostname_id = ?",
		zoneID, hostnameID).Scan(ds.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return core.CustomDomain{}, fmt.Errorf("getting the custom domain record of %s: %w", hostnameID, err)
	}
	return ds.domain(), nil
}

// qualifiedHostnameColumns is hostnameColumns of the alias h.
var qualifiedHostnameColumns = "h." + strings.Join(strings.Split(hostnameColumns, ", "), ", h.")

// ListCustomDomains returns one page of an upstream's domains, oldest
// first, and the number matching, from one snapshot. The upstream's index
// gives the order; a name filter reads the hostname by name.
func (s *Store) ListCustomDomains(ctx context.Context, zoneID, upstreamID string, q store.DomainQuery) (store.DomainPage, error) {
	where := "d.zone_id = ? AND d.upstream_id = ? AND d.apex_hostname_id IS NULL"
	args := []any{zoneID, upstreamID}
	// Unfiltered, the total is the upstream's stored count; by name, the
	// hostname's (zone_id, name) index finds the one row first.
	count, countArgs := "SELECT coalesce((SELECT domain_count FROM upstreams WHERE zone_id = ? AND id = ?), 0)", args
	if q.Name != "" {
		where += " AND d.hostname_id = (SELECT id FROM hostnames WHERE zone_id = ? AND name = ?)"
		args = append(args, zoneID, q.Name)
		count, countArgs = "SELECT count(*) FROM custom_domains d WHERE "+where, args
	}
	from := " FROM custom_domains d WHERE "
	var page store.DomainPage
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, count, countArgs...).Scan(&page.Total); err != nil {
			return err
		}
		// The page's ids come from the upstream's index alone (an offset
		// walks index entries, not joined rows); then only those rows
		// are read in full.
		rows, err := tx.QueryContext(ctx, "SELECT "+qualifiedHostnameColumns+", c.last_check_at, c.dns_status, "+domainColumns+
			" FROM custom_domains d JOIN hostnames h ON h.id = d.hostname_id LEFT JOIN hostname_checks c ON c.hostname_id = d.hostname_id"+
			" WHERE d.hostname_id IN (SELECT d.hostname_id"+from+where+" ORDER BY d.created_at, d.hostname_id LIMIT ? OFFSET ?)"+
			" ORDER BY d.created_at, d.hostname_id", append(args, limitArg(q.Limit), max(q.Offset, 0))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				row       store.DomainRow
				ds        domainScan
				lastCheck *int64
				dnsStatus *string
			)
			row.Hostname, err = scanHostname(multiScanner{rows, func(dest []any) []any {
				return append(append(dest, &lastCheck, &dnsStatus), ds.dest()...)
			}})
			if err != nil {
				return err
			}
			row.Domain = ds.domain()
			if lastCheck != nil {
				row.LastCheckAt = fromMicros(*lastCheck)
			}
			row.DNSStatus = deref(dnsStatus)
			page.Domains = append(page.Domains, row)
		}
		return rows.Err()
	})
	if err != nil {
		return store.DomainPage{}, fmt.Errorf("listing custom domains of upstream %s: %w", upstreamID, err)
	}
	return page, nil
}

// multiScanner lets scanHostname read the leading columns of a row that
// has more: more appends the destinations of the rest.
type multiScanner struct {
	row  scanner
	more func(dest []any) []any
}

func (m multiScanner) Scan(dest ...any) error { return m.row.Scan(m.more(dest)...) }

// DeleteCustomDomain removes the hostname and its companion.
func (s *Store) DeleteCustomDomain(ctx context.Context, zoneID, hostnameID string) ([]string, error) {
	var ids []string
	err := s.write(ctx, func(tx *sql.Tx) error {
		ids = []string{hostnameID}
		var www string
		err := tx.QueryRowContext(ctx, "SELECT hostname_id FROM custom_domains WHERE zone_id = ? AND apex_hostname_id = ?",
			zoneID, hostnameID).Scan(&www)
		switch {
		case err == nil:
			ids = append(ids, www)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM hostnames WHERE zone_id = ? AND id = ?", zoneID, hostnameID)
		if err != nil {
			return err
		}
		if err := expectRows(res, store.ErrNotFound); err != nil {
			return err
		}
		if len(ids) > 1 {
			if _, err := tx.ExecContext(ctx, "DELETE FROM hostnames WHERE zone_id = ? AND id = ?", zoneID, ids[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deleting custom domain %s: %w", hostnameID, err)
	}
	return ids, nil
}

// ClaimInstructionEmails leases due emails by moving their due time to the
// lease's end, in one write transaction (SQLite has one writer at a time,
// so two claimers never read the same due rows).
func (s *Store) ClaimInstructionEmails(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]store.InstructionEmail, error) {
	var out []store.InstructionEmail
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE custom_domains SET email_next_at = ?
			WHERE hostname_id IN (SELECT hostname_id FROM custom_domains
				WHERE email_next_at IS NOT NULL AND email_next_at <= ? ORDER BY email_next_at LIMIT ?)
			RETURNING zone_id, hostname_id, instructions_recipient, email_attempts`,
			micros(now.Add(leaseFor)), micros(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m store.InstructionEmail
			var rcpt *string
			if err := rows.Scan(&m.ZoneID, &m.HostnameID, &rcpt, &m.Attempts); err != nil {
				return err
			}
			m.Recipient = deref(rcpt)
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claiming instruction emails: %w", err)
	}
	return out, nil
}

// InstructionEmailSent takes the email out of the outbox.
func (s *Store) InstructionEmailSent(ctx context.Context, zoneID, hostnameID string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE custom_domains SET instructions_email_sent_at = ?, updated_at = ?,
			email_next_at = NULL, email_last_error = NULL WHERE zone_id = ? AND hostname_id = ?`,
			micros(at), micros(at), zoneID, hostnameID)
		if err != nil {
			return err
		}
		return expectRows(res, store.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("recording the instruction email of %s: %w", hostnameID, err)
	}
	return nil
}

// InstructionEmailFailed reschedules the email, or gives up (next zero).
func (s *Store) InstructionEmailFailed(ctx context.Context, zoneID, hostnameID string, attempts int, next time.Time, lastErr string) error {
	var nextAt any
	if !next.IsZero() {
		nextAt = micros(next)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE custom_domains SET email_attempts = ?, email_next_at = ?, email_last_error = ?
			WHERE zone_id = ? AND hostname_id = ? AND instructions_email_sent_at IS NULL`,
			attempts, nextAt, lastErr, zoneID, hostnameID)
		if err != nil {
			return err
		}
		return expectRows(res, store.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("rescheduling the instruction email of %s: %w", hostnameID, err)
	}
	return nil
}
