package core

import "time"

// WebhookEndpoint is where a zone wants its events POSTed: an HTTPS URL,
// the event types it wants, and the signing secret Portico generated for
// it. The secret is kept sealed (SecretSealed) and shown to the user once,
// when the endpoint is created.
type WebhookEndpoint struct {
	ID     string // 36-character UUID
	ZoneID string
	// URL is the normalized receiver URL (scheme and host lowercase).
	URL string
	// Events are the event types delivered ("hostname.created", ...); nil
	// means every type, including types added in later versions.
	Events      []string
	Description string
	// SecretSealed is the signing secret sealed with the master key, bound
	// to the endpoint id. Nothing outside package webhook opens it.
	SecretSealed []byte
	CreatedAt    time.Time
}

// DeliveryStatus is where a webhook delivery stands. A delivery starts
// pending, and ends succeeded (the receiver answered 2xx) or failed (every
// attempt within the retry window failed). Neither end changes again; a
// replay is a new delivery.
type DeliveryStatus string

// The delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Valid reports whether s is one of the delivery statuses.
func (s DeliveryStatus) Valid() bool {
	return s == DeliveryPending || s == DeliverySucceeded || s == DeliveryFailed
}

// Done reports whether s is final.
func (s DeliveryStatus) Done() bool { return s == DeliverySucceeded || s == DeliveryFailed }

// WebhookDelivery is one event on its way to one endpoint, and its log:
// how many attempts were made, when, and what the last one got back.
type WebhookDelivery struct {
	ID         string // 36-character UUID; the Portico-Webhook-Id header
	ZoneID     string
	EndpointID string
	EventID    string // the event's id; a replay has the same
	EventType  string
	// Payload is the JSON body POSTed, exactly as signed.
	Payload []byte
	Status  DeliveryStatus
	// Attempts counts the POSTs made so far.
	Attempts int
	// NextAttemptAt is when the next attempt is due; zero once the delivery
	// is done.
	NextAttemptAt time.Time
	LastAttemptAt time.Time // zero before the first attempt
	// LastResponseCode is the HTTP status of the last attempt; 0 when it
	// got no response (refused, timed out, TLS failed).
	LastResponseCode int
	// LastError says why the last attempt failed, in words safe to show the
	// zone's owner: never the URL, a header or a body.
	LastError string
	// ReplayOf is the delivery this one replays; "" for an original.
	ReplayOf  string
	CreatedAt time.Time
	UpdatedAt time.Time
}
