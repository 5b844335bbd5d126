package webhook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// The limits of an endpoint's input.
const (
	// DefaultMaxPerZone is how many endpoints a zone may have by default:
	// every event costs one delivery per endpoint.
	DefaultMaxPerZone = 10
	// MaxDescription caps the description, in characters.
	MaxDescription = 200
	// AllEvents, alone in an endpoint's event list, means every type (and
	// is how such an endpoint's list is shown).
	AllEvents = "*"
)

// EndpointsConfig configures Endpoints. The zero value is usable.
type EndpointsConfig struct {
	// Network is the policy URLs must meet (the dispatcher checks the
	// dialed addresses against the same policy).
	Network Network
	// MaxPerZone caps a zone's endpoints. Default DefaultMaxPerZone.
	MaxPerZone int
	// Enqueued, when not nil, is called after a replay is queued (the
	// daemon wakes its dispatcher with it). It must not block.
	Enqueued func()
}

// Endpoints manages the zones' webhook endpoints and their delivery logs,
// for the API and the CLI. It is safe for concurrent use. Every error it
// returns is a *core.Error with one of the Reason* constants, or an
// internal error.
type Endpoints struct {
	cfg EndpointsConfig
	st  store.Webhooks
	box *secrets.Box
	clk clock.Clock
}

