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

var _ store.Webhooks = (*Store)(nil)

const endpointColumns = "id, zone_id, url, events, description, secret_sealed, created_at"

func scanEndpoint(row pgx.Row) (core.WebhookEndpoint, error) {
	var (
		e      core.WebhookEndpoint
		events *string
	)
	if err := row.Scan(&e.ID, &e.ZoneID, &e.URL, &events, &e.Description, &e.SecretSealed, &e.CreatedAt); err != nil {
		return core.WebhookEndpoint{}, err
	}
	var err error
	if e.Events, err = columns.ParseStrings(events); err != nil {
		return core.WebhookEndpoint{}, err
	}
	e.CreatedAt = utc(e.CreatedAt)
	return e, nil
}

// CreateWebhookEndpoint inserts e.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e core.WebhookEndpoint) error {
	_, err := s.exec(ctx, "INSERT INTO webhook_endpoints ("+endpointColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		e.ID, e.ZoneID, e.URL, columns.Strings(e.Events), e.Description, e.SecretSealed, e.CreatedAt)
	switch errorCode(err) {
	case uniqueViolation:
		err = store.ErrConflict
	case foreignKeyViolation:
		err = fmt.Errorf("zone %s: %w", e.ZoneID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("creating webhook endpoint %s: %w", e.ID, err)
	}
	return nil
}

// GetWebhookEndpoint returns one endpoint of the zone.
func (s *Store) GetWebhookEndpoint(ctx context.Context, zoneID, id string) (core.WebhookEndpoint, error) {
	var e core.WebhookEndpoint
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		var err error
		e, err = scanEndpoint(c.QueryRow(ctx, "SELECT "+endpointColumns+
			" FROM webhook_endpoints WHERE zone_id = $1 AND id = $2", zoneID, id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return core.WebhookEndpoint{}, fmt.Errorf("getting webhook endpoint %s: %w", id, err)
	}
	return e, nil
}

// ListWebhookEndpoints returns the zone's endpoints, oldest first.
func (s *Store) ListWebhookEndpoints(ctx context.Context, zoneID string) ([]core.WebhookEndpoint, error) {
	var out []core.WebhookEndpoint
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, "SELECT "+endpointColumns+
			" FROM webhook_endpoints WHERE zone_id = $1 ORDER BY created_at, id", zoneID)
		if err != nil {
			return err
		}
		out, err = pgx.AppendRows(out, rows, rowTo(scanEndpoint))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing webhook endpoints of zone %s: %w", zoneID, err)
	}
	return out, nil
}

// CountWebhookEndpoints returns how many endpoints the zone has.
func (s *Store) CountWebhookEndpoints(ctx context.Context, zoneID string) (int, error) {
	var n int
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT count(*) FROM webhook_endpoints WHERE zone_id = $1", zoneID).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("counting webhook endpoints of zone %s: %w", zoneID, err)
	}
	return n, nil
}

// DeleteWebhookEndpoint removes the endpoint; its deliveries go with it
// (ON DELETE CASCADE) in the same statement.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, zoneID, id string) error {
	tag, err := s.exec(ctx, "DELETE FROM webhook_endpoints WHERE zone_id = $1 AND id = $2", zoneID, id)
	if err == nil {
		err = expectRows(tag, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("deleting webhook endpoint %s: %w", id, err)
	}
	return nil
}

// deliveryListColumns leave out the payload, which deliveryColumns adds
// last.
const (
	deliveryListColumns = "id, zone_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at," +
		" last_attempt_at, last_response_code, last_error, replay_of, created_at, updated_at"
	deliveryColumns = deliveryListColumns + ", payload"
)

// deliveryDest returns the scan destinations of deliveryListColumns into d
// and the nullable holders, and a func that finishes d after the scan.
func deliveryDest(d *core.WebhookDelivery) ([]any, func()) {
	var (
		status          string
		next, last      *time.Time
		code            *int32
		lastErr, replay *string
	)
	dest := []any{&d.ID, &d.ZoneID, &d.EndpointID, &d.EventID, &d.EventType, &status, &d.Attempts, &next,
		&last, &code, &lastErr, &replay, &d.CreatedAt, &d.UpdatedAt}
	return dest, func() {
		d.Status = core.DeliveryStatus(status)
		d.NextAttemptAt, d.LastAttemptAt = optTime(next), optTime(last)
		if code != nil {
			d.LastResponseCode = int(*code)
		}
		d.LastError, d.ReplayOf = optString(lastErr), optString(replay)
		d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), utc(d.UpdatedAt)
	}
}

