package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// domainColumns are a custom_domains row (alias d) as domainScan reads
// it; the companion's id comes from the apex index.
const domainColumns = `d.hostname_id, d.zone_id, d.upstream_id, d.redirect_to_www,
	(SELECT w.hostname_id FROM custom_domains w WHERE w.apex_hostname_id = d.hostname_id),
	d.apex_hostname_id, d.instructions_recipient, d.instructions_email_sent_at, d.created_at, d.updated_at`

// domainScan scans domainColumns into a core.CustomDomain.
type domainScan struct {
	d                    core.CustomDomain
	www, apex, recipient *string
	sent                 *time.Time
}

func (ds *domainScan) dest() []any {
	return []any{&ds.d.HostnameID, &ds.d.ZoneID, &ds.d.UpstreamID, &ds.d.RedirectToWWW,
		&ds.www, &ds.apex, &ds.recipient, &ds.sent, &ds.d.CreatedAt, &ds.d.UpdatedAt}
}

func (ds *domainScan) domain() core.CustomDomain {
	d := ds.d
	d.WWWHostnameID, d.ApexHostnameID, d.InstructionsRecipient = deref(ds.www), deref(ds.apex), deref(ds.recipient)
	if ds.sent != nil {
		d.InstructionsEmailSentAt = utc(*ds.sent)
	}
	d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), utc(d.UpdatedAt)
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
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		for _, h := range hs {
			_, err := tx.Exec(ctx, insertHostname, append([]any{h.ID, h.ZoneID, h.Name, h.CreatedAt, int64(1)}, mutableArgs(h)...)...)
			switch errorCode(err) {
			case uniqueViolation:
				return fmt.Errorf("hostname %s: %w", h.Name, store.ErrConflict)
			case foreignKeyViolation:
				return fmt.Errorf("zone %s: %w", h.ZoneID, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		for _, d := range ds {
			var next *time.Time
			if d.InstructionsRecipient != "" && d.InstructionsEmailSentAt.IsZero() {
				next = &d.CreatedAt // due at once
			}
			_, err := tx.Exec(ctx, `INSERT INTO custom_domains (hostname_id, zone_id, upstream_id, redirect_to_www,
				apex_hostname_id, created_at, updated_at, instructions_recipient, email_next_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				d.HostnameID, d.ZoneID, d.UpstreamID, d.RedirectToWWW, nullString(d.ApexHostnameID),
				d.CreatedAt, d.UpdatedAt, nullString(d.InstructionsRecipient), next)
			switch errorCode(err) {
			case foreignKeyViolation:
				return fmt.Errorf("upstream %s: %w", d.UpstreamID, store.ErrNotFound)
			case uniqueViolation:
				return fmt.Errorf("record of hostname %s: %w", d.HostnameID, store.ErrConflict)
			}
			if err != nil {
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
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT "+domainColumns+" FROM custom_domains d WHERE d.zone_id = $1 AND d.hostname_id = $2",
			zoneID, hostnameID).Scan(ds.dest()...)
	})
	if errors.Is(err, pgx.ErrNoRows) {
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
// first, and the number matching, from one snapshot.
func (s *Store) ListCustomDomains(ctx context.Context, zoneID, upstreamID string, q store.DomainQuery) (store.DomainPage, error) {
	where := "d.zone_id = $1 AND d.upstream_id = $2 AND d.apex_hostname_id IS NULL"
	args := []any{zoneID, upstreamID}
	// Unfiltered, the total is the upstream's stored count; by name, the
	// hostname's (zone_id, name) index finds the one row first (a scalar
	// subquery: one lookup, whatever plan a prepared statement gets).
	count := "SELECT coalesce((SELECT domain_count FROM upstreams WHERE zone_id = $1 AND id = $2), 0)"
	if q.Name != "" {
		where += " AND d.hostname_id = (SELECT id FROM hostnames WHERE zone_id = $1 AND name = $3)"
		args = append(args, q.Name)
		count = "SELECT count(*) FROM custom_domains d WHERE " + where
	}
	from := " FROM custom_domains d WHERE "
	n := len(args)
	var page store.DomainPage
	err := s.tx(ctx, snapshot, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, count, args...).Scan(&page.Total); err != nil {
			return err
		}
		// The page's ids come from the upstream's index alone (an offset
		// walks index entries, not joined rows); then only those rows
		// are read in full.
		rows, err := tx.Query(ctx, "SELECT "+qualifiedHostnameColumns+", c.last_check_at, c.dns_status, "+domainColumns+
			" FROM custom_domains d JOIN hostnames h ON h.id = d.hostname_id LEFT JOIN hostname_checks c ON c.hostname_id = d.hostname_id"+
			" WHERE d.hostname_id IN (SELECT d.hostname_id"+from+where+
			fmt.Sprintf(" ORDER BY d.created_at, d.hostname_id LIMIT $%d OFFSET $%d)", n+1, n+2)+
			" ORDER BY d.created_at, d.hostname_id", append(args, limitArg(q.Limit), max(q.Offset, 0))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				row       store.DomainRow
				ds        domainScan
				lastCheck *time.Time
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
				row.LastCheckAt = utc(*lastCheck)
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
	row  pgx.Row
	more func(dest []any) []any
}

func (m multiScanner) Scan(dest ...any) error { return m.row.Scan(m.more(dest)...) }

// DeleteCustomDomain removes the hostname and its companion in one
// statement's transaction.
func (s *Store) DeleteCustomDomain(ctx context.Context, zoneID, hostnameID string) ([]string, error) {
	var ids []string
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `DELETE FROM hostnames WHERE zone_id = $1 AND (id = $2 OR id IN
			(SELECT hostname_id FROM custom_domains WHERE zone_id = $1 AND apex_hostname_id = $2)) RETURNING id`, zoneID, hostnameID)
		if err != nil {
			return err
		}
		deleted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, id := range deleted {
			if id == hostnameID {
				ids = append([]string{id}, ids...)
			} else {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 || ids[0] != hostnameID {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deleting custom domain %s: %w", hostnameID, err)
	}
	return ids, nil
}

// ClaimInstructionEmails leases due emails by moving their due time to the
// lease's end. SKIP LOCKED lets concurrent claimers take disjoint rows.
func (s *Store) ClaimInstructionEmails(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]store.InstructionEmail, error) {
	var out []store.InstructionEmail
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `UPDATE custom_domains SET email_next_at = $1
			WHERE hostname_id IN (SELECT hostname_id FROM custom_domains
				WHERE email_next_at IS NOT NULL AND email_next_at <= $2 ORDER BY email_next_at LIMIT $3 FOR UPDATE SKIP LOCKED)
			RETURNING zone_id, hostname_id, coalesce(instructions_recipient, ''), email_attempts`,
			now.Add(leaseFor), now, limit)
		if err != nil {
			return err
		}
		out, err = pgx.AppendRows(out, rows, func(r pgx.CollectableRow) (store.InstructionEmail, error) {
			var m store.InstructionEmail
			err := r.Scan(&m.ZoneID, &m.HostnameID, &m.Recipient, &m.Attempts)
			return m, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claiming instruction emails: %w", err)
	}
	return out, nil
}

// InstructionEmailSent takes the email out of the outbox.
func (s *Store) InstructionEmailSent(ctx context.Context, zoneID, hostnameID string, at time.Time) error {
	tag, err := s.exec(ctx, `UPDATE custom_domains SET instructions_email_sent_at = $1, updated_at = $1,
		email_next_at = NULL, email_last_error = NULL WHERE zone_id = $2 AND hostname_id = $3`, at, zoneID, hostnameID)
	if err == nil {
		err = expectRows(tag, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("recording the instruction email of %s: %w", hostnameID, err)
	}
	return nil
}

// InstructionEmailFailed reschedules the email, or gives up (next zero).
func (s *Store) InstructionEmailFailed(ctx context.Context, zoneID, hostnameID string, attempts int, next time.Time, lastErr string) error {
	tag, err := s.exec(ctx, `UPDATE custom_domains SET email_attempts = $1, email_next_at = $2, email_last_error = $3
		WHERE zone_id = $4 AND hostname_id = $5 AND instructions_email_sent_at IS NULL`,
		attempts, nullTime(next), lastErr, zoneID, hostnameID)
	if err == nil {
		err = expectRows(tag, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("rescheduling the instruction email of %s: %w", hostnameID, err)
	}
	return nil
}
