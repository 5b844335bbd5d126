package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/columns"
)

var _ store.Webhooks = (*Store)(nil)

const endpointColumns = "id, zone_id, url, events, description, secret_sealed, created_at"

func scanEndpoint(row scanner) (core.WebhookEndpoint, error) {
	var (
		e       core.WebhookEndpoint
		events  *string
		created int64
	)
	if err := row.Scan(&e.ID, &e.ZoneID, &e.URL, &events, &e.Description, &e.SecretSealed, &created); err != nil {
		return core.WebhookEndpoint{}, err
	}
	var err error
	if e.Events, err = columns.ParseStrings(events); err != nil {
		return core.WebhookEndpoint{}, err
	}
	e.CreatedAt = fromMicros(created)
	return e, nil
}

// CreateWebhookEndpoint inserts e.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e core.WebhookEndpoint) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO webhook_endpoints ("+endpointColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			e.ID, e.ZoneID, e.URL, columns.Strings(e.Events), e.Description, e.SecretSealed, micros(e.CreatedAt))
		switch {
		case isUniqueViolation(err):
			return store.ErrConflict
		case isForeignKeyViolation(err):
			return fmt.Errorf("zone %s: %w", e.ZoneID, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("creating webhook endpoint %s: %w", e.ID, err)
	}
	return nil
}

// GetWebhookEndpoint returns one endpoint of the zone.
func (s *Store) GetWebhookEndpoint(ctx context.Context, zoneID, id string) (core.WebhookEndpoint, error) {
	e, err := scanEndpoint(s.r.QueryRowContext(ctx, "SELECT "+endpointColumns+
		" FROM webhook_endpoints WHERE zone_id = ? AND id = ?", zoneID, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return core.WebhookEndpoint{}, fmt.Errorf("getting webhook endpoint %s: %w", id, err)
	}
	return e, nil
}

// ListWebhookEndpoints returns the zone's endpoints, oldest first.
func (s *Store) ListWebhookEndpoints(ctx context.Context, zoneID string) ([]core.WebhookEndpoint, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+endpointColumns+
		" FROM webhook_endpoints WHERE zone_id = ? ORDER BY created_at, id", zoneID)
	if err != nil {
		return nil, fmt.Errorf("listing webhook endpoints of zone %s: %w", zoneID, err)
	}
	defer rows.Close()
	var out []core.WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("listing webhook endpoints of zone %s: %w", zoneID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing webhook endpoints of zone %s: %w", zoneID, err)
	}
	return out, nil
}

// CountWebhookEndpoints returns how many endpoints the zone has.
func (s *Store) CountWebhookEndpoints(ctx context.Context, zoneID string) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM webhook_endpoints WHERE zone_id = ?", zoneID).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting webhook endpoints of zone %s: %w", zoneID, err)
	}
	return n, nil
}

// DeleteWebhookEndpoint removes the endpoint; its deliveries go with it
// (ON DELETE CASCADE) in the same transaction.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, zoneID, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM webhook_endpoints WHERE zone_id = ? AND id = ?", zoneID, id)
		if err != nil {
			return err
		}
		return expectRows(res, store.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("deleting webhook endpoint %s: %w", id, err)
	}
	return nil
}

// deliveryColumns are the columns scanDelivery reads; the payload is last,
// so that lists can leave it out (deliveryListColumns).
const (
	deliveryListColumns = "id, zone_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at," +
		" last_attempt_at, last_response_code, last_error, replay_of, created_at, updated_at"
	deliveryColumns = deliveryListColumns + ", payload"
)

// scanDelivery reads deliveryColumns, or deliveryListColumns when
// withPayload is false.
func scanDelivery(row scanner, withPayload bool) (core.WebhookDelivery, error) {
	var (
		d                core.WebhookDelivery
		status           string
		next, last       sql.NullInt64
		code             sql.NullInt64
		lastErr, replay  sql.NullString
		created, updated int64
	)
	dest := []any{&d.ID, &d.ZoneID, &d.EndpointID, &d.EventID, &d.EventType, &status, &d.Attempts, &next,
		&last, &code, &lastErr, &replay, &created, &updated}
	if withPayload {
		dest = append(dest, &d.Payload)
	}
	if err := row.Scan(dest...); err != nil {
		return core.WebhookDelivery{}, err
	}
	d.Status = core.DeliveryStatus(status)
	d.NextAttemptAt, d.LastAttemptAt = nullTime(next), nullTime(last)
	d.LastResponseCode, d.LastError, d.ReplayOf = int(code.Int64), lastErr.String, replay.String
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return d, nil
}

// EnqueueWebhookDeliveries inserts the deliveries whose endpoint is in
// their zone, in one transaction.
func (s *Store) EnqueueWebhookDeliveries(ctx context.Context, ds []core.WebhookDelivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	inserted := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		inserted = 0
		for _, d := range ds {
			res, err := tx.ExecContext(ctx, "INSERT INTO webhook_deliveries (id, zone_id, endpoint_id, event_id, event_type,"+
				" status, attempts, next_attempt_at, replay_of, created_at, updated_at, payload)"+
				" SELECT ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?"+
				" WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ? AND zone_id = ?)",
				d.ID, d.ZoneID, d.EndpointID, d.EventID, d.EventType, string(core.DeliveryPending),
				micros(d.NextAttemptAt), nullString(d.ReplayOf), micros(d.CreatedAt), micros(d.UpdatedAt), d.Payload,
				d.EndpointID, d.ZoneID)
			if isUniqueViolation(err) {
				return fmt.Errorf("delivery %s: %w", d.ID, store.ErrConflict)
			}
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			inserted += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("enqueueing webhook deliveries: %w", err)
	}
	return inserted, nil
}

