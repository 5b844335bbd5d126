package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/verify"
)

// verifier is the running verification scheduler of a node.
type verifier struct {
	metrics *verify.Metrics
	sched   *verify.Scheduler
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// newVerifyMetrics registers verification's metrics; it runs before the
// service is built, which counts status changes into them.
func (d *Daemon) newVerifyMetrics() error {
	m, err := verify.NewMetrics(d.reg)
	if err != nil {
		return err
	}
	d.verify.metrics = m
	return nil
}

// startVerify builds the checker and the scheduler over the store and the
// service, hooks the scheduler into the service (created hostnames wake
// it; refreshes check at once), and runs it until stopVerify.
func (d *Daemon) startVerify() error {
	checks, ok := d.store.(store.Checks)
	if !ok {
		return errors.New("the store keeps no check schedule")
	}
	blocks, _ := d.store.(store.Blocklist)
	servers, err := d.dnsServers()
	if err != nil {
		return err
	}
	resolver, err := verify.NewDNSResolver(servers, verify.DNSOptions{})
	if err != nil {
		return fmt.Errorf("--resolver: %w", err)
	}
	v4, v6, err := d.cfg.EdgeAddrs()
	if err != nil {
		return err
	}
	cc := verify.Config{EdgeIPv4: v4, EdgeIPv6: v6, AllowPrivateNetworks: d.cfg.VerifyAllowPrivate}
	if p := d.cfg.VerifyHTTPPort; p != 0 && p != 80 {
		cc.HTTPPort = p
	}
	checker, err := verify.NewChecker(resolver, d.clock, cc)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	sched, err := verify.NewScheduler(verify.SchedulerConfig{
		Workers: d.cfg.VerifyWorkers,
		Owner:   fmt.Sprintf("%s:%d", host, os.Getpid()),
	}, verify.SchedulerDeps{
		Checks:    checks,
		Blocklist: blocks,
		Hostnames: d.svc,
		Checker:   checker,
		Clock:     d.clock,
		Metrics:   d.verify.metrics,
		Log:       d.log.With("component", "verify"),
	})
	if err != nil {
		return err
	}
	d.svc.AddHooks(sched)
	d.svc.SetVerifier(sched)
	ctx, cancel := context.WithCancel(context.Background())
	d.verify.sched, d.verify.cancel = sched, cancel
	d.verify.wg.Go(func() { sched.Run(ctx) })
	d.log.Info("verification running", "resolvers", resolver.Servers(), "workers", d.cfg.VerifyWorkers)
	return nil
}

// dnsServers are the resolvers of every lookup Portico makes: --resolver,
// else the system's.
func (d *Daemon) dnsServers() ([]string, error) {
	servers, err := d.cfg.ResolverServers()
	if err != nil {
		return nil, err
	}
	if len(servers) == 0 {
		if servers, err = verify.SystemServers(); err != nil {
			return nil, fmt.Errorf("finding DNS resolvers (set --resolver): %w", err)
		}
	}
	return servers, nil
}

// Verifier returns the verification scheduler (for the edge's CheckSoon and
// for tests); nil before Start.
func (d *Daemon) Verifier() *verify.Scheduler { return d.verify.sched }

// stopVerify stops the scheduler and waits for its running checks, which
// end at their check timeout at the latest; it must run before the store
// closes.
func (d *Daemon) stopVerify() {
	if d.verify.cancel == nil {
		return
	}
	if d.svc != nil {
		d.svc.SetVerifier(nil)
	}
	d.verify.cancel()
	d.verify.wg.Wait()
	d.verify.cancel = nil
}
