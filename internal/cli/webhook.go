package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/daemon"
	"github.com/porticohq/portico/internal/database"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/webhook"
)

// runWebhook manages a zone's webhook endpoints, as the API does. Each
// subcommand prints one JSON object.
//
//	portico webhook add --zone ZONE_ID --url https://hooks.saasprovider.com/portico [--events hostname.verified,...]
//	portico webhook list --zone ZONE_ID
//	portico webhook remove --zone ZONE_ID --id WEBHOOK_ID
//
// add prints the signing secret, once; only a sealed copy is stored.
func runWebhook(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("want a subcommand: add, list or remove")
	}
	sub, rest := args[0], args[1:]
	var (
		a                   adminFlags
		policy              config.WebhookPolicy
		zoneID, id, url     string
		events, description string
	)
	fs := flag.NewFlagSet("webhook "+sub, flag.ContinueOnError)
	a.register(fs)
	fs.StringVar(&zoneID, "zone", "", "zone id (required)")
	switch sub {
	case "add":
		policy.Register(fs)
		fs.StringVar(&url, "url", "", "the HTTPS URL that receives the events (required)")
		fs.StringVar(&events, "events", "", "event types to send, comma-separated (default: every type)")
		fs.StringVar(&description, "description", "", "free text for the zone's owner")
	case "remove":
		fs.StringVar(&id, "id", "", "webhook id (required)")
	case "list":
	default:
		return fmt.Errorf("unknown subcommand %q: want add, list or remove", sub)
	}
	if err := parse(env, fs, rest); err != nil {
		return err
	}
	switch {
	case zoneID == "":
		return errors.New("--zone is required")
	case sub == "add" && url == "":
		return errors.New("--url is required")
	case sub == "remove" && id == "":
		return errors.New("--id is required")
	}
	var box *secrets.Box
	if sub == "add" { // only a create seals anything: list and remove need no master key
		var err error
		if box, err = daemon.LoadSecrets(a.Store, a.Secrets); err != nil {
			return err
		}
	}
	st, err := database.Open(ctx, a.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	ws, ok := st.(store.Webhooks)
	if !ok {
		return errors.New("the store keeps no webhooks")
	}
	if _, err := st.GetZone(ctx, zoneID); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("zone %s not found", zoneID)
	} else if err != nil {
		return err
	}
	network := webhook.Network{AllowHTTP: policy.WebhookAllowHTTP, AllowPrivate: policy.WebhookAllowPrivate}
	eps := webhook.NewEndpoints(webhook.EndpointsConfig{Network: network}, ws, box, clock.Real{})
	switch sub {
	case "add":
		e, secret, err := eps.Create(ctx, zoneID, webhook.EndpointInput{URL: url, Events: splitEvents(events), Description: description})
		if err != nil {
			return publicError(err)
		}
		out := toWebhookJSON(e)
		out.Secret = secret // printed once, here
		return printJSON(env.Stdout, out)
	case "remove":
		if err := eps.Delete(ctx, zoneID, id); err != nil {
			return publicError(err)
		}
		return printJSON(env.Stdout, map[string]any{"id": strings.ToLower(id), "removed": true})
	}
	es, err := eps.List(ctx, zoneID)
	if err != nil {
		return publicError(err)
	}
	out := make([]webhookJSON, 0, len(es))
	for _, e := range es {
		out = append(out, toWebhookJSON(e))
	}
	return printJSON(env.Stdout, map[string]any{"webhooks": out})
}

func splitEvents(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// webhookJSON is an endpoint as the CLI prints it.
type webhookJSON struct {
	ID          string    `json:"id"`
	ZoneID      string    `json:"zone_id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	Secret      string    `json:"secret,omitempty"`
}

func toWebhookJSON(e core.WebhookEndpoint) webhookJSON {
	events := e.Events
	if events == nil {
		events = []string{webhook.AllEvents}
	}
	return webhookJSON{ID: e.ID, ZoneID: e.ZoneID, URL: e.URL, Events: events, Description: e.Description, CreatedAt: e.CreatedAt}
}
