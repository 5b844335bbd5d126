package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// The tenant the benchmark creates. Seeded and created names are .com names
// outside it, so the zone's hostname policy accepts them.
const (
	zoneName    = "saas-bench.com"
	cnameTarget = "customers.saas-bench.com"
)

// spec is one custom hostname as a client asks for it. The seeder hands it to
// the service and the create phase POSTs it, so seeded and created rows have
// the same mix: a quarter each plain, with custom metadata, with a custom
// origin and TLS settings, and with TXT validation.
type spec struct {
	Name     string
	Method   string // ssl.method: http or txt
	Metadata string // custom_metadata (a JSON object), or ""
	Origin   string // custom_origin_server, or ""
	MinTLS   string // ssl.settings.min_tls_version, or ""
}

func specFor(i int, name string) spec {
	s := spec{Name: name, Method: "http"}
	switch i % 4 {
	case 1:
		s.Metadata = fmt.Sprintf(`{"customer_id":%d,"plan":"pro"}`, i)
	case 2:
		s.Origin = fmt.Sprintf("origin-%d.%s", i%50, zoneName)
		s.MinTLS = "1.2"
	case 3:
		s.Method = "txt"
	}
	return s
}

// seededName is the name of the i-th seeded hostname: unique, and spread
// over many registrable domains as real customers' names are.
func seededName(i int) string {
	return fmt.Sprintf("shop-%07d.customer-%07d.com", i, i*7919%1_000_003)
}

// createdName is the name of the k-th hostname the create phase sends; run
// keeps names of different runs on one database apart.
func createdName(run string, k int) string {
	return fmt.Sprintf("new-%07d.bench-%s.com", k, run)
}

// input is s as the service takes it.
func (s spec) input() service.HostnameInput {
	dv := "dv"
	in := service.HostnameInput{Hostname: s.Name, SSL: &service.SSLInput{Method: &s.Method, Type: &dv}}
	if s.MinTLS != "" {
		in.SSL.Settings = &service.TLSSettingsInput{MinTLSVersion: &s.MinTLS}
	}
	if s.Origin != "" {
		in.CustomOriginServer = &s.Origin
	}
	if s.Metadata != "" {
		in.CustomMetadata = json.RawMessage(s.Metadata)
	}
	return in
}

// body is s as the Cloudflare API takes it.
func (s spec) body() []byte {
	ssl := map[string]any{"method": s.Method, "type": "dv"}
	if s.MinTLS != "" {
		ssl["settings"] = map[string]string{"min_tls_version": s.MinTLS}
	}
	req := map[string]any{"hostname": s.Name, "ssl": ssl}
	if s.Origin != "" {
		req["custom_origin_server"] = s.Origin
	}
	if s.Metadata != "" {
		req["custom_metadata"] = json.RawMessage(s.Metadata)
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err) // strings and maps of strings always encode
	}
	return b
}

// generator builds seeded hostnames with the service's own CreateHostname,
// so that every field (ids, ownership token, ssl defaults, canonical name)
// is what a create through the API would store. The service writes into a
// capture instead of a database; the seeder then bulk-inserts the captured
// values. Creation times advance by step per hostname on a fake clock, so
// seeded rows are ordered in time and older than the ones the run creates.
type generator struct {
	svc    *service.Service
	clk    *clock.Fake
	step   time.Duration
	cap    *capture
	zoneID string
}

func newGenerator(z core.Zone, n int) *generator {
	const step = 10 * time.Millisecond
	clk := clock.NewFake(time.Now().Add(-time.Duration(n+1) * step).UTC())
	c := &capture{zone: z}
	// Config{} is what the node runs with: no DCV zone, no quota.
	return &generator{svc: service.New(service.Config{}, c, nil, clk, nil), clk: clk, step: step, cap: c, zoneID: z.ID}
}

// hostname returns the i-th seeded hostname. It is not safe for concurrent use.
func (g *generator) hostname(ctx context.Context, i int) (core.Hostname, error) {
	return g.build(ctx, specFor(i, seededName(i)))
}

func (g *generator) build(ctx context.Context, s spec) (core.Hostname, error) {
	g.clk.Advance(g.step)
	if _, err := g.svc.CreateHostname(ctx, g.zoneID, s.input()); err != nil {
		return core.Hostname{}, fmt.Errorf("building hostname %s: %w", s.Name, err)
	}
	return g.cap.last, nil
}

// capture is the store the generator's service writes to: it knows one zone
// and remembers the last hostname created. The embedded Store is nil, so a
// service that starts calling anything else on create panics here instead of
// silently seeding different rows.
type capture struct {
	store.Store
	zone core.Zone
	last core.Hostname
}

func (c *capture) GetZone(_ context.Context, id string) (core.Zone, error) {
	if id != c.zone.ID {
		return core.Zone{}, store.ErrNotFound
	}
	return c.zone, nil
}

func (c *capture) CreateHostname(_ context.Context, h core.Hostname) error {
	h.Version = 1 // what the stores write (store.Store.CreateHostname)
	c.last = h
	return nil
}

func (c *capture) GetHostname(_ context.Context, zoneID, id string) (core.Hostname, error) {
	if zoneID != c.last.ZoneID || id != c.last.ID {
		return core.Hostname{}, store.ErrNotFound
	}
	return c.last, nil
}
