package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

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
	insertIssuance = "INSERT INTO acme_issuances (" + issuanceColumns + ") SELECT ?, ?, ?" +
		strings.Repeat(", ?", len(issuanceMutable)) + ", 1 WHERE EXISTS (SELECT 1 FROM hostnames WHERE zone_id = ? AND id = ?)"
	updateIssuance = "UPDATE acme_issuances SET " + strings.Join(issuanceMutable, " = ?, ") +
		" = ?, version = version + 1 WHERE id = ?"
)

// live is the predicate of the partial indexes acme_issuances_live and
// acme_issuances_due, repeated verbatim so that SQLite's planner uses them.
const live = "step NOT IN ('done', 'failed')"

func issuanceArgs(iss *acme.Issuance) []any {
	return []any{
		columns.Strings(iss.Identifiers), string(iss.Method), iss.HTTPReady, iss.DCVLabel, iss.CA, iss.Replaces,
		nullMicros(iss.Deadline),
		string(iss.Step), iss.AccountURL, iss.OrderURL, iss.FinalizeURL, iss.CertURL, columns.Authzs(iss.Authzs),
		nullBytes(iss.KeyCiphertext), columns.Result(iss.Result),
		iss.Attempts, iss.Retries, micros(iss.NextAttemptAt), iss.LastError,
		columns.Strings(iss.ValidationErrors), columns.Records(iss.ValidationRecords),
		iss.HTTPFailed, micros(iss.CreatedAt), micros(iss.UpdatedAt),
	}
}

