package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/daemon"
	"github.com/porticohq/portico/internal/database"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// adminFlags are the flags every store command shares.
type adminFlags struct {
	config.Store
	config.Secrets
	DCVZone string
}

func (a *adminFlags) register(fs *flag.FlagSet) {
	a.Store.Register(fs)
	a.Secrets.Register(fs)
	fs.StringVar(&a.DCVZone, "dcv-zone", "", "zone for delegated ACME DNS-01 validation (as given to serve)")
}

// openService opens the store (applying migrations) and a service over it,
// for the operator commands. The caller closes the store.
func openService(ctx context.Context, a adminFlags, stderr io.Writer) (*service.Service, store.Store, error) {
	box, err := daemon.LoadSecrets(a.Store, a.Secrets)
	if err != nil {
		return nil, nil, err
	}
	st, err := database.Open(ctx, a.Store)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := service.New(service.Config{DCVZone: a.DCVZone}, st, box, clock.Real{}, log)
	return svc, st, nil
}

func runMigrate(ctx context.Context, env Env, args []string) error {
	var cfg config.Store
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg.Register(fs)
	if err := parse(env, fs, args); err != nil {
		return err
	}
	st, err := database.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return printJSON(env.Stdout, map[string]any{"migrated": true})
}

// zoneJSON is a zone as the CLI prints it.
type zoneJSON struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	CNAMETarget    string    `json:"cname_target"`
	FallbackOrigin string    `json:"fallback_origin,omitempty"`
	Wildcards      bool      `json:"wildcards"`
	CreatedAt      time.Time `json:"created_at"`
}

func toZoneJSON(z core.Zone) zoneJSON {
	out := zoneJSON{ID: z.ID, Name: z.Name, CNAMETarget: z.CNAMETarget, Wildcards: !z.NoWildcards, CreatedAt: z.CreatedAt}
	if z.Fallback != nil {
		out.FallbackOrigin = z.Fallback.Origin
	}
	return out
}

func runZone(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("want a subcommand: create or list")
	}
	var a adminFlags
	fs := flag.NewFlagSet("zone "+args[0], flag.ContinueOnError)
	a.register(fs)
	switch args[0] {
	case "create":
		var in service.ZoneInput
		fs.StringVar(&in.Name, "name", "", "the provider's domain, e.g. saasprovider.com (required)")
		fs.StringVar(&in.CNAMETarget, "cname-target", "", "what customers CNAME to, e.g. customers.saasprovider.com (required)")
		fs.StringVar(&in.FallbackOrigin, "fallback-origin", "", "origin for hostnames without a custom origin")
		fs.BoolVar(&in.NoWildcards, "no-wildcards", false, "refuse wildcard custom hostnames in this zone")
		if err := parse(env, fs, args[1:]); err != nil {
			return err
		}
		if in.Name == "" || in.CNAMETarget == "" {
			return fmt.Errorf("--name and --cname-target are required")
		}
		svc, st, err := openService(ctx, a, env.Stderr)
		if err != nil {
			return err
		}
		defer st.Close()
		z, err := svc.CreateZone(ctx, in)
		if err != nil {
			return publicError(err)
		}
		return printJSON(env.Stdout, toZoneJSON(z))
	case "list":
		if err := parse(env, fs, args[1:]); err != nil {
			return err
		}
		svc, st, err := openService(ctx, a, env.Stderr)
		if err != nil {
			return err
		}
		defer st.Close()
		zones, err := svc.ListZones(ctx)
		if err != nil {
			return publicError(err)
		}
		out := make([]zoneJSON, 0, len(zones))
		for _, z := range zones {
			out = append(out, toZoneJSON(z))
		}
		return printJSON(env.Stdout, map[string]any{"zones": out})
	}
	return fmt.Errorf("unknown subcommand %q: want create or list", args[0])
}

func runToken(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("want: token create --zone ZONE_ID")
	}
	var a adminFlags
	var zoneID string
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	a.register(fs)
	fs.StringVar(&zoneID, "zone", "", "zone id the token may act on (required)")
	if err := parse(env, fs, args[1:]); err != nil {
		return err
	}
	if zoneID == "" {
		return fmt.Errorf("--zone is required")
	}
	svc, st, err := openService(ctx, a, env.Stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	token, t, err := svc.CreateToken(ctx, zoneID)
	if err != nil {
		return publicError(err)
	}
	// The token is printed once, here; only its hash is stored.
	return printJSON(env.Stdout, map[string]string{"token": token, "id": t.ID, "zone_id": t.ZoneID})
}

// publicError keeps a domain error's public text and drops its private cause
// unless it is an internal error, which the operator needs to see.
func publicError(err error) error {
	e := core.AsError(err)
	if e.Kind == core.KindInternal {
		return err
	}
	return fmt.Errorf("%s", e.Public)
}
