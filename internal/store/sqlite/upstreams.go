package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

var _ store.CustomDomains = (*Store)(nil)

const upstreamColumns = "id, zone_id, host, port, tls, prepend_path, created_at, updated_at"

func scanUpstream(row scanner) (core.Upstream, error) {
	var (
		u                core.Upstream
		created, updated int64
	)
	if err := row.Scan(&u.ID, &u.ZoneID, &u.Host, &u.Port, &u.TLS, &u.PrependPath, &created, &updated); err != nil {
		return core.Upstream{}, err
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return u, nil
}

// CreateUpstream inserts u. ErrConflict when the zone has an upstream that
// routes alike, ErrNotFound when the zone does not exist.
func (s *Store) CreateUpstream(ctx context.Context, u core.Upstream) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO upstreams ("+upstreamColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			u.ID, u.ZoneID, u.Host, u.Port, u.TLS, u.PrependPath, micros(u.CreatedAt), micros(u.UpdatedAt))
		switch {
		case isUniqueViolation(err):
			return store.ErrConflict
		case isForeignKeyViolation(err):
			return fmt.Errorf("zone %s: %w", u.ZoneID, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("creating upstream %s: %w", u.Host, err)
	}
	return nil
}

// GetUpstream returns one upstream of the zone.
func (s *Store) GetUpstream(ctx context.Context, zoneID, id string) (core.Upstream, error) {
	u, err := scanUpstream(s.r.QueryRowContext(ctx,
		"SELECT "+upstreamColumns+" FROM upstreams WHERE zone_id = ? AND id = ?", zoneID, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return core.Upstream{}, fmt.Errorf("getting upstream %s: %w", id, err)
	}
	return u, nil
}

// ListUpstreams returns one page of the zone's upstreams, oldest first, and
// the number matching, from one snapshot.
func (s *Store) ListUpstreams(ctx context.Context, zoneID string, q store.UpstreamQuery) (store.UpstreamPage, error) {
	where, args := "zone_id = ?", []any{zoneID}
	if q.Host != "" {
		where, args = where+" AND host = ?", append(args, q.Host)
	}
	var page store.UpstreamPage
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM upstreams WHERE "+where, args...).Scan(&page.Total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+upstreamColumns+" FROM upstreams WHERE "+where+
			" ORDER BY created_at, id LIMIT ? OFFSET ?", append(args, limitArg(q.Limit), max(q.Offset, 0))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUpstream(rows)
			if err != nil {
				return err
			}
			page.Upstreams = append(page.Upstreams, u)
		}
		return rows.Err()
	})
	if err != nil {
		return store.UpstreamPage{}, fmt.Errorf("listing upstreams of zone %s: %w", zoneID, err)
	}
	return page, nil
}

// limitArg is a LIMIT value: SQLite takes -1 as "no limit".
func limitArg(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// UpdateUpstream writes u's routing fields; a trigger puts every hostname
// bound to it on the change feed.
func (s *Store) UpdateUpstream(ctx context.Context, u core.Upstream) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE upstreams SET host = ?, port = ?, tls = ?, prepend_path = ?, updated_at = ?
			WHERE zone_id = ? AND id = ?`, u.Host, u.Port, u.TLS, u.PrependPath, micros(u.UpdatedAt), u.ZoneID, u.ID)
		if isUniqueViolation(err) {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		return expectRows(res, store.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("updating upstream %s: %w", u.ID, err)
	}
	return nil
}

// DeleteUpstream removes an upstream no custom domain routes to.
func (s *Store) DeleteUpstream(ctx context.Context, zoneID, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM upstreams WHERE zone_id = ? AND id = ?", zoneID, id)
		if isForeignKeyViolation(err) {
			return store.ErrInUse
		}
		if err != nil {
			return err
		}
		return expectRows(res, store.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("deleting upstream %s: %w", id, err)
	}
	return nil
}
