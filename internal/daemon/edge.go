package daemon

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/edge"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store"
)

// edgeNode is the node's edge, when it runs.
type edgeNode struct {
	edge *edge.Edge
	// challenges is the node's HTTP-01 challenge set: ACME puts its
	// challenges here and the edge answers them.
	challenges *edge.Challenges
}

// startEdge starts the edge on the configured listeners, answering the
// node's HTTP-01 challenges and asking verification for checks of pending
// hostnames its visitors reach, and hooks it into the service so that
// changes made through this node reach it at once.
//
// On the default ports (:443, :80) a failure to bind (not root, or a web
// server already there) is logged and the node runs without the edge, so
// that `portico serve` works out of the box for a first try; addresses
// given explicitly must bind.
func (d *Daemon) startEdge(ctx context.Context, box *secrets.Box) error {
	d.edge.challenges = edge.NewChallenges()
	ec := d.cfg.Edge
	if !ec.Enabled() {
		return nil
	}
	src, ok := d.store.(store.EdgeSource)
	if !ok {
		return fmt.Errorf("the %T store cannot feed the edge", d.store)
	}
	proxies, err := ec.Proxies()
	if err != nil {
		return err
	}
	cfg := edge.Config{
		HTTPSAddr:             ec.HTTPSAddr(),
		HTTPAddr:              ec.HTTPAddr(),
		TrustedProxies:        proxies,
		MetadataHeader:        ec.MetadataHeader,
		HandshakeTimeout:      ec.HandshakeTimeout,
		HeaderTimeout:         ec.HeaderTimeout,
		ReadTimeout:           ec.ReadTimeout,
		WriteTimeout:          ec.WriteTimeout,
		IdleTimeout:           ec.IdleTimeout,
		OriginResponseTimeout: ec.OriginTimeout,
		CacheSize:             ec.CacheSize,
		NetHTTPOnly:           ec.NetHTTPOnly,
		Challenges:            challengeSource{local: d.edge.challenges, st: d.store, clock: d.clock},
	}
	if ec.DefaultCertFile != "" {
		pair, err := tls.LoadX509KeyPair(ec.DefaultCertFile, ec.DefaultKeyFile)
		if err != nil {
			return fmt.Errorf("--edge-default-cert: %w", err)
		}
		cfg.DefaultCertificate = &pair
	}
	if servers, err := d.cfg.ResolverServers(); err == nil && len(servers) > 0 {
		cfg.Resolver = resolverFor(servers)
	}
	if ec.AccessLog {
		cfg.AccessLog = d.log.With("component", "access")
	}
	if s := d.Verifier(); s != nil {
		cfg.Checks = s
	}
	e := edge.New(cfg, src, box, d.clock, d.log.With("component", "edge"), d.reg)
	if err := e.Start(ctx); err != nil {
		if ec.OnDefaultPorts() {
			d.log.Error("edge not started: cannot listen on its default ports; the API runs without it. "+
				"Run as root or with CAP_NET_BIND_SERVICE, or choose ports with --https-listen :8443 --http-listen :8080, "+
				"or silence this with --https-listen off --http-listen off", "err", err)
			return nil
		}
		return err
	}
	d.edge.edge = e
	d.svc.AddHooks(e)
	return nil
}

// stopEdge drains the edge's connections (bounded by ctx).
func (d *Daemon) stopEdge(ctx context.Context) error {
	e := d.edge.edge
	if e == nil {
		return nil
	}
	d.edge.edge = nil
	return e.Shutdown(ctx)
}

// Edge returns the running edge, nil when it is off or did not start.
func (d *Daemon) Edge() *edge.Edge { return d.edge.edge }

// Challenges returns the node's HTTP-01 challenge set (for ACME); nil
// before Start.
func (d *Daemon) Challenges() *edge.Challenges { return d.edge.challenges }

// challengeSource answers HTTP-01 from this node's memory first, then from
// the database, where any node's ACME orders publish theirs.
type challengeSource struct {
	local *edge.Challenges
	st    store.Store
	clock clock.Clock
}

func (c challengeSource) KeyAuthorization(ctx context.Context, host, token string) (string, bool, error) {
	if ka, ok, _ := c.local.KeyAuthorization(ctx, host, token); ok {
		return ka, true, nil
	}
	is, ok := c.st.(store.Issuances)
	if !ok {
		return "", false, nil
	}
	return is.HTTPChallenge(ctx, host, token, c.clock.Now())
}

// resolverFor sends every origin name lookup to servers (--resolver), in
// turn: nothing falls back to the system resolver.
func resolverFor(servers []string) *net.Resolver {
	var next atomic.Uint32
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, servers[int(next.Add(1))%len(servers)])
		},
	}
}
