package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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
	insertHostname  = "INSERT INTO hostnames (" + hostnameColumns + ") VALUES (" + params(1, 5+len(mutableColumns)) + ")"
	updateHostname  = conditional("UPDATE hostnames SET "+setList(mutableColumns)+", version = version + 1"+
		" WHERE zone_id = $"+strconv.Itoa(len(mutableColumns)+1)+" AND id = $"+strconv.Itoa(len(mutableColumns)+2)+
		" AND version = $"+strconv.Itoa(len(mutableColumns)+3), len(mutableColumns)+1)
)

// params returns "$from, ..., $to".
func params(from, to int) string {
	ps := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		ps = append(ps, "$"+strconv.Itoa(i))
	}
	return strings.Join(ps, ", ")
}

// setList returns "a = $1, b = $2, ...".
func setList(cols []string) string {
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = $" + strconv.Itoa(i+1)
	}
	return strings.Join(sets, ", ")
}

// conditional wraps a conditional UPDATE of one hostname so that the same
// round trip, and the same snapshot, tells why it matched nothing: it
// returns (changed, exists), where exists is whether the zone has the
// hostname at all. zoneParam is the number of the zone id parameter; the
// hostname id parameter follows it.
func conditional(update string, zoneParam int) string {
	return "WITH u AS (" + update + " RETURNING 1) SELECT EXISTS (SELECT 1 FROM u), " +
		"EXISTS (SELECT 1 FROM hostnames WHERE zone_id = $" + strconv.Itoa(zoneParam) +
		" AND id = $" + strconv.Itoa(zoneParam+1) + ")"
}

// runConditional runs a statement built by conditional and maps its answer
// to nil, ErrStale or ErrNotFound.
func (s *Store) runConditional(ctx context.Context, sql string, args ...any) error {
	var changed, exists bool
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, sql, args...).Scan(&changed, &exists)
	})
	switch {
	case err != nil:
		return err
	case changed:
		return nil
	case exists:
		return store.ErrStale
	}
	return store.ErrNotFound
}

func mutableArgs(h core.Hostname) []any {
	return []any{
		string(h.Status), columns.Strings(h.VerificationErrors), h.OwnershipToken,
		h.CustomOriginServer, h.CustomOriginSNI, columns.Metadata(h.CustomMetadata),
		h.SSL.ID, h.SSL.Type, string(h.SSL.Method), string(h.SSL.Status), h.SSL.Wildcard,
		h.SSL.CertificateAuthority, string(h.SSL.BundleMethod),
		columns.Settings(h.SSL.Settings), columns.Records(h.SSL.ValidationRecords),
		columns.Records(h.SSL.DCVDelegation), columns.Strings(h.SSL.ValidationErrors),
		nullString(h.SSL.DCVLabel),
		h.UpdatedAt,
	}
}

