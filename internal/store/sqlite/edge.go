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

var _ store.EdgeSource = (*Store)(nil)

// ActiveNames pages through the names the edge serves, reading only the
// partial index hostnames_edge_names (its WHERE clause must match the
// index's word for word for SQLite to use it).
func (s *Store) ActiveNames(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT name FROM hostnames
		WHERE status IN ('active', 'active_redeploying') AND name > ? ORDER BY name LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("listing active names: %w", err)
	}
	defer rows.Close()
	names := make([]string, 0, min(limit, 4096))
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("listing active names: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
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
	rows, err := s.r.QueryContext(ctx, "SELECT "+edgeRouteColumns+
		edgeRouteFrom+" WHERE h.name = ? ORDER BY h.updated_at DESC, h.id", name)
	if err != nil {
		return nil, fmt.Errorf("loading routes of %s: %w", name, err)
	}
	defer rows.Close()
	var out []store.EdgeRoute
	for rows.Next() {
		r, err := scanEdgeRoute(rows)
		if err != nil {
			return nil, fmt.Errorf("loading routes of %s: %w", name, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loading routes of %s: %w", name, err)
	}
	return out, nil
}

// EdgeRoute returns one hostname by id, in whatever zone.
func (s *Store) EdgeRoute(ctx context.Context, hostnameID string) (store.EdgeRoute, error) {
	r, err := scanEdgeRoute(s.r.QueryRowContext(ctx, "SELECT "+edgeRouteColumns+
		edgeRouteFrom+" WHERE h.id = ?", hostnameID))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.EdgeRoute{}, fmt.Errorf("loading route of hostname %s: %w", hostnameID, err)
	}
	return r, nil
}

func scanEdgeRoute(row scanner) (store.EdgeRoute, error) {
	var (
		r                        store.EdgeRoute
		status                   string
		updated                  int64
		meta, settings, fallback *string
		upHost, upPath           *string
		upPort                   *int64
		upTLS, redirect          *bool
	)
	if err := row.Scan(&r.HostnameID, &r.ZoneID, &r.Name, &status, &r.Version, &updated, &r.OwnershipToken,
		&r.CustomOriginServer, &r.CustomOriginSNI, &meta, &settings, &fallback,
		&upHost, &upPort, &upTLS, &upPath, &redirect); err != nil {
		return store.EdgeRoute{}, err
	}
	if upHost != nil && upPort != nil && upTLS != nil && upPath != nil {
		r.Upstream = &store.EdgeUpstream{Host: *upHost, Port: int(*upPort), TLS: *upTLS, PrependPath: *upPath}
	}
	r.RedirectToWWW = redirect != nil && *redirect
	r.Status, r.UpdatedAt = core.HostnameStatus(status), fromMicros(updated)
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
	rows, err := s.r.QueryContext(ctx, "SELECT "+certificateColumns+
		" FROM certificates WHERE hostname_id = ? ORDER BY uploaded_on DESC, id", hostnameID)
	if err != nil {
		return nil, fmt.Errorf("loading certificates of hostname %s: %w", hostnameID, err)
	}
	defer rows.Close()
	var out []core.Certificate
	for rows.Next() {
		c, err := scanCertificate(rows)
		if err != nil {
			return nil, fmt.Errorf("loading certificates of hostname %s: %w", hostnameID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loading certificates of hostname %s: %w", hostnameID, err)
	}
	return out, nil
}

// LatestChange returns the number of the newest change. SQLite commits one
// writer at a time, so every change committed before the call is at or
// below it.
func (s *Store) LatestChange(ctx context.Context) (store.ChangeCursor, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM edge_changes").Scan(&seq); err != nil {
		return store.ChangeCursor{}, fmt.Errorf("reading the change feed position: %w", err)
	}
	return store.ChangeCursor{Seq: seq}, nil
}

// ChangesSince returns up to limit changes numbered after the cursor: an
// index range on the primary key, cheap enough to poll several times a
// second.
func (s *Store) ChangesSince(ctx context.Context, after store.ChangeCursor, limit int) ([]store.Change, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, kind, zone_id, hostname_id, name, status
		FROM edge_changes WHERE seq > ? ORDER BY seq LIMIT ?`, after.Seq, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the change feed: %w", err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var (
			c                store.Change
			kind             string
			id, name, status *string
		)
		if err := rows.Scan(&c.Cursor.Seq, &kind, &c.ZoneID, &id, &name, &status); err != nil {
			return nil, fmt.Errorf("reading the change feed: %w", err)
		}
		c.Kind, c.Settled = store.ChangeKind(kind), true
		if id != nil {
			c.HostnameID = *id
		}
		if name != nil {
			c.Name = *name
		}
		if status != nil {
			c.Status = core.HostnameStatus(*status)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the change feed: %w", err)
	}
	return out, nil
}