func scanDeliveryListed(row pgx.Row) (core.WebhookDelivery, error) {
	var d core.WebhookDelivery
	dest, finish := deliveryDest(&d)
	if err := row.Scan(dest...); err != nil {
		return core.WebhookDelivery{}, err
	}
	finish()
	return d, nil
}

func scanDelivery(row pgx.Row) (core.WebhookDelivery, error) {
	var d core.WebhookDelivery
	dest, finish := deliveryDest(&d)
	if err := row.Scan(append(dest, &d.Payload)...); err != nil {
		return core.WebhookDelivery{}, err
	}
	finish()
	return d, nil
}

func scanClaim(row pgx.Row) (store.DeliveryClaim, error) {
	var c store.DeliveryClaim
	dest, finish := deliveryDest(&c.Delivery)
	if err := row.Scan(append(dest, &c.Delivery.Payload, &c.LeaseToken)...); err != nil {
		return store.DeliveryClaim{}, err
	}
	finish()
	return c, nil
}

// enqueueDeliveries inserts the deliveries given as parallel arrays whose
// endpoint is in their zone: one statement, so one round trip and one
// commit however many endpoints an event has.
const enqueueDeliveries = `INSERT INTO webhook_deliveries (id, zone_id, endpoint_id, event_id, event_type,
	status, attempts, next_attempt_at, replay_of, created_at, updated_at, payload)
SELECT v.id, v.zone_id, v.endpoint_id, v.event_id, v.event_type, $6, 0, v.next_attempt_at, v.replay_of,
	v.created_at, v.updated_at, v.payload
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $7::timestamptz[], $8::text[],
	$9::timestamptz[], $10::timestamptz[], $11::bytea[])
	AS v(id, zone_id, endpoint_id, event_id, event_type, next_attempt_at, replay_of, created_at, updated_at, payload)
WHERE EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = v.endpoint_id AND e.zone_id = v.zone_id)`

