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

const zoneColumns = `id, name, cname_target, no_wildcards, created_at,
	fallback_origin, fallback_status, fallback_errors, fallback_created_at, fallback_updated_at`

// CreateZone inserts z, with its fallback origin if it has one. ErrConflict
// when the id is taken.
func (s *Store) CreateZone(ctx context.Context, z core.Zone) error {
	_, err := s.exec(ctx, `INSERT INTO zones (`+zoneColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		append([]any{z.ID, z.Name, z.CNAMETarget, z.NoWildcards, z.CreatedAt}, fallbackArgs(z.Fallback)...)...)
	if errorCode(err) == uniqueViolation {
		err = store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("creating zone %s: %w", z.ID, err)
	}
	return nil
}

// GetZone returns the zone with the given id, or ErrNotFound.
func (s *Store) GetZone(ctx context.Context, id string) (core.Zone, error) {
	var z core.Zone
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		var err error
		z, err = scanZone(c.QueryRow(ctx, `SELECT `+zoneColumns+` FROM zones WHERE id = $1`, id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return core.Zone{}, fmt.Errorf("getting zone %s: %w", id, err)
	}
	return z, nil
}

// ListZones returns every zone, oldest first.
func (s *Store) ListZones(ctx context.Context) ([]core.Zone, error) {
	var zs []core.Zone
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT `+zoneColumns+` FROM zones ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		zs, err = pgx.AppendRows(zs, rows, rowTo(scanZone))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing zones: %w", err)
	}
	return zs, nil
}

// SetFallbackOrigin replaces (fo != nil) or removes (fo == nil) the zone's
// fallback origin. ErrNotFound when the zone does not exist.
func (s *Store) SetFallbackOrigin(ctx context.Context, zoneID string, fo *core.FallbackOrigin) error {
	tag, err := s.exec(ctx, `UPDATE zones SET fallback_origin = $1, fallback_status = $2,
		fallback_errors = $3, fallback_created_at = $4, fallback_updated_at = $5 WHERE id = $6`,
		append(fallbackArgs(fo), zoneID)...)
	if err == nil {
		err = expectRows(tag, store.ErrNotFound)
	}
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
	return []any{fo.Origin, string(fo.Status), columns.Strings(fo.Errors), fo.CreatedAt, fo.UpdatedAt}
}

func scanZone(row pgx.Row) (core.Zone, error) {
	var (
		z                 core.Zone
		origin, status    *string
		errs              *string
		foCreated, foUpdt *time.Time
	)
	if err := row.Scan(&z.ID, &z.Name, &z.CNAMETarget, &z.NoWildcards, &z.CreatedAt,
		&origin, &status, &errs, &foCreated, &foUpdt); err != nil {
		return core.Zone{}, err
	}
	z.CreatedAt = utc(z.CreatedAt)
	if origin != nil {
		list, err := columns.ParseStrings(errs)
		if err != nil {
			return core.Zone{}, err
		}
		z.Fallback = &core.FallbackOrigin{Origin: *origin, Errors: list}
		if status != nil {
			z.Fallback.Status = core.FallbackOriginStatus(*status)
		}
		if foCreated != nil {
			z.Fallback.CreatedAt = utc(*foCreated)
		}
		if foUpdt != nil {
			z.Fallback.UpdatedAt = utc(*foUpdt)
		}
	}
	return z, nil
}

// CreateToken inserts t. ErrConflict when the id is taken, ErrNotFound when
// its zone does not exist.
func (s *Store) CreateToken(ctx context.Context, t core.APIToken) error {
	_, err := s.exec(ctx, `INSERT INTO api_tokens (id, zone_id, secret_hash, created_at) VALUES ($1, $2, $3, $4)`,
		t.ID, t.ZoneID, t.SecretHash, t.CreatedAt)
	switch errorCode(err) {
	case uniqueViolation:
		err = store.ErrConflict
	case foreignKeyViolation:
		err = fmt.Errorf("zone %s: %w", t.ZoneID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("creating token %s: %w", t.ID, err)
	}
	return nil
}

// GetToken returns the token with the given id, or ErrNotFound.
func (s *Store) GetToken(ctx context.Context, id string) (core.APIToken, error) {
	var t core.APIToken
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT id, zone_id, secret_hash, created_at FROM api_tokens WHERE id = $1`, id).
			Scan(&t.ID, &t.ZoneID, &t.SecretHash, &t.CreatedAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return core.APIToken{}, fmt.Errorf("getting token %s: %w", id, err)
	}
	t.CreatedAt = utc(t.CreatedAt)
	return t, nil
}
