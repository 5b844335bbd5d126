package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/columns"
)

var (
	_ store.EdgeSource     = (*Store)(nil)
	_ store.ChangeNotifier = (*Store)(nil)
)

// ActiveNames pages through the names the edge serves: an index-only scan
// of the partial index hostnames_edge_names.
func (s *Store) ActiveNames(ctx context.Context, after string, limit int) ([]string, error) {
	names := make([]string, 0, min(limit, 4096))
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT DISTINCT name FROM hostnames
			WHERE status IN ('active', 'active_redeploying') AND name > $1 ORDER BY name LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("listing active names: %w", err)
	}
	return names, nil
}

const edgeRouteColumns = `h.id, h.zone_id, h.name, h.status, h.version, h.updated_at, h.ownership_token,
	h.custom_origin_server, h.custom_origin_sni, h.custom_metadata, h.ssl_settings,
	CASE WHEN z.fallback_status = 'active' THEN z.fallback_origin END,
	u.host, u.port, u.tls, u.prepend_path, d.redirect_to_www`

// edgeRouteFrom joins a hostname's zone (the fallback origin) and, for a
// custom domain, its record and upstream.
const edgeRouteFrom = ` FROM hostnames h JOIN zones z ON z.id = h.zone_id
	LEFT JOIN custom_domains d ON d.hostname_id = h.id LEFT JOIN upstreams u ON u.id = d.upstream_id`

// EdgeRoutes returns the hostnames named name in every zone, the most
// recently updated first.
func (s *Store) EdgeRoutes(ctx context.Context, name string) ([]store.EdgeRoute, error) {
	var out []store.EdgeRoute
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, "SELECT "+edgeRouteColumns+
			edgeRouteFrom+" WHERE h.name = $1 ORDER BY h.updated_at DESC, h.id", name)
		if err != nil {
			return err
		}
		out, err = pgx.AppendRows(out, rows, rowTo(scanEdgeRoute))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("loading routes of %s: %w", name, err)
	}
	return out, nil
}

// EdgeRoute returns one hostname by id, in whatever zone.
func (s *Store) EdgeRoute(ctx context.Context, hostnameID string) (store.EdgeRoute, error) {
	var r store.EdgeRoute
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		var err error
		r, err = scanEdgeRoute(c.QueryRow(ctx, "SELECT "+edgeRouteColumns+
			edgeRouteFrom+" WHERE h.id = $1", hostnameID))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.EdgeRoute{}, fmt.Errorf("loading route of hostname %s: %w", hostnameID, err)
	}
	return r, nil
}

func scanEdgeRoute(row pgx.Row) (store.EdgeRoute, error) {
	var (
		r                        store.EdgeRoute
		status                   string
		meta, settings, fallback *string
		upHost, upPath           *string
		upPort                   *int32
		upTLS, redirect          *bool
	)
	if err := row.Scan(&r.HostnameID, &r.ZoneID, &r.Name, &status, &r.Version, &r.UpdatedAt, &r.OwnershipToken,
		&r.CustomOriginServer, &r.CustomOriginSNI, &meta, &settings, &fallback,
		&upHost, &upPort, &upTLS, &upPath, &redirect); err != nil {
		return store.EdgeRoute{}, err
	}
	if upHost != nil && upPort != nil && upTLS != nil && upPath != nil {
		r.Upstream = &store.EdgeUpstream{Host: *upHost, Port: int(*upPort), TLS: *upTLS, PrependPath: *upPath}
	}
	r.RedirectToWWW = redirect != nil && *redirect
	r.Status, r.UpdatedAt = core.HostnameStatus(status), utc(r.UpdatedAt)
	r.CustomMetadata = columns.ParseMetadata(meta)
	if fallback != nil {
		r.FallbackOrigin = *fallback
	}
	var err error
	if r.Settings, err = columns.ParseSettings(settings); err != nil {
		return store.EdgeRoute{}, err
	}
	return r, nil
}

// EdgeCertificates returns the hostname's certificates, newest first.
func (s *Store) EdgeCertificates(ctx context.Context, hostnameID string) ([]core.Certificate, error) {
	var out []core.Certificate
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, selectCertificates+" WHERE hostname_id = $1 ORDER BY uploaded_on DESC, id", hostnameID)
		if err != nil {
			return err
		}
		out, err = scanCertificates(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("loading certificates of hostname %s: %w", hostnameID, err)
	}
	return out, nil
}

// LatestChange returns the cursor just before the oldest transaction still
// running: every transaction older than it has finished (so a state loaded
// after this call includes its writes), and every entry a running or later
// transaction writes has a larger transaction id, so ChangesSince will
// deliver it.
func (s *Store) LatestChange(ctx context.Context) (store.ChangeCursor, error) {
	var xmin int64
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").Scan(&xmin)
	})
	if err != nil {
		return store.ChangeCursor{}, fmt.Errorf("reading the change feed position: %w", err)
	}
	return store.ChangeCursor{Txn: xmin - 1, Seq: math.MaxInt64}, nil
}

// ChangesSince returns up to limit changes after the cursor in (txid, seq)
// order. A change is settled when its transaction is older than the oldest
// one still running (pg_snapshot_xmin, over the whole cluster): only then
// can no entry appear before it. Unsettled changes are returned too, so that
// a long transaction elsewhere does not delay the edge; the reader keeps its
// cursor behind them and remembers which it applied.
func (s *Store) ChangesSince(ctx context.Context, after store.ChangeCursor, limit int) ([]store.Change, error) {
	var out []store.Change
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT txid::text::bigint, seq, kind, zone_id, hostname_id, name, status,
				txid < pg_snapshot_xmin(pg_current_snapshot())
			FROM edge_changes WHERE (txid, seq) > ($1::text::xid8, $2)
			ORDER BY txid, seq LIMIT $3`, strconv.FormatInt(after.Txn, 10), after.Seq, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				ch               store.Change
				kind             string
				id, name, status *string
			)
			if err := rows.Scan(&ch.Cursor.Txn, &ch.Cursor.Seq, &kind, &ch.ZoneID, &id, &name, &status, &ch.Settled); err != nil {
				return err
			}
			ch.Kind = store.ChangeKind(kind)
			if id != nil {
				ch.HostnameID = *id
			}
			if name != nil {
				ch.Name = *name
			}
			if status != nil {
				ch.Status = core.HostnameStatus(*status)
			}
			out = append(out, ch)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the change feed: %w", err)
	}
	return out, nil
}
