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

// mutableColumns are the hostname columns UpdateHostname writes, in the
// order of mutableArgs and of scanHostname after the fixed five.
var mutableColumns = []string{
	"status", "verification_errors", "ownership_token",
	"custom_origin_server", "custom_origin_sni", "custom_metadata",
	"ssl_id", "ssl_type", "ssl_method", "ssl_status", "ssl_wildcard", "ssl_ca", "ssl_bundle_method",
	"ssl_settings", "ssl_validation_records", "ssl_dcv_delegation", "ssl_validation_errors",
	"ssl_dcv_label", "updated_at",
}

var (
	hostnameColumns = "id, zone_id, name, created_at, version, " + strings.Join(mutableColumns, ", ")
	insertHostname  = "INSERT INTO hostnames (" + hostnameColumns + ") VALUES (?" +
		strings.Repeat(", ?", 4+len(mutableColumns)) + ")"
	updateHostname = "UPDATE hostnames SET " + strings.Join(mutableColumns, " = ?, ") +
		" = ?, version = version + 1 WHERE zone_id = ? AND id = ? AND version = ?"
)

func mutableArgs(h core.Hostname) []any {
	return []any{
		string(h.Status), columns.Strings(h.VerificationErrors), h.OwnershipToken,
		h.CustomOriginServer, h.CustomOriginSNI, columns.Metadata(h.CustomMetadata),
		h.SSL.ID, h.SSL.Type, string(h.SSL.Method), string(h.SSL.Status), h.SSL.Wildcard,
		h.SSL.CertificateAuthority, string(h.SSL.BundleMethod),
		columns.Settings(h.SSL.Settings), columns.Records(h.SSL.ValidationRecords),
		columns.Records(h.SSL.DCVDelegation), columns.Strings(h.SSL.ValidationErrors),
		nullString(h.SSL.DCVLabel),
		micros(h.UpdatedAt),
	}
}

func scanHostname(row scanner) (core.Hostname, error) {
	var (
		h                                core.Hostname
		created, updated                 int64
		verrs, meta, settings, sslErrs   *string
		records, delegation, dcvLabel    *string
		status, method, sslStatus, bundl string
	)
	err := row.Scan(&h.ID, &h.ZoneID, &h.Name, &created, &h.Version,
		&status, &verrs, &h.OwnershipToken,
		&h.CustomOriginServer, &h.CustomOriginSNI, &meta,
		&h.SSL.ID, &h.SSL.Type, &method, &sslStatus, &h.SSL.Wildcard, &h.SSL.CertificateAuthority, &bundl,
		&settings, &records, &delegation, &sslErrs,
		&dcvLabel,
		&updated)
	if err != nil {
		return core.Hostname{}, err
	}
	h.Status, h.SSL.Method, h.SSL.Status, h.SSL.BundleMethod =
		core.HostnameStatus(status), core.DCVMethod(method), core.SSLStatus(sslStatus), core.BundleMethod(bundl)
	h.CreatedAt, h.UpdatedAt = fromMicros(created), fromMicros(updated)
	h.CustomMetadata = columns.ParseMetadata(meta)
	h.SSL.DCVLabel = optString(dcvLabel)
	if h.VerificationErrors, err = columns.ParseStrings(verrs); err != nil {
		return core.Hostname{}, err
	}
	if h.SSL.Settings, err = columns.ParseSettings(settings); err != nil {
		return core.Hostname{}, err
	}
	if h.SSL.ValidationRecords, err = columns.ParseRecords(records); err != nil {
		return core.Hostname{}, err
	}
	if h.SSL.DCVDelegation, err = columns.ParseRecords(delegation); err != nil {
		return core.Hostname{}, err
	}
	if h.SSL.ValidationErrors, err = columns.ParseStrings(sslErrs); err != nil {
		return core.Hostname{}, err
	}
	return h, nil
}

// CreateHostname inserts h with version 1; a trigger counts it in its zone.
// ErrConflict when the zone has the name already (or the id is taken),
// ErrNotFound when the zone does not exist.
func (s *Store) CreateHostname(ctx context.Context, h core.Hostname) error {
	args := append([]any{h.ID, h.ZoneID, h.Name, micros(h.CreatedAt), int64(1)}, mutableArgs(h)...)
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, insertHostname, args...)
		switch {
		case isUniqueViolation(err):
			return store.ErrConflict
		case isForeignKeyViolation(err):
			return fmt.Errorf("zone %s: %w", h.ZoneID, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("creating hostname %s: %w", h.Name, err)
	}
	return nil
}