func scanHostname(row pgx.Row) (core.Hostname, error) {
	var (
		h                                core.Hostname
		verrs, meta, settings, sslErrs   *string
		records, delegation, dcvLabel    *string
		status, method, sslStatus, bundl string
	)
	err := row.Scan(&h.ID, &h.ZoneID, &h.Name, &h.CreatedAt, &h.Version,
		&status, &verrs, &h.OwnershipToken,
		&h.CustomOriginServer, &h.CustomOriginSNI, &meta,
		&h.SSL.ID, &h.SSL.Type, &method, &sslStatus, &h.SSL.Wildcard, &h.SSL.CertificateAuthority, &bundl,
		&settings, &records, &delegation, &sslErrs,
		&dcvLabel,
		&h.UpdatedAt)
	if err != nil {
		return core.Hostname{}, err
	}
	h.Status, h.SSL.Method, h.SSL.Status, h.SSL.BundleMethod =
		core.HostnameStatus(status), core.DCVMethod(method), core.SSLStatus(sslStatus), core.BundleMethod(bundl)
	h.CreatedAt, h.UpdatedAt = utc(h.CreatedAt), utc(h.UpdatedAt)
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
// ErrNotFound when the zone does not exist. One statement: racing creates
// of one name meet in the unique index, and all but one fail.
func (s *Store) CreateHostname(ctx context.Context, h core.Hostname) error {
	_, err := s.exec(ctx, insertHostname,
		append([]any{h.ID, h.ZoneID, h.Name, h.CreatedAt, int64(1)}, mutableArgs(h)...)...)
	switch errorCode(err) {
	case uniqueViolation:
		err = store.ErrConflict
	case foreignKeyViolation:
		err = fmt.Errorf("zone %s: %w", h.ZoneID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("creating hostname %s: %w", h.Name, err)
	}
	return nil
}

// GetHostname returns the zone's hostname with its certificates, newest
// first. ErrNotFound when the zone has no such hostname.
func (s *Store) GetHostname(ctx context.Context, zoneID, id string) (core.Hostname, error) {
	var h core.Hostname
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		// One round trip for both queries. The certificate query is not
		// scoped to the zone: its rows are used only when the hostname
		// query found the hostname in the zone.
		b := &pgx.Batch{}
		b.Queue("SELECT "+hostnameColumns+" FROM hostnames WHERE zone_id = $1 AND id = $2", zoneID, id)
		b.Queue(selectCertificates+" WHERE hostname_id = $1 ORDER BY uploaded_on DESC, id", id)
		br := c.SendBatch(ctx, b)
		defer br.Close()
		var err error
		if h, err = scanHostname(br.QueryRow()); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		h.SSL.Certificates, err = scanCertificates(rows)
		if err != nil {
			return err
		}
		return br.Close()
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
	if err := s.runConditional(ctx, updateHostname, append(mutableArgs(h), h.ZoneID, h.ID, h.Version)...); err != nil {
		return fmt.Errorf("updating hostname %s: %w", h.Name, err)
	}
	return nil
}

var (
	casStatus = conditional("UPDATE hostnames SET status = $1, updated_at = $2, version = version + 1"+
		" WHERE zone_id = $3 AND id = $4 AND status = $5", 3)
	casSSLStatus = conditional("UPDATE hostnames SET ssl_status = $1, updated_at = $2, version = version + 1"+
		" WHERE zone_id = $3 AND id = $4 AND ssl_status = $5", 3)
)

// SetHostnameStatus moves the hostname's status from -> to, bumping its
// version. ErrStale when the status is not from.
func (s *Store) SetHostnameStatus(ctx context.Context, zoneID, id string, from, to core.HostnameStatus, at time.Time) error {
	if err := s.runConditional(ctx, casStatus, string(to), at, zoneID, id, string(from)); err != nil {
		return fmt.Errorf("setting status of hostname %s from %s to %s: %w", id, from, to, err)
	}
	return nil
}

// SetSSLStatus moves the certificate status from -> to, bumping the
// hostname's version. ErrStale when the status is not from.
func (s *Store) SetSSLStatus(ctx context.Context, zoneID, id string, from, to core.SSLStatus, at time.Time) error {
	if err := s.runConditional(ctx, casSSLStatus, string(to), at, zoneID, id, string(from)); err != nil {
		return fmt.Errorf("setting ssl status of hostname %s from %s to %s: %w", id, from, to, err)
	}
	return nil
}

// deleteHostname deletes the hostname and, when no hostname in another
// zone has its name, the HTTP-01 responses of the name. The challenge
// delete sees the snapshot before the hostname delete, hence the id test.
const deleteHostname = `WITH d AS (
	DELETE FROM hostnames WHERE zone_id = $1 AND id = $2 RETURNING name
), c AS (
	DELETE FROM acme_http_challenges WHERE identifier IN (SELECT name FROM d)
		AND NOT EXISTS (SELECT 1 FROM hostnames h WHERE h.name = identifier AND h.id <> $2)
)
SELECT count(*) FROM d`

// DeleteHostname removes the zone's hostname; its certificates, ACME
// records and DCV values go with it (ON DELETE CASCADE), a trigger
// uncounts it, and the HTTP-01 responses of its name go too unless another
// zone holds the name, all in the statement's transaction. ErrNotFound
// when the zone has no such hostname.
func (s *Store) DeleteHostname(ctx context.Context, zoneID, id string) error {
	var n int
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, deleteHostname, zoneID, id).Scan(&n)
	})
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("deleting hostname %s: %w", id, err)
	}
	return nil
}