// NewEndpoints returns an Endpoints over st; box seals the signing secrets.
func NewEndpoints(cfg EndpointsConfig, st store.Webhooks, box *secrets.Box, clk clock.Clock) *Endpoints {
	if cfg.MaxPerZone <= 0 {
		cfg.MaxPerZone = DefaultMaxPerZone
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &Endpoints{cfg: cfg, st: st, box: box, clk: clk}
}

// EndpointInput creates an endpoint.
type EndpointInput struct {
	// URL receives the POSTs: https (see Network).
	URL string
	// Events are the types to deliver; empty or ["*"] means every type,
	// including types added later.
	Events []string
	// Description is free text for the zone's owner (at most
	// MaxDescription characters, no control characters).
	Description string
}

// Create validates in and stores a new endpoint of the zone with a new
// signing secret, which it returns: the only time the secret leaves
// Portico's store in clear.
func (m *Endpoints) Create(ctx context.Context, zoneID string, in EndpointInput) (core.WebhookEndpoint, string, error) {
	u, err := m.cfg.Network.ParseURL(in.URL)
	if err != nil {
		return core.WebhookEndpoint{}, "", err
	}
	events, err := parseEvents(in.Events)
	if err != nil {
		return core.WebhookEndpoint{}, "", err
	}
	if err := checkDescription(in.Description); err != nil {
		return core.WebhookEndpoint{}, "", err
	}
	n, err := m.st.CountWebhookEndpoints(ctx, zoneID)
	if err != nil {
		return core.WebhookEndpoint{}, "", fmt.Errorf("counting webhooks of zone %s: %w", zoneID, err)
	}
	if n >= m.cfg.MaxPerZone {
		return core.WebhookEndpoint{}, "", core.Errorf(core.KindForbidden, ReasonTooManyEndpoints,
			"The zone has %d webhooks, the most allowed; delete one first.", n)
	}
	e := core.WebhookEndpoint{
		ID: ident.UUID(), ZoneID: zoneID, URL: u, Events: events, Description: in.Description,
		CreatedAt: m.clk.Now().UTC().Truncate(time.Microsecond),
	}
	secret := NewSecret()
	if e.SecretSealed, err = m.box.Seal([]byte(secret), secretAAD(e.ID)); err != nil {
		return core.WebhookEndpoint{}, "", fmt.Errorf("sealing the secret of webhook %s: %w", e.ID, err)
	}
	if err := m.st.CreateWebhookEndpoint(ctx, e); err != nil {
		return core.WebhookEndpoint{}, "", storeError(err, "creating webhook "+e.ID, ReasonZoneNotFound)
	}
	return e, secret, nil
}

// parseEvents validates an event list: known types or AllEvents alone.
// It returns nil for every type, else the types in service.EventTypes
// order, without duplicates.
func parseEvents(in []string) ([]string, error) {
	if len(in) == 0 || (len(in) == 1 && in[0] == AllEvents) {
		return nil, nil
	}
	want := map[string]bool{}
	for _, t := range in {
		switch {
		case t == AllEvents:
			return nil, invalid(ReasonInvalidEvents, "events", "events: %q must be alone, meaning every event type.", AllEvents)
		case !service.EventType(t).Known():
			return nil, invalid(ReasonInvalidEvents, "events", "events: unknown event type %q; known types: %s.",
				clip(t), strings.Join(eventTypeNames(), ", "))
		}
		want[t] = true
	}
	var out []string
	for _, t := range service.EventTypes {
		if want[string(t)] {
			out = append(out, string(t))
		}
	}
	return out, nil
}

func eventTypeNames() []string {
	out := make([]string, len(service.EventTypes))
	for i, t := range service.EventTypes {
		out[i] = string(t)
	}
	return out
}

func checkDescription(d string) error {
	if !utf8.ValidString(d) || strings.ContainsFunc(d, unicode.IsControl) {
		return invalid(ReasonInvalidDescription, "description", "description must be UTF-8 text without control characters.")
	}
	if n := utf8.RuneCountInString(d); n > MaxDescription {
		return invalid(ReasonInvalidDescription, "description", "description is %d characters; at most %d are allowed.", n, MaxDescription)
	}
	return nil
}

// clip shortens hostile input before it is quoted in a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Wants reports whether e receives events of type t.
func Wants(e core.WebhookEndpoint, t service.EventType) bool {
	return e.Events == nil || slices.Contains(e.Events, string(t))
}

// List returns the zone's endpoints, oldest first.
func (m *Endpoints) List(ctx context.Context, zoneID string) ([]core.WebhookEndpoint, error) {
	es, err := m.st.ListWebhookEndpoints(ctx, zoneID)
	if err != nil {
		return nil, fmt.Errorf("listing webhooks of zone %s: %w", zoneID, err)
	}
	if es == nil {
		es = []core.WebhookEndpoint{}
	}
	return es, nil
}

// Get returns one endpoint of the zone.
func (m *Endpoints) Get(ctx context.Context, zoneID, id string) (core.WebhookEndpoint, error) {
	e, err := m.st.GetWebhookEndpoint(ctx, zoneID, strings.ToLower(id))
	if err != nil {
		return core.WebhookEndpoint{}, storeError(err, "reading webhook "+id, ReasonEndpointNotFound)
	}
	return e, nil
}

// Delete removes an endpoint of the zone with its deliveries: what was not
// delivered yet never will be.
func (m *Endpoints) Delete(ctx context.Context, zoneID, id string) error {
	if err := m.st.DeleteWebhookEndpoint(ctx, zoneID, strings.ToLower(id)); err != nil {
		return storeError(err, "deleting webhook "+id, ReasonEndpointNotFound)
	}
	return nil
}

// ListOptions filter and page an endpoint's deliveries.
type ListOptions struct {
	Status core.DeliveryStatus // "" for every status
	// Offset and Limit page the list; Limit <= 0 means no limit.
	Offset, Limit int
}

// DeliveryList is one page of deliveries, newest first, and how many match.
type DeliveryList struct {
	Deliveries []core.WebhookDelivery
	Total      int
}

// Deliveries returns one page of an endpoint's delivery log, newest first,
// without the payloads.
func (m *Endpoints) Deliveries(ctx context.Context, zoneID, endpointID string, o ListOptions) (DeliveryList, error) {
	if o.Status != "" && !o.Status.Valid() {
		return DeliveryList{}, invalid(ReasonInvalidQuery, "status",
			"status must be pending, succeeded or failed, not %q.", clip(string(o.Status)))
	}
	page, err := m.st.ListWebhookDeliveries(ctx, zoneID, strings.ToLower(endpointID),
		store.DeliveryQuery{Status: o.Status, Offset: o.Offset, Limit: o.Limit})
	if err != nil {
		return DeliveryList{}, storeError(err, "listing deliveries of webhook "+endpointID, ReasonEndpointNotFound)
	}
	if page.Deliveries == nil {
		page.Deliveries = []core.WebhookDelivery{}
	}
	return DeliveryList{Deliveries: page.Deliveries, Total: page.Total}, nil
}

// Delivery returns one delivery of an endpoint, with its payload.
func (m *Endpoints) Delivery(ctx context.Context, zoneID, endpointID, id string) (core.WebhookDelivery, error) {
	d, err := m.st.GetWebhookDelivery(ctx, zoneID, strings.ToLower(endpointID), strings.ToLower(id))
	if err != nil {
		return core.WebhookDelivery{}, storeError(err, "reading webhook delivery "+id, ReasonDeliveryNotFound)
	}
	return d, nil
}

// Replay queues a new delivery of the event a delivery carried, to the same
// endpoint, due now, whatever became of the original. It returns the new
// delivery.
func (m *Endpoints) Replay(ctx context.Context, zoneID, endpointID, id string) (core.WebhookDelivery, error) {
	orig, err := m.Delivery(ctx, zoneID, endpointID, id)
	if err != nil {
		return core.WebhookDelivery{}, err
	}
	now := m.clk.Now().UTC().Truncate(time.Microsecond)
	d := core.WebhookDelivery{
		ID: ident.UUID(), ZoneID: orig.ZoneID, EndpointID: orig.EndpointID, EventID: orig.EventID,
		EventType: orig.EventType, Payload: orig.Payload, Status: core.DeliveryPending, NextAttemptAt: now,
		ReplayOf: orig.ID, CreatedAt: now, UpdatedAt: now,
	}
	n, err := m.st.EnqueueWebhookDeliveries(ctx, []core.WebhookDelivery{d})
	if err != nil {
		return core.WebhookDelivery{}, fmt.Errorf("replaying webhook delivery %s: %w", orig.ID, err)
	}
	if n == 0 {
		// The endpoint was deleted since the read.
		return core.WebhookDelivery{}, notFound(ReasonEndpointNotFound, errors.New("endpoint deleted during replay"))
	}
	if m.cfg.Enqueued != nil {
		m.cfg.Enqueued()
	}
	return d, nil
}
