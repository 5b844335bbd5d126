package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/columns"
)

var _ store.Issuances = (*Store)(nil)

// issuanceMutable are the acme_issuances columns SaveIssuance writes, in
// the order of issuanceArgs and of scanIssuance after id, zone_id and
// hostname_id. version is not among them: the statements set it.
var issuanceMutable = []string{
	"identifiers", "method", "http_ready", "dcv_label", "ca", "replaces", "deadline",
	"step", "account_url", "order_url", "finalize_url", "cert_url", "authzs", "key_ciphertext", "result",
	"attempts", "retries", "next_attempt_at", "last_error", "validation_errors", "validation_records",
	"http_failed", "created_at", "updated_at",
}

var (
	issuanceColumns = "id, zone_id, hostname_id, " + strings.Join(issuanceMutable, ", ") + ", version"
	// insertIssuance inserts only when the zone has the hostname: the
	// foreign key alone would accept a hostname of another zone.
	insertIssuance = "INSERT INTO acme_issuances (" + issuanceColumns + ") SELECT " +
		params(1, 3+len(issuanceMutable)) + ", 1 WHERE EXISTS (SELECT 1 FROM hostnames WHERE zone_id = $2 AND id = $3)"
	updateIssuance = "UPDATE acme_issuances SET " + setList(issuanceMutable) +
		", version = version + 1 WHERE id = $" + strconv.Itoa(len(issuanceMutable)+1)
	selectIssuance = "SELECT " + issuanceColumns + " FROM acme_issuances"
)

// live is the predicate of the partial indexes acme_issuances_live and
// acme_issuances_due.
const live = "step NOT IN ('done', 'failed')"

func issuanceArgs(iss *acme.Issuance) []any {
	return []any{
		columns.Strings(iss.Identifiers), string(iss.Method), iss.HTTPReady, iss.DCVLabel, iss.CA, iss.Replaces,
		nullTime(iss.Deadline),
		string(iss.Step), iss.AccountURL, iss.OrderURL, iss.FinalizeURL, iss.CertURL, columns.Authzs(iss.Authzs),
		nullBytes(iss.KeyCiphertext), columns.Result(iss.Result),
		iss.Attempts, iss.Retries, iss.NextAttemptAt, iss.LastError,
		columns.Strings(iss.ValidationErrors), columns.Records(iss.ValidationRecords),
		iss.HTTPFailed, iss.CreatedAt, iss.UpdatedAt,
	}
}

func scanIssuance(row pgx.Row) (acme.Issuance, error) {
	var (
		iss                                 acme.Issuance
		ids, authzs, result, verrs, records *string
		method, step                        string
		deadline                            *time.Time
	)
	err := row.Scan(&iss.ID, &iss.ZoneID, &iss.HostnameID,
		&ids, &method, &iss.HTTPReady, &iss.DCVLabel, &iss.CA, &iss.Replaces, &deadline,
		&step, &iss.AccountURL, &iss.OrderURL, &iss.FinalizeURL, &iss.CertURL, &authzs, &iss.KeyCiphertext, &result,
		&iss.Attempts, &iss.Retries, &iss.NextAttemptAt, &iss.LastError, &verrs, &records,
		&iss.HTTPFailed, &iss.CreatedAt, &iss.UpdatedAt, &iss.Version)
	if err != nil {
		return acme.Issuance{}, err
	}
	iss.Method, iss.Step = core.DCVMethod(method), acme.Step(step)
	iss.Deadline = optTime(deadline)
	iss.NextAttemptAt, iss.CreatedAt, iss.UpdatedAt = utc(iss.NextAttemptAt), utc(iss.CreatedAt), utc(iss.UpdatedAt)
	if iss.Identifiers, err = columns.ParseStrings(ids); err != nil {
		return acme.Issuance{}, err
	}
	if iss.Authzs, err = columns.ParseAuthzs(authzs); err != nil {
		return acme.Issuance{}, err
	}
	if iss.Result, err = columns.ParseResult(result); err != nil {
		return acme.Issuance{}, err
	}
	if iss.ValidationErrors, err = columns.ParseStrings(verrs); err != nil {
		return acme.Issuance{}, err
	}
	if iss.ValidationRecords, err = columns.ParseRecords(records); err != nil {
		return acme.Issuance{}, err
	}
	return iss, nil
}