// GetWebhookDelivery returns one delivery of the zone's endpoint, with its
// payload.
func (s *Store) GetWebhookDelivery(ctx context.Context, zoneID, endpointID, id string) (core.WebhookDelivery, error) {
	d, err := scanDelivery(s.r.QueryRowContext(ctx, "SELECT "+deliveryColumns+
		" FROM webhook_deliveries WHERE zone_id = ? AND endpoint_id = ? AND id = ?", zoneID, endpointID, id), true)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return core.WebhookDelivery{}, fmt.Errorf("getting webhook delivery %s: %w", id, err)
	}
	return d, nil
}

// ListWebhookDeliveries returns one page of an endpoint's deliveries,
// newest first, and the total, from one snapshot.
func (s *Store) ListWebhookDeliveries(ctx context.Context, zoneID, endpointID string, q store.DeliveryQuery) (store.DeliveryPage, error) {
	var page store.DeliveryPage
	err := s.read(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM webhook_endpoints WHERE zone_id = ? AND id = ?", zoneID, endpointID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		where := " FROM webhook_deliveries WHERE endpoint_id = ? AND zone_id = ?"
		args := []any{endpointID, zoneID}
		if q.Status != "" {
			where += " AND status = ?"
			args = append(args, string(q.Status))
		}
		if err := tx.QueryRowContext(ctx, "SELECT count(*)"+where, args...).Scan(&page.Total); err != nil {
			return err
		}
		limit := q.Limit
		if limit <= 0 {
			limit = -1 // SQLite: no limit
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+deliveryListColumns+where+
			" ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", append(args, limit, max(q.Offset, 0))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows, false)
			if err != nil {
				return err
			}
			page.Deliveries = append(page.Deliveries, d)
		}
		return rows.Err()
	})
	if err != nil {
		return store.DeliveryPage{}, fmt.Errorf("listing deliveries of webhook endpoint %s: %w", endpointID, err)
	}
	return page, nil
}

// ClaimDueWebhookDeliveries leases the earliest due deliveries. The select
// and the lease run in one IMMEDIATE transaction on the one writer
// connection, and other processes wait on the file's write lock, so no two
// claimers see the same row due.
func (s *Store) ClaimDueWebhookDeliveries(ctx context.Context, now time.Time, limit int, owner string, leaseFor time.Duration) ([]store.DeliveryClaim, error) {
	var out []store.DeliveryClaim
	err := s.write(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, "SELECT "+deliveryColumns+", lease_token FROM webhook_deliveries"+
			" WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? AND status = ?"+
			" ORDER BY next_attempt_at LIMIT ?", micros(now), string(core.DeliveryPending), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c store.DeliveryClaim
			d, err := scanDelivery(claimScanner{rows, &c.LeaseToken}, true)
			if err != nil {
				rows.Close()
				return err
			}
			c.Delivery = d
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := micros(now.Add(leaseFor))
		for i := range out {
			_, err := tx.ExecContext(ctx, "UPDATE webhook_deliveries SET next_attempt_at = ?, leased_until = ?, lease_owner = ?,"+
				" lease_token = lease_token + 1 WHERE id = ?", until, until, nullString(owner), out[i].Delivery.ID)
			if err != nil {
				return fmt.Errorf("leasing delivery %s: %w", out[i].Delivery.ID, err)
			}
			out[i].Delivery.NextAttemptAt = fromMicros(until)
			out[i].LeaseToken++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming due webhook deliveries: %w", err)
	}
	return out, nil
}

// claimScanner scans deliveryColumns followed by the lease token.
type claimScanner struct {
	rows  *sql.Rows
	token *int64
}

func (c claimScanner) Scan(dest ...any) error { return c.rows.Scan(append(dest, c.token)...) }

// RecordWebhookAttempt stores an attempt's result if its lease is still
// the latest.
func (s *Store) RecordWebhookAttempt(ctx context.Context, a store.DeliveryAttempt) error {
	var next any
	if a.Status == core.DeliveryPending {
		next = micros(a.NextAttemptAt)
	}
	var code any
	if a.ResponseCode != 0 {
		code = a.ResponseCode
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1,"+
			" next_attempt_at = ?, last_attempt_at = ?, last_response_code = ?, last_error = ?, updated_at = ?,"+
			" leased_until = NULL, lease_owner = NULL WHERE zone_id = ? AND id = ? AND lease_token = ? AND status = ?"+
			" AND leased_until IS NOT NULL",
			string(a.Status), next, micros(a.At), code, nullString(a.Error), micros(a.At),
			a.ZoneID, a.DeliveryID, a.LeaseToken, string(core.DeliveryPending))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, "SELECT 1 FROM webhook_deliveries WHERE zone_id = ? AND id = ?", a.ZoneID, a.DeliveryID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return store.ErrStale
	})
	if err != nil {
		return fmt.Errorf("recording an attempt of webhook delivery %s: %w", a.DeliveryID, err)
	}
	return nil
}

// PruneWebhookDeliveries deletes finished deliveries last updated before
// before, the oldest first, through the webhook_deliveries_done index.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM webhook_deliveries"+
			" WHERE next_attempt_at IS NULL AND updated_at < ? ORDER BY updated_at LIMIT ?)", micros(before), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pruning webhook deliveries: %w", err)
	}
	return int(n), nil
}
