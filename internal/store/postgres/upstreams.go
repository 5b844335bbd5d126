package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

var _ store.CustomDomains = (*Store)(nil)

const upstreamColumns = "id, zone_id, host, port, tls, prepend_path, created_at, updated_at"

func scanUpstream(row pgx.Row) (core.Upstream, error) {
	var u core.Upstream
	if err := row.Scan(&u.ID, &u.ZoneID, &u.Host, &u.Port, &u.TLS, &u.PrependPath, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return core.Upstream{}, err
	}
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	return u, nil
}

// CreateUpstream inserts u. ErrConflict when the zone has an upstream that
// routes alike, ErrNotFound when the zone does not exist.
func (s *Store) CreateUpstream(ctx context.Context, u core.Upstream) error {
	_, err := s.exec(ctx, "INSERT INTO upstreams ("+upstreamColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		u.ID, u.ZoneID, u.Host, u.Port, u.TLS, u.PrependPath, u.CreatedAt, u.UpdatedAt)
	switch errorCode(err) {
	case uniqueViolation:
		err = store.ErrConflict
	case foreignKeyViolation:
		err = fmt.Errorf("zone %s: %w", u.ZoneID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("creating upstream %s: %w", u.Host, err)
	}
	return nil
}

// GetUpstream returns one upstream of the zone.
func (s *Store) GetUpstream(ctx context.Context, zoneID, id string) (core.Upstream, error) {
	var u core.Upstream
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		var err error
		u, err = scanUpstream(c.QueryRow(ctx, "SELECT "+upstreamColumns+" FROM upstreams WHERE zone_id = $1 AND id = $2", zoneID, id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
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
	where, args := "zone_id = $1", []any{zoneID}
	if q.Host != "" {
		where, args = where+" AND host = $2", append(args, q.Host)
	}
	n := len(args)
	var page store.UpstreamPage
	err := s.tx(ctx, snapshot, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM upstreams WHERE "+where, args...).Scan(&page.Total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT "+upstreamColumns+" FROM upstreams WHERE "+where+
			fmt.Sprintf(" ORDER BY created_at, id LIMIT $%d OFFSET $%d", n+1, n+2), append(args, limitArg(q.Limit), max(q.Offset, 0))...)
		if err != nil {
			return err
		}
		page.Upstreams, err = pgx.AppendRows(page.Upstreams, rows, rowTo(scanUpstream))
		return err
	})
	if err != nil {
		return store.UpstreamPage{}, fmt.Errorf("listing upstreams of zone %s: %w", zoneID, err)
	}
	return page, nil
}

// limitArg is a LIMIT value: NULL is "no limit".
func limitArg(limit int) *int {
	if limit <= 0 {
		return nil
	}
	return &limit
}

// UpdateUpstream writes u's routing fields; a trigger puts every hostname
// bound to it on the change feed.
func (s *Store) UpdateUpstream(ctx context.Context, u core.Upstream) error {
	tag, err := s.exec(ctx, `UPDATE upstreams SET host = $1, port = $2, tls = $3, prepend_path = $4, updated_at = $5
		WHERE zone_id = $6 AND id = $7`, u.Host, u.Port, u.TLS, u.PrependPath, u.UpdatedAt, u.ZoneID, u.ID)
	if errorCode(err) == uniqueViolation {
		err = store.ErrConflict
	}
	if err == nil {
		err = expectRows(tag, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("updating upstream %s: %w", u.ID, err)
	}
	return nil
}

// DeleteUpstream removes an upstream no custom domain routes to.
func (s *Store) DeleteUpstream(ctx context.Context, zoneID, id string) error {
	tag, err := s.exec(ctx, "DELETE FROM upstreams WHERE zone_id = $1 AND id = $2", zoneID, id)
	if errorCode(err) == foreignKeyViolation {
		err = store.ErrInUse
	}
	if err == nil {
		err = expectRows(tag, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("deleting upstream %s: %w", id, err)
	}
	return nil
}
