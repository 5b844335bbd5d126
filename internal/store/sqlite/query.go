package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/internal/listing"
)

var dialect = listing.Dialect{
	ParamPrefix: "?",
	Contains:    func(column, param string) string { return "instr(" + column + ", " + param + ") > 0" },
}

// ListHostnames returns one page of the zone's hostnames matching q, with
// their certificates, and the number matching. The total and the page come
// from one snapshot.
//
// Cost: the default order and the hostname, status and ssl_status orders and
// filters read an index in page order, so a page costs its size plus the
// offset walked, and a page past the middle is read from the far end (see
// listing.PagePlan). The unfiltered total is the zone's stored count. A
// filter without an index (contains, certificate authority, origin,
// wildcard, inactive SSL) and the DCV-method order scan the zone's rows.
func (s *Store) ListHostnames(ctx context.Context, zoneID string, q store.HostnameQuery) (store.HostnamePage, error) {
	if listing.Unsatisfiable(q) {
		return store.HostnamePage{}, nil
	}
	var page store.HostnamePage
	err := s.read(ctx, func(tx *sql.Tx) error {
		where, args := listing.Where(dialect, zoneID, q)
		var err error
		if listing.Filtered(q) {
			err = tx.QueryRowContext(ctx, "SELECT count(*) FROM hostnames WHERE "+where, args...).Scan(&page.Total)
		} else {
			page.Total, err = zoneCount(ctx, tx, zoneID)
		}
		if err != nil {
			return fmt.Errorf("counting: %w", err)
		}
		plan := listing.PagePlan(page.Total, q.Offset, q.Limit)
		if plan.Empty {
			return nil
		}
		n := len(args)
		rows, err := tx.QueryContext(ctx, "SELECT "+hostnameColumns+" FROM hostnames WHERE "+where+
			" ORDER BY "+listing.OrderBy(q, plan.Reverse)+
			" LIMIT ?"+strconv.Itoa(n+1)+" OFFSET ?"+strconv.Itoa(n+2),
			append(args, plan.Limit, plan.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		page.Hostnames = make([]core.Hostname, 0, plan.Limit)
		for rows.Next() {
			h, err := scanHostname(rows)
			if err != nil {
				return err
			}
			page.Hostnames = append(page.Hostnames, h)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if plan.Reverse {
			slices.Reverse(page.Hostnames)
		}
		return attachCertificates(ctx, tx, page.Hostnames)
	})
	if err != nil {
		return store.HostnamePage{}, fmt.Errorf("listing hostnames of zone %s: %w", zoneID, err)
	}
	return page, nil
}

// CountHostnames returns the zone's stored hostname count: 0 for a zone that
// does not exist, as ListHostnames lists nothing for it.
func (s *Store) CountHostnames(ctx context.Context, zoneID string) (int, error) {
	n, err := zoneCount(ctx, s.r, zoneID)
	if err != nil {
		return 0, fmt.Errorf("counting hostnames of zone %s: %w", zoneID, err)
	}
	return n, nil
}

func zoneCount(ctx context.Context, q queryer, zoneID string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT hostname_count FROM zones WHERE id = ?", zoneID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}
