package webhook

import (
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// Reasons of the errors Endpoints returns (core.Error.Reason); the API maps
// them to statuses.
const (
	ReasonInvalidURL         = "invalid_webhook_url"
	ReasonInvalidEvents      = "invalid_webhook_events"
	ReasonInvalidDescription = "invalid_webhook_description"
	ReasonInvalidQuery       = "invalid_webhook_query"
	ReasonTooManyEndpoints   = "too_many_webhooks"
	ReasonEndpointNotFound   = "webhook_not_found"
	ReasonDeliveryNotFound   = "webhook_delivery_not_found"
	// Unknown zones share the service's reason.
	ReasonZoneNotFound = service.ReasonZoneNotFound
)

func invalid(reason, field, format string, args ...any) *core.Error {
	e := core.Errorf(core.KindInvalid, reason, format, args...)
	e.Field = field
	return e
}

// notFound is the answer for an object the zone does not have.
func notFound(reason string, cause error) error {
	msg := "The webhook was not found."
	switch reason {
	case ReasonDeliveryNotFound:
		msg = "The webhook delivery was not found."
	case ReasonZoneNotFound:
		msg = "Zone not found."
	}
	return &core.Error{Kind: core.KindNotFound, Reason: reason, Public: msg, Err: cause}
}

// storeError turns a store failure into a domain error: ErrNotFound
// becomes notFound(reason); anything else is wrapped with op.
func storeError(err error, op, reason string) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound(reason, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
