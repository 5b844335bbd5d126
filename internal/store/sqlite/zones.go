package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/columns"
)

const zoneColumns = `id, name, cname_target, no_wildcards, created_at,
	fallback_origin, fallback_status, fallback_errors, fallback_created_at, fallback_updated_at`

// CreateZone inserts z, with its fallback origin if it has one. ErrConflict
// when the id is taken.
func (s *Store) CreateZone(ctx context.Context, z core.Zone) error {
	fo := fallbackArgs(z.Fallback)
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO zones (`+zoneColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{z.ID, z.Name, z.CNAMETarget, z.NoWildcards, micros(z.CreatedAt)}, fo...)...)
		if isUniqueViolation(err) {
			return store.ErrConflict
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("creating zone %s: %w", z.ID, err)
	}
	return nil
}

// GetZone returns the zone with the given id, or ErrNotFound.
func (s *Store) GetZone(ctx context.Context, id string) (core.Zone, error) {
	z, err := scanZone(s.r.QueryRowContext(ctx, `SELECT `+zoneColumns+` FROM zones WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return core.Zone{}, fmt.Errorf("getting zone %s: %w", id, err)
	}
	return z, nil
}

// ListZones returns every zone, oldest first.
func (s *Store) ListZones(ctx context.Context) ([]core.Zone, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+zoneColumns+` FROM zones ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("listing zones: %w", err)
	}
	defer rows.Close()
	var zs []core.Zone
	for rows.Next() {
		z, err := scanZone(rows)
		if err != nil {
			return nil, fmt.Errorf("listing zones: %w", err)
		}
		zs = append(zs, z)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing zones: %w", err)
	}
	return zs, nil
}

// SetFallbackOrigin replaces (fo != nil) or removes (fo == nil) the zone's
// fallback origin. ErrNotFound when the zone does not exist.
func (s *Store) SetFallbackOrigin(ctx context.Context, zoneID string, fo *core.FallbackOrigin) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE zones SET fallback_origin = ?, fallback_status = ?,
			fallback_errors = ?, fallback_created_at = ?, fallback_updated_at = ? WHERE id = ?`,
			append(fallbackArgs(fo), zoneID)...)
		if err != nil {
			return err
		}
		return expectRows(res, store.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("setting fallback origin of zone %s: %w", zoneID, err)
	}
	return nil
}

// fallbackArgs returns the five fallback columns' values: all NULL for nil.
func fallbackArgs(fo *core.FallbackOrigin) []any {
	if fo == nil {
		return []any{nil, nil, nil, nil, nil}
	}
	return []any{fo.Origin, string(fo.Status), columns.Strings(fo.Errors), micros(fo.CreatedAt), micros(fo.UpdatedAt)}
}

type scanner interface{ Scan(dest ...any) error }

func scanZone(row scanner) (core.Zone, error) {
	var (
		z                core.Zone
		created          int64
		origin, status   sql.NullString
		errs             *string
		foCreated, foUpd sql.NullInt64
	)
	if err := row.Scan(&z.ID, &z.Name, &z.CNAMETarget, &z.NoWildcards, &created,
		&origin, &status, &errs, &foCreated, &foUpd); err != nil {
		return core.Zone{}, err
	}
	z.CreatedAt = fromMicros(created)
	if origin.Valid {
		list, err := columns.ParseStrings(errs)
		if err != nil {
			return core.Zone{}, err
		}
		z.Fallback = &core.FallbackOrigin{
			Origin:    origin.String,
			Status:    core.FallbackOriginStatus(status.String),
			Errors:    list,
			CreatedAt: fromMicros(foCreated.Int64),
			UpdatedAt: fromMicros(foUpd.Int64),
		}
	}
	return z, nil
}

// CreateToken inserts t. ErrConflict when the id is taken, ErrNotFound when
// its zone does not exist.
func (s *Store) CreateToken(ctx context.Context, t core.APIToken) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, zone_id, secret_hash, created_at) VALUES (?, ?, ?, ?)`,
			t.ID, t.ZoneID, t.SecretHash, micros(t.CreatedAt))
		switch {
		case isUniqueViolation(err):
			return store.ErrConflict
		case isForeignKeyViolation(err):
			return fmt.Errorf("zone %s: %w", t.ZoneID, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("creating token %s: %w", t.ID, err)
	}
	return nil
}

// GetToken returns the token with the given id, or ErrNotFound.
func (s *Store) GetToken(ctx context.Context, id string) (core.APIToken, error) {
	var (
		t       core.APIToken
		created int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT id, zone_id, secret_hash, created_at FROM api_tokens WHERE id = ?`, id).
		Scan(&t.ID, &t.ZoneID, &t.SecretHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return core.APIToken{}, fmt.Errorf("getting token %s: %w", id, err)
	}
	t.CreatedAt = fromMicros(created)
	return t, nil
}