// EnqueueWebhookDeliveries inserts the deliveries whose endpoint is in
// their zone, in one statement.
func (s *Store) EnqueueWebhookDeliveries(ctx context.Context, ds []core.WebhookDelivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	n := len(ds)
	var (
		ids, zones, endpoints, events, types = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		replays                              = make([]*string, n)
		next, created, updated               = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		payloads                             = make([][]byte, n)
	)
	for i, d := range ds {
		ids[i], zones[i], endpoints[i], events[i], types[i] = d.ID, d.ZoneID, d.EndpointID, d.EventID, d.EventType
		replays[i], next[i], created[i], updated[i], payloads[i] = nullString(d.ReplayOf), d.NextAttemptAt, d.CreatedAt, d.UpdatedAt, d.Payload
	}
	tag, err := s.exec(ctx, enqueueDeliveries, ids, zones, endpoints, events, types, string(core.DeliveryPending),
		next, replays, created, updated, payloads)
	if errorCode(err) == uniqueViolation {
		err = store.ErrConflict
	}
	if err != nil {
		return 0, fmt.Errorf("enqueueing webhook deliveries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// GetWebhookDelivery returns one delivery of the zone's endpoint, with its
// payload.
func (s *Store) GetWebhookDelivery(ctx context.Context, zoneID, endpointID, id string) (core.WebhookDelivery, error) {
	var d core.WebhookDelivery
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		var err error
		d, err = scanDelivery(c.QueryRow(ctx, "SELECT "+deliveryColumns+
			" FROM webhook_deliveries WHERE zone_id = $1 AND endpoint_id = $2 AND id = $3", zoneID, endpointID, id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.tx(ctx, snapshot, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE zone_id = $1 AND id = $2)",
			zoneID, endpointID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return store.ErrNotFound
		}
		where := " FROM webhook_deliveries WHERE endpoint_id = $1 AND zone_id = $2"
		args := []any{endpointID, zoneID}
		if q.Status != "" {
			where += " AND status = $3"
			args = append(args, string(q.Status))
		}
		if err := tx.QueryRow(ctx, "SELECT count(*)"+where, args...).Scan(&page.Total); err != nil {
			return err
		}
		var limit *int
		if q.Limit > 0 {
			limit = &q.Limit
		}
		n := len(args)
		rows, err := tx.Query(ctx, "SELECT "+deliveryListColumns+where+
			fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT $%d OFFSET $%d", n+1, n+2),
			append(args, limit, max(q.Offset, 0))...)
		if err != nil {
			return err
		}
		page.Deliveries, err = pgx.AppendRows(page.Deliveries, rows, rowTo(scanDeliveryListed))
		return err
	})
	if err != nil {
		return store.DeliveryPage{}, fmt.Errorf("listing deliveries of webhook endpoint %s: %w", endpointID, err)
	}
	return page, nil
}

// claimDueDeliveries leases the earliest due deliveries in one statement.
// FOR UPDATE SKIP LOCKED lets concurrent claimers pass over the rows one of
// them is taking; a row another claimer leased after this statement's
// snapshot is re-read before the update and no longer due (next_attempt_at
// is the lease's end), so each lease goes to one claimer.
const claimDueDeliveries = `WITH due AS (
	SELECT id FROM webhook_deliveries
	WHERE next_attempt_at <= $1 AND status = $5
	ORDER BY next_attempt_at
	LIMIT $2
	FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET next_attempt_at = $3, leased_until = $3, lease_owner = $4, lease_token = d.lease_token + 1
FROM due
WHERE d.id = due.id AND d.next_attempt_at <= $1
RETURNING ` + "d.id, d.zone_id, d.endpoint_id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at," +
	" d.last_attempt_at, d.last_response_code, d.last_error, d.replay_of, d.created_at, d.updated_at, d.payload, d.lease_token"

// ClaimDueWebhookDeliveries leases the earliest due deliveries.
func (s *Store) ClaimDueWebhookDeliveries(ctx context.Context, now time.Time, limit int, owner string, leaseFor time.Duration) ([]store.DeliveryClaim, error) {
	var out []store.DeliveryClaim
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, claimDueDeliveries, now, limit, now.Add(leaseFor), nullString(owner), string(core.DeliveryPending))
		if err != nil {
			return err
		}
		out, err = pgx.AppendRows(out, rows, rowTo(scanClaim))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claiming due webhook deliveries: %w", err)
	}
	return out, nil
}

// recordAttempt writes an attempt if the lease is the latest and reports
// (written, delivery exists) in one round trip.
const recordAttempt = `WITH u AS (
	UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2,
		last_attempt_at = $3, last_response_code = $4, last_error = $5, updated_at = $3,
		leased_until = NULL, lease_owner = NULL
	WHERE zone_id = $6 AND id = $7 AND lease_token = $8 AND status = $9 AND leased_until IS NOT NULL
	RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM webhook_deliveries WHERE zone_id = $6 AND id = $7)`

// RecordWebhookAttempt stores an attempt's result if its lease is still
// the latest.
func (s *Store) RecordWebhookAttempt(ctx context.Context, a store.DeliveryAttempt) error {
	var next *time.Time
	if a.Status == core.DeliveryPending {
		next = &a.NextAttemptAt
	}
	var code *int
	if a.ResponseCode != 0 {
		code = &a.ResponseCode
	}
	var written, exists bool
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, recordAttempt, string(a.Status), next, a.At, code, nullString(a.Error),
			a.ZoneID, a.DeliveryID, a.LeaseToken, string(core.DeliveryPending)).Scan(&written, &exists)
	})
	switch {
	case err != nil:
	case written:
		return nil
	case !exists:
		err = store.ErrNotFound
	default:
		err = store.ErrStale
	}
	return fmt.Errorf("recording an attempt of webhook delivery %s: %w", a.DeliveryID, err)
}

// PruneWebhookDeliveries deletes finished deliveries last updated before
// before, the oldest first, through the webhook_deliveries_done index.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := s.exec(ctx, "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries"+
		" WHERE next_attempt_at IS NULL AND updated_at < $1 ORDER BY updated_at LIMIT $2)", before, limit)
	if err != nil {
		return 0, fmt.Errorf("pruning webhook deliveries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
