package store

import (
	"context"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// DeliveryClaim is a webhook delivery leased to one worker.
type DeliveryClaim struct {
	Delivery core.WebhookDelivery
	// LeaseToken fences the lease: RecordWebhookAttempt succeeds only with
	// the token of the latest claim.
	LeaseToken int64
}

// DeliveryAttempt is the result of one leased delivery attempt, as
// RecordWebhookAttempt stores it.
type DeliveryAttempt struct {
	ZoneID     string
	DeliveryID string
	LeaseToken int64
	At         time.Time
	// Status is DeliveryPending to retry at NextAttemptAt, or final.
	Status        core.DeliveryStatus
	NextAttemptAt time.Time
	ResponseCode  int // 0: no response
	Error         string
}

// DeliveryQuery pages ListWebhookDeliveries. Zero values mean "no filter".
type DeliveryQuery struct {
	Status core.DeliveryStatus
	// Offset and Limit page the result; Limit <= 0 means no limit.
	Offset, Limit int
}

// DeliveryPage is one page of an endpoint's deliveries and the number
// matching in all.
type DeliveryPage struct {
	Deliveries []core.WebhookDelivery
	Total      int
}

// Webhooks keeps the zones' webhook endpoints and the outbox of their
// deliveries. Both stores implement it next to Store; package webhook is
// its only user.
//
// Deliveries are rows, written after the change they report, so that they
// survive restarts and every node shares them: a worker claims due
// deliveries with a lease (ClaimDueWebhookDeliveries), and the lease's
// token fences the attempt's result (RecordWebhookAttempt), so that two
// nodes never POST one attempt twice while a lease runs, and a worker whose
// lease expired cannot overwrite newer state.
//
// Implementations MUST be safe for concurrent use by several processes on
// one database, honour ctx, and scope every lookup by zone (and endpoint):
// an object of another zone is ErrNotFound, never visible.
type Webhooks interface {
	// CreateWebhookEndpoint inserts e. ErrNotFound when the zone does not
	// exist; ErrConflict when the id is taken.
	CreateWebhookEndpoint(ctx context.Context, e core.WebhookEndpoint) error
	// GetWebhookEndpoint returns one endpoint of the zone.
	GetWebhookEndpoint(ctx context.Context, zoneID, id string) (core.WebhookEndpoint, error)
	// ListWebhookEndpoints returns the zone's endpoints, oldest first (an
	// unknown zone has none).
	ListWebhookEndpoints(ctx context.Context, zoneID string) ([]core.WebhookEndpoint, error)
	// CountWebhookEndpoints returns how many endpoints the zone has.
	CountWebhookEndpoints(ctx context.Context, zoneID string) (int, error)
	// DeleteWebhookEndpoint removes the endpoint and its deliveries, in one
	// transaction: a pending delivery of it is never attempted again.
	DeleteWebhookEndpoint(ctx context.Context, zoneID, id string) error

	// EnqueueWebhookDeliveries inserts the deliveries (each pending, due at
	// its NextAttemptAt) in one transaction and returns how many it
	// inserted: a delivery whose endpoint is not in its zone (deleted
	// meanwhile) is skipped, not an error. ErrConflict when an id is taken.
	EnqueueWebhookDeliveries(ctx context.Context, ds []core.WebhookDelivery) (int, error)
	// GetWebhookDelivery returns one delivery of the zone's endpoint.
	GetWebhookDelivery(ctx context.Context, zoneID, endpointID, id string) (core.WebhookDelivery, error)
	// ListWebhookDeliveries returns one page of an endpoint's deliveries,
	// newest first (ties by id), without their payloads, and how many match.
	// ErrNotFound when the zone has no such endpoint.
	ListWebhookDeliveries(ctx context.Context, zoneID, endpointID string, q DeliveryQuery) (DeliveryPage, error)

	// ClaimDueWebhookDeliveries leases to owner, for leaseFor, up to limit
	// pending deliveries due at or before now (the earliest due first), and
	// returns them with their payloads and new LeaseToken, in no particular
	// order. While leased, a delivery's NextAttemptAt is the lease's end, so
	// that a worker that died leaves it due again. Concurrent claimers, in
	// this process or another, never receive the same delivery while its
	// lease runs.
	ClaimDueWebhookDeliveries(ctx context.Context, now time.Time, limit int, owner string, leaseFor time.Duration) ([]DeliveryClaim, error)
	// RecordWebhookAttempt stores an attempt's result (Attempts + 1) and
	// ends its lease. ErrStale when the lease was superseded, ErrNotFound
	// when the delivery is gone (its endpoint was deleted).
	RecordWebhookAttempt(ctx context.Context, a DeliveryAttempt) error
	// PruneWebhookDeliveries deletes up to limit finished (succeeded or
	// failed) deliveries last updated before before, and returns how many.
	PruneWebhookDeliveries(ctx context.Context, before time.Time, limit int) (int, error)
}