// queryIssuances runs a query of whole records.
func (s *Store) queryIssuances(ctx context.Context, sql string, args ...any) ([]acme.Issuance, error) {
	var out []acme.Issuance
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		out, err = pgx.AppendRows(out, rows, rowTo(scanIssuance))
		return err
	})
	return out, err
}

// CreateIssuance stores iss at version 1, in one statement: racing
// creators of a hostname's live record meet in acme_issuances_live.
// acme.ErrConflict when the id exists or the hostname has a live record
// already; acme.ErrNotFound when the zone has no such hostname.
func (s *Store) CreateIssuance(ctx context.Context, iss *acme.Issuance) error {
	if iss.Version != 0 {
		return fmt.Errorf("creating issuance %s: version must be 0, is %d", iss.ID, iss.Version)
	}
	tag, err := s.exec(ctx, insertIssuance, append([]any{iss.ID, iss.ZoneID, iss.HostnameID}, issuanceArgs(iss)...)...)
	switch {
	case errorCode(err) == uniqueViolation:
		err = acme.ErrConflict
	case errorCode(err) == foreignKeyViolation: // the hostname was deleted meanwhile
		err = fmt.Errorf("hostname %s: %w", iss.HostnameID, acme.ErrNotFound)
	case err == nil && tag.RowsAffected() == 0:
		err = fmt.Errorf("hostname %s: %w", iss.HostnameID, acme.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("creating issuance %s: %w", iss.ID, err)
	}
	iss.Version = 1
	return nil
}

// GetIssuance returns the record; acme.ErrNotFound when there is none.
func (s *Store) GetIssuance(ctx context.Context, id string) (acme.Issuance, error) {
	var iss acme.Issuance
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		var err error
		iss, err = scanIssuance(c.QueryRow(ctx, selectIssuance+" WHERE id = $1", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return acme.ErrNotFound
		}
		return err
	})
	if err != nil {
		return acme.Issuance{}, fmt.Errorf("getting issuance %s: %w", id, err)
	}
	return iss, nil
}

