package webhook_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/webhook"
)

func TestCreateEndpoint(t *testing.T) {
	e := newEnv(t, nil, nil)
	ep, secret, err := e.eps.Create(t.Context(), e.zone, webhook.EndpointInput{
		URL:         "https://Hooks.Example.com/in?x=1",
		Events:      []string{"certificate.failed", "hostname.created", "hostname.created"},
		Description: "ops pager",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := core.WebhookEndpoint{ID: ep.ID, ZoneID: e.zone, URL: "https://hooks.example.com/in?x=1",
		Events: []string{"hostname.created", "certificate.failed"}, Description: "ops pager",
		SecretSealed: ep.SecretSealed, CreatedAt: start}
	if diff := cmp.Diff(want, ep); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	got, err := e.eps.Get(t.Context(), e.zone, strings.ToUpper(ep.ID))
	if err != nil || !cmp.Equal(ep, got) {
		t.Errorf("Get = %+v, %v", got, err)
	}
	// Sealed, bound to the endpoint: not in the row in clear, and a sealed
	// value moved to another endpoint does not open.
	if bytes.Contains(ep.SecretSealed, []byte(secret)) || bytes.Contains(ep.SecretSealed, []byte(secret[len(webhook.SecretPrefix):])) {
		t.Error("the secret is stored in clear")
	}
	if _, err := e.box.Open(ep.SecretSealed, "webhook_secret:"+ident.UUID()); err == nil {
		t.Error("the sealed secret opens for another endpoint")
	}
	if p, err := e.box.Open(ep.SecretSealed, "webhook_secret:"+ep.ID); err != nil || string(p) != secret {
		t.Errorf("the sealed secret does not open to the one returned: %v", err)
	}
	e.clk.Advance(time.Second)
	_, again, err := e.eps.Create(t.Context(), e.zone, webhook.EndpointInput{URL: "https://hooks.example.com/in", Events: []string{"*"}})
	if err != nil || again == secret {
		t.Errorf("second endpoint: %v; secrets differ: %v", err, again != secret)
	}
	list, err := e.eps.List(t.Context(), e.zone)
	if err != nil || len(list) != 2 || list[0].ID != ep.ID || list[1].Events != nil {
		t.Errorf("List = %+v, %v", list, err)
	}
}

func TestCreateEndpointRefusals(t *testing.T) {
	e := newEnv(t, nil, func(c *webhook.DispatcherConfig) { c.Network = webhook.Network{} })
	tests := []struct {
		name   string
		zone   string
		in     webhook.EndpointInput
		kind   core.Kind
		reason string
	}{
		{"http", e.zone, webhook.EndpointInput{URL: "http://hooks.example.com/"}, core.KindInvalid, webhook.ReasonInvalidURL},
		{"loopback", e.zone, webhook.EndpointInput{URL: "https://127.0.0.1/"}, core.KindInvalid, webhook.ReasonInvalidURL},
		{"unknown event", e.zone, webhook.EndpointInput{URL: "https://h.example.com/", Events: []string{"hostname.renamed"}},
			core.KindInvalid, webhook.ReasonInvalidEvents},
		{"star with others", e.zone, webhook.EndpointInput{URL: "https://h.example.com/", Events: []string{"*", "hostname.created"}},
			core.KindInvalid, webhook.ReasonInvalidEvents},
		{"control character", e.zone, webhook.EndpointInput{URL: "https://h.example.com/", Description: "a\nb"},
			core.KindInvalid, webhook.ReasonInvalidDescription},
		{"long description", e.zone, webhook.EndpointInput{URL: "https://h.example.com/", Description: strings.Repeat("é", 201)},
			core.KindInvalid, webhook.ReasonInvalidDescription},
		{"unknown zone", ident.ZoneID(), webhook.EndpointInput{URL: "https://h.example.com/"}, core.KindNotFound, webhook.ReasonZoneNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, secret, err := e.eps.Create(t.Context(), tt.zone, tt.in)
			if ce := core.AsError(err); ce.Kind != tt.kind || ce.Reason != tt.reason || secret != "" {
				t.Errorf("Create = %v (%s), want kind %d reason %s", err, ce.Reason, tt.kind, tt.reason)
			}
		})
	}
	t.Run("too many", func(t *testing.T) {
		eps := webhook.NewEndpoints(webhook.EndpointsConfig{MaxPerZone: 2}, e.st, e.box, e.clk)
		zone := newZone(t, e.base)
		for i := range 3 {
			_, _, err := eps.Create(t.Context(), zone, webhook.EndpointInput{URL: "https://h.example.com/"})
			if ce := core.AsError(err); (i < 2) != (err == nil) || (i == 2 && ce.Reason != webhook.ReasonTooManyEndpoints) {
				t.Errorf("endpoint %d: %v", i+1, err)
			}
		}
	})
}

func TestDeliveriesQuery(t *testing.T) {
	e := newEnv(t, nil, nil)
	ep, _ := e.endpoint(t, "https://hooks.example.com/")
	if _, err := e.eps.Deliveries(t.Context(), e.zone, ep.ID, webhook.ListOptions{Status: "lost"}); core.AsError(err).Reason != webhook.ReasonInvalidQuery {
		t.Errorf("status=lost: %v", err)
	}
	l, err := e.eps.Deliveries(t.Context(), e.zone, ep.ID, webhook.ListOptions{Status: core.DeliveryFailed})
	if err != nil || l.Deliveries == nil || l.Total != 0 {
		t.Errorf("empty log: %+v, %v; want an empty, non-nil list", l, err)
	}
	for _, id := range []string{ident.UUID(), "not-an-id"} {
		if _, err := e.eps.Get(t.Context(), e.zone, id); core.AsError(err).Reason != webhook.ReasonEndpointNotFound {
			t.Errorf("Get(%s) = %v", id, err)
		}
		if _, err := e.eps.Delivery(t.Context(), e.zone, ep.ID, id); core.AsError(err).Reason != webhook.ReasonDeliveryNotFound {
			t.Errorf("Delivery(%s) = %v", id, err)
		}
		if err := e.eps.Delete(t.Context(), e.zone, id); core.AsError(err).Reason != webhook.ReasonEndpointNotFound {
			t.Errorf("Delete(%s) = %v", id, err)
		}
	}
}
