package webhookapi

import (
	"encoding/json"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/webhook"
)

// timeLayout is the dialect's timestamp: milliseconds, as the SaaS Custom
// Domains API writes them, in UTC.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// stamp is a time in the dialect's layout; the zero time is null.
type stamp time.Time

func (s stamp) MarshalJSON() ([]byte, error) {
	t := time.Time(s)
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(timeLayout))
}

// webhookJSON is an endpoint on the wire. Secret is set only in the reply
// to the create.
type webhookJSON struct {
	UUID        string   `json:"uuid"`
	AccountUUID string   `json:"account_uuid"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	CreatedAt   stamp    `json:"created_at"`
	Secret      string   `json:"secret,omitempty"`
}

func renderWebhook(e core.WebhookEndpoint) webhookJSON {
	events := e.Events
	if events == nil {
		events = []string{webhook.AllEvents}
	}
	return webhookJSON{UUID: e.ID, AccountUUID: e.ZoneID, URL: e.URL, Events: events, Description: e.Description,
		CreatedAt: stamp(e.CreatedAt)}
}

// deliveryJSON is a delivery on the wire; Payload only in the single GET.
type deliveryJSON struct {
	UUID             string          `json:"uuid"`
	WebhookUUID      string          `json:"webhook_uuid"`
	EventID          string          `json:"event_id"`
	EventType        string          `json:"event_type"`
	Status           string          `json:"status"`
	Attempts         int             `json:"attempts"`
	LastResponseCode *int            `json:"last_response_code"`
	LastError        *string         `json:"last_error"`
	LastAttemptAt    stamp           `json:"last_attempt_at"`
	NextAttemptAt    stamp           `json:"next_attempt_at"`
	ReplayOf         *string         `json:"replay_of"`
	CreatedAt        stamp           `json:"created_at"`
	UpdatedAt        stamp           `json:"updated_at"`
	Payload          json.RawMessage `json:"payload,omitempty"`
}

func renderDelivery(d core.WebhookDelivery, withPayload bool) deliveryJSON {
	out := deliveryJSON{
		UUID: d.ID, WebhookUUID: d.EndpointID, EventID: d.EventID, EventType: d.EventType, Status: string(d.Status),
		Attempts: d.Attempts, LastAttemptAt: stamp(d.LastAttemptAt), NextAttemptAt: stamp(d.NextAttemptAt),
		CreatedAt: stamp(d.CreatedAt), UpdatedAt: stamp(d.UpdatedAt),
	}
	if d.LastResponseCode != 0 {
		out.LastResponseCode = &d.LastResponseCode
	}
	if d.LastError != "" {
		out.LastError = &d.LastError
	}
	if d.ReplayOf != "" {
		out.ReplayOf = &d.ReplayOf
	}
	if withPayload && json.Valid(d.Payload) {
		out.Payload = d.Payload
	}
	return out
}

// pagination is the page block of a paged list.
type pagination struct {
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Count   int `json:"count"`
}