// SaveIssuance writes iss if the stored version is still iss.Version (the
// id, zone and hostname of a record never change). A record that reaches
// StepDone commits its certificate in the same transaction: inserted, and
// the hostname's version bumped, only on the save that moves it to done,
// so saving a done record again never brings back a certificate deleted
// meanwhile. acme.ErrStale when the version moved on, acme.ErrNotFound
// when the record (or its hostname, which takes the record with it) is
// gone, acme.ErrConflict when the save would make a second live record of
// the hostname.
//
// Locks are taken hostname first, then record (see lockHostname).
func (s *Store) SaveIssuance(ctx context.Context, iss *acme.Issuance) error {
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if iss.Step == acme.StepDone {
			err := lockHostname(ctx, tx, iss.ZoneID, iss.HostnameID)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("hostname %s: %w", iss.HostnameID, acme.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		var (
			zoneID, hostnameID, step string
			version                  int64
		)
		err := tx.QueryRow(ctx, "SELECT zone_id, hostname_id, step, version FROM acme_issuances WHERE id = $1 FOR UPDATE",
			iss.ID).Scan(&zoneID, &hostnameID, &step, &version)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return acme.ErrNotFound
		case err != nil:
			return err
		case zoneID != iss.ZoneID || hostnameID != iss.HostnameID:
			return fmt.Errorf("no record for hostname %s: %w", iss.HostnameID, acme.ErrNotFound)
		case version != iss.Version:
			return fmt.Errorf("at version %d (stored %d): %w", iss.Version, version, acme.ErrStale)
		}
		_, err = tx.Exec(ctx, updateIssuance, append(issuanceArgs(iss), iss.ID)...)
		if errorCode(err) == uniqueViolation {
			return fmt.Errorf("hostname %s has a live issuance: %w", iss.HostnameID, acme.ErrConflict)
		}
		if err != nil {
			return err
		}
		if iss.Step == acme.StepDone && acme.Step(step) != acme.StepDone {
			return commitCertificate(ctx, tx, iss)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("saving issuance %s: %w", iss.ID, err)
	}
	iss.Version++
	return nil
}

// commitCertificate inserts the certificate of a done record, unless one
// with its id exists, and bumps the hostname's version as PutCertificate
// does.
func commitCertificate(ctx context.Context, tx pgx.Tx, iss *acme.Issuance) error {
	if iss.Result == nil {
		return fmt.Errorf("issuance %s is done without a result", iss.ID)
	}
	c := iss.Result.Certificate(iss.HostnameID, iss.UpdatedAt)
	tag, err := tx.Exec(ctx, "INSERT INTO certificates ("+certificateColumns+")"+
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (id) DO NOTHING",
		c.ID, c.HostnameID, string(c.Source), c.ChainPEM, c.KeyCiphertext, c.Issuer, c.SerialNumber,
		c.Signature, columns.Strings(c.Hosts), c.FingerprintSHA256, string(c.BundleMethod),
		c.IssuedOn, c.ExpiresOn, c.UploadedOn)
	if err != nil {
		return fmt.Errorf("committing certificate %s: %w", c.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, bumpVersion, iss.ZoneID, iss.HostnameID); err != nil {
		return fmt.Errorf("committing certificate %s: %w", c.ID, err)
	}
	return nil
}

// DueIssuances returns up to limit (< 0: all) live records due at now,
// the earliest first, leased or not.
func (s *Store) DueIssuances(ctx context.Context, now time.Time, limit int) ([]acme.Issuance, error) {
	out, err := s.queryIssuances(ctx, selectIssuance+" WHERE "+live+
		" AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2", now, limitParam(limit, -1))
	if err != nil {
		return nil, fmt.Errorf("listing due issuances: %w", err)
	}
	return out, nil
}

// claimIssuances leases the earliest due, unleased live records in one
// statement. FOR UPDATE SKIP LOCKED lets concurrent claimers (other
// workers, other nodes) pass over the rows one of them is taking; a row
// another claimer leased after this statement's snapshot is re-read before
// it is locked and no longer qualifies (its lease runs), so each lease goes
// to one claimer.
var claimIssuances = `WITH due AS (
	SELECT id FROM acme_issuances
	WHERE ` + live + ` AND next_attempt_at <= $1 AND (leased_until IS NULL OR leased_until <= $1)
	ORDER BY next_attempt_at, id
	LIMIT $2
	FOR UPDATE SKIP LOCKED
)
UPDATE acme_issuances a SET leased_until = $3, lease_owner = $4
FROM due WHERE a.id = due.id
RETURNING ` + prefixed("a.", issuanceColumns)

// ClaimDueIssuances leases the earliest due, unleased live records.
func (s *Store) ClaimDueIssuances(ctx context.Context, now time.Time, limit int, owner string, leaseFor time.Duration) ([]acme.Issuance, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := s.queryIssuances(ctx, claimIssuances, now, limit, now.Add(leaseFor), owner)
	if err != nil {
		return nil, fmt.Errorf("claiming due issuances: %w", err)
	}
	// RETURNING keeps no order.
	slices.SortFunc(out, func(a, b acme.Issuance) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// ReleaseIssuance ends owner's lease on the record.
func (s *Store) ReleaseIssuance(ctx context.Context, id, owner string) error {
	if _, err := s.exec(ctx, "UPDATE acme_issuances SET leased_until = NULL, lease_owner = NULL"+
		" WHERE id = $1 AND lease_owner = $2", id, owner); err != nil {
		return fmt.Errorf("releasing issuance %s: %w", id, err)
	}
	return nil
}

// HostnameIssuances returns the hostname's records, newest first, at most
// limit (<= 0: all).
func (s *Store) HostnameIssuances(ctx context.Context, zoneID, hostnameID string, limit int) ([]acme.Issuance, error) {
	out, err := s.queryIssuances(ctx, selectIssuance+" WHERE hostname_id = $1 AND zone_id = $2"+
		" ORDER BY created_at DESC, id DESC LIMIT $3", hostnameID, zoneID, limitParam(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("listing issuances of hostname %s: %w", hostnameID, err)
	}
	return out, nil
}

// limitParam is a LIMIT parameter: NULL (no limit) when limit is at or
// below unlimited.
func limitParam(limit, unlimited int) any {
	if limit <= unlimited {
		return nil
	}
	return limit
}

// prefixed qualifies every column of a comma-separated list.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		parts[i] = prefix + p
	}
	return strings.Join(parts, ", ")
}

// nullBytes stores an empty byte slice as NULL.
func nullBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