// GetHostname returns the zone's hostname with its certificates, newest
// first. ErrNotFound when the zone has no such hostname.
func (s *Store) GetHostname(ctx context.Context, zoneID, id string) (core.Hostname, error) {
	var h core.Hostname
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		h, err = scanHostname(tx.QueryRowContext(ctx,
			"SELECT "+hostnameColumns+" FROM hostnames WHERE zone_id = ? AND id = ?", zoneID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		hs := []core.Hostname{h}
		if err := attachCertificates(ctx, tx, hs); err != nil {
			return err
		}
		h = hs[0]
		return nil
	})
	if err != nil {
		return core.Hostname{}, fmt.Errorf("getting hostname %s: %w", id, err)
	}
	return h, nil
}

// UpdateHostname writes h's mutable fields if the stored version is still
// h.Version, and bumps the version. ErrStale when it moved on, ErrNotFound
// when the zone has no such hostname.
func (s *Store) UpdateHostname(ctx context.Context, h core.Hostname) error {
	args := append(mutableArgs(h), h.ZoneID, h.ID, h.Version)
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, updateHostname, args...)
		if err != nil {
			return err
		}
		return staleOrMissing(ctx, tx, res, h.ZoneID, h.ID)
	})
	if err != nil {
		return fmt.Errorf("updating hostname %s: %w", h.Name, err)
	}
	return nil
}

// SetHostnameStatus moves the hostname's status from -> to, bumping its
// version. ErrStale when the status is not from.
func (s *Store) SetHostnameStatus(ctx context.Context, zoneID, id string, from, to core.HostnameStatus, at time.Time) error {
	err := s.casColumn(ctx, "status", zoneID, id, string(from), string(to), at)
	if err != nil {
		return fmt.Errorf("setting status of hostname %s from %s to %s: %w", id, from, to, err)
	}
	return nil
}

// SetSSLStatus moves the certificate status from -> to, bumping the
// hostname's version. ErrStale when the status is not from.
func (s *Store) SetSSLStatus(ctx context.Context, zoneID, id string, from, to core.SSLStatus, at time.Time) error {
	err := s.casColumn(ctx, "ssl_status", zoneID, id, string(from), string(to), at)
	if err != nil {
		return fmt.Errorf("setting ssl status of hostname %s from %s to %s: %w", id, from, to, err)
	}
	return nil
}

// casColumn is the compare-and-swap behind the two status setters; column
// is one of two constants, never input.
func (s *Store) casColumn(ctx context.Context, column, zoneID, id, from, to string, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE hostnames SET "+column+" = ?, updated_at = ?, version = version + 1"+
			" WHERE zone_id = ? AND id = ? AND "+column+" = ?", to, micros(at), zoneID, id, from)
		if err != nil {
			return err
		}
		return staleOrMissing(ctx, tx, res, zoneID, id)
	})
}

// staleOrMissing explains a conditional update of a hostname: nil when it
// changed a row, else ErrNotFound when the zone has no such hostname and
// ErrStale when it has one that did not match the condition.
func staleOrMissing(ctx context.Context, tx *sql.Tx, res sql.Result, zoneID, id string) error {
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM hostnames WHERE zone_id = ? AND id = ?", zoneID, id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	}
	return store.ErrStale
}

// DeleteHostname removes the zone's hostname; its certificates, ACME
// records and DCV values go with it (ON DELETE CASCADE), a trigger uncounts
// it, and the HTTP-01 responses of its name go too unless another zone
// holds the name, all in the same transaction. ErrNotFound when the zone
// has no such hostname.
func (s *Store) DeleteHostname(ctx context.Context, zoneID, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, "DELETE FROM hostnames WHERE zone_id = ? AND id = ? RETURNING name",
			zoneID, id).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM acme_http_challenges WHERE identifier = ?"+
			" AND NOT EXISTS (SELECT 1 FROM hostnames WHERE name = ?)", name, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting hostname %s: %w", id, err)
	}
	return nil
}