func scanIssuance(row scanner) (acme.Issuance, error) {
	var (
		iss                                 acme.Issuance
		ids, authzs, result, verrs, records *string
		method, step                        string
		deadline                            sql.NullInt64
		next, created, updated              int64
	)
	err := row.Scan(&iss.ID, &iss.ZoneID, &iss.HostnameID,
		&ids, &method, &iss.HTTPReady, &iss.DCVLabel, &iss.CA, &iss.Replaces, &deadline,
		&step, &iss.AccountURL, &iss.OrderURL, &iss.FinalizeURL, &iss.CertURL, &authzs, &iss.KeyCiphertext, &result,
		&iss.Attempts, &iss.Retries, &next, &iss.LastError, &verrs, &records,
		&iss.HTTPFailed, &created, &updated, &iss.Version)
	if err != nil {
		return acme.Issuance{}, err
	}
	iss.Method, iss.Step = core.DCVMethod(method), acme.Step(step)
	iss.Deadline = nullTime(deadline)
	iss.NextAttemptAt, iss.CreatedAt, iss.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
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

// scanIssuances reads and closes rows.
func scanIssuances(rows *sql.Rows) ([]acme.Issuance, error) {
	defer rows.Close()
	var out []acme.Issuance
	for rows.Next() {
		iss, err := scanIssuance(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, iss)
	}
	return out, rows.Err()
}

// CreateIssuance stores iss at version 1. acme.ErrConflict when the id
// exists or the hostname has a live record already; acme.ErrNotFound when
// the zone has no such hostname.
func (s *Store) CreateIssuance(ctx context.Context, iss *acme.Issuance) error {
	if iss.Version != 0 {
		return fmt.Errorf("creating issuance %s: version must be 0, is %d", iss.ID, iss.Version)
	}
	args := append([]any{iss.ID, iss.ZoneID, iss.HostnameID}, issuanceArgs(iss)...)
	args = append(args, iss.ZoneID, iss.HostnameID)
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertIssuance, args...)
		switch {
		case isUniqueViolation(err):
			return acme.ErrConflict
		case isForeignKeyViolation(err):
			return fmt.Errorf("hostname %s: %w", iss.HostnameID, acme.ErrNotFound)
		case err != nil:
			return err
		}
		if err := expectRows(res, acme.ErrNotFound); err != nil {
			return fmt.Errorf("hostname %s: %w", iss.HostnameID, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("creating issuance %s: %w", iss.ID, err)
	}
	iss.Version = 1
	return nil
}

// GetIssuance returns the record; acme.ErrNotFound when there is none.
func (s *Store) GetIssuance(ctx context.Context, id string) (acme.Issuance, error) {
	iss, err := scanIssuance(s.r.QueryRowContext(ctx, "SELECT "+issuanceColumns+" FROM acme_issuances WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = acme.ErrNotFound
	}
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
func (s *Store) SaveIssuance(ctx context.Context, iss *acme.Issuance) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var (
			zoneID, hostnameID, step string
			version                  int64
		)
		err := tx.QueryRowContext(ctx, "SELECT zone_id, hostname_id, step, version FROM acme_issuances WHERE id = ?",
			iss.ID).Scan(&zoneID, &hostnameID, &step, &version)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return acme.ErrNotFound
		case err != nil:
			return err
		case zoneID != iss.ZoneID || hostnameID != iss.HostnameID:
			return fmt.Errorf("no record for hostname %s: %w", iss.HostnameID, acme.ErrNotFound)
		case version != iss.Version:
			return fmt.Errorf("at version %d (stored %d): %w", iss.Version, version, acme.ErrStale)
		}
		_, err = tx.ExecContext(ctx, updateIssuance, append(issuanceArgs(iss), iss.ID)...)
		if isUniqueViolation(err) {
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
func commitCertificate(ctx context.Context, tx *sql.Tx, iss *acme.Issuance) error {
	if iss.Result == nil {
		return fmt.Errorf("issuance %s is done without a result", iss.ID)
	}
	c := iss.Result.Certificate(iss.HostnameID, iss.UpdatedAt)
	res, err := tx.ExecContext(ctx, "INSERT INTO certificates ("+certificateColumns+")"+
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
		c.ID, c.HostnameID, string(c.Source), c.ChainPEM, c.KeyCiphertext, c.Issuer, c.SerialNumber,
		c.Signature, columns.Strings(c.Hosts), c.FingerprintSHA256, string(c.BundleMethod),
		micros(c.IssuedOn), micros(c.ExpiresOn), micros(c.UploadedOn))
	if err != nil {
		return fmt.Errorf("committing certificate %s: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	if err := bumpVersion(ctx, tx, iss.ZoneID, iss.HostnameID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = acme.ErrNotFound
		}
		return fmt.Errorf("committing certificate %s: %w", c.ID, err)
	}
	return nil
}

// DueIssuances returns up to limit (< 0: all) live records due at now,
// the earliest first, leased or not.
func (s *Store) DueIssuances(ctx context.Context, now time.Time, limit int) ([]acme.Issuance, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+issuanceColumns+" FROM acme_issuances WHERE "+live+
		" AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?", micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("listing due issuances: %w", err)
	}
	out, err := scanIssuances(rows)
	if err != nil {
		return nil, fmt.Errorf("listing due issuances: %w", err)
	}
	return out, nil
}

// ClaimDueIssuances leases the earliest due, unleased live records. The
// select and the lease run in one IMMEDIATE transaction on the one writer
// connection, and other processes wait on the file's write lock, so no two
// claimers see the same record unleased.
func (s *Store) ClaimDueIssuances(ctx context.Context, now time.Time, limit int, owner string, leaseFor time.Duration) ([]acme.Issuance, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []acme.Issuance
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+issuanceColumns+" FROM acme_issuances WHERE "+live+
			" AND next_attempt_at <= ? AND (leased_until IS NULL OR leased_until <= ?)"+
			" ORDER BY next_attempt_at, id LIMIT ?", micros(now), micros(now), limit)
		if err != nil {
			return err
		}
		if out, err = scanIssuances(rows); err != nil {
			return err
		}
		until := micros(now.Add(leaseFor))
		for _, iss := range out {
			if _, err := tx.ExecContext(ctx, "UPDATE acme_issuances SET leased_until = ?, lease_owner = ? WHERE id = ?",
				until, owner, iss.ID); err != nil {
				return fmt.Errorf("leasing issuance %s: %w", iss.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming due issuances: %w", err)
	}
	return out, nil
}

// ReleaseIssuance ends owner's lease on the record.
func (s *Store) ReleaseIssuance(ctx context.Context, id, owner string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE acme_issuances SET leased_until = NULL, lease_owner = NULL"+
			" WHERE id = ? AND lease_owner = ?", id, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("releasing issuance %s: %w", id, err)
	}
	return nil
}

// HostnameIssuances returns the hostname's records, newest first, at most
// limit (<= 0: all).
func (s *Store) HostnameIssuances(ctx context.Context, zoneID, hostnameID string, limit int) ([]acme.Issuance, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+issuanceColumns+" FROM acme_issuances"+
		" WHERE hostname_id = ? AND zone_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", hostnameID, zoneID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing issuances of hostname %s: %w", hostnameID, err)
	}
	out, err := scanIssuances(rows)
	if err != nil {
		return nil, fmt.Errorf("listing issuances of hostname %s: %w", hostnameID, err)
	}
	return out, nil
}

// nullBytes stores an empty byte slice as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func optString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
