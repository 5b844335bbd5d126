package verify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/workqueue"
)

// SchedulerConfig tunes a Scheduler. The zero value gives the defaults.
type SchedulerConfig struct {
	// Workers is how many checks run at once (--verify-workers). Default 4.
	Workers int
	// PollInterval is how often Run looks for due checks when nothing
	// wakes it. Default 1 s: the query reads the head of one index.
	PollInterval time.Duration
	// CheckTimeout bounds the lookups and fetches of one check. Default 10 s.
	CheckTimeout time.Duration
	// LeaseFor is how long a claimed check is reserved for its worker;
	// after that, a worker that died has its check run elsewhere. Default
	// 2×CheckTimeout + 10 s.
	LeaseFor time.Duration
	// Owner names this scheduler in leases (for operators reading the
	// table). Default a random id.
	Owner string
	// SoonInterval is the least time between two CheckSoon requests that
	// are honoured for one hostname. Default 1 minute.
	SoonInterval time.Duration
	// SoonTracked caps the hostnames whose last CheckSoon is remembered;
	// beyond it, requests are dropped until old entries expire. Default
	// 100,000.
	SoonTracked int
}

func (c *SchedulerConfig) defaults() {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.CheckTimeout <= 0 {
		c.CheckTimeout = 10 * time.Second
	}
	if c.LeaseFor <= 0 {
		c.LeaseFor = 2*c.CheckTimeout + 10*time.Second
	}
	if c.Owner == "" {
		c.Owner = "verify-" + ident.ZoneID()[:12]
	}
	if c.SoonInterval <= 0 {
		c.SoonInterval = time.Minute
	}
	if c.SoonTracked <= 0 {
		c.SoonTracked = 100_000
	}
}

// Hostnames is what the scheduler needs of the service layer: reads, and
// status changes by compare-and-swap with their audit event (a
// *service.Service).
type Hostnames interface {
	GetZone(ctx context.Context, id string) (core.Zone, error)
	GetHostname(ctx context.Context, zoneID, id string) (core.Hostname, error)
	TransitionHostname(ctx context.Context, zoneID, id string, from, to core.HostnameStatus, reason string) error
}

// SchedulerDeps are a Scheduler's collaborators. All but Blocklist,
// Metrics and Log are required.
type SchedulerDeps struct {
	Checks    store.Checks
	Blocklist store.Blocklist // nil: nothing is blocked
	Hostnames Hostnames
	Checker   *Checker
	Clock     clock.Clock
	Metrics   *Metrics
	Log       *slog.Logger
}

// Scheduler runs the ownership checks when they are due, applies their
// verdicts and keeps the schedule (see NextCheck and Decide for the rules,
// and the README for what customers see). The schedule is in the database
// (store.Checks), so it survives restarts and several schedulers, in one
// process or on several nodes, share it: each due check is leased to one of
// them.
//
// It is safe for concurrent use. It implements service.Hooks (a created
// hostname wakes it) and service.Verifier (CheckNow).
type Scheduler struct {
	cfg SchedulerConfig
	d   SchedulerDeps

	wake    chan struct{}
	soon    chan soonRequest
	limiter *limiter
	runMu   sync.Mutex // one RunOnce at a time
}

var (
	_ service.Hooks    = (*Scheduler)(nil)
	_ service.Verifier = (*Scheduler)(nil)
)

// NewScheduler returns a scheduler; Run drives it, or RunOnce in tests.
func NewScheduler(cfg SchedulerConfig, d SchedulerDeps) (*Scheduler, error) {
	if d.Checks == nil || d.Hostnames == nil || d.Checker == nil || d.Clock == nil {
		return nil, errors.New("verify: NewScheduler needs Checks, Hostnames, Checker and Clock")
	}
	cfg.defaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{
		cfg:     cfg,
		d:       d,
		wake:    make(chan struct{}, 1),
		soon:    make(chan soonRequest, 1024),
		limiter: newLimiter(cfg.SoonInterval, cfg.SoonTracked),
	}, nil
}

// Run processes due checks until ctx ends: whenever woken (a hostname was
// created, CheckSoon) and at least every PollInterval. Checks running when
// ctx ends are abandoned unrecorded; their leases expire and they run again.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.d.Log.WarnContext(ctx, "running due checks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Wake makes Run look for due checks now. It never blocks.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// HostnameChanged wakes the scheduler when a hostname is created, so that
// its first check (due at creation) runs at once.
func (s *Scheduler) HostnameChanged(_ context.Context, _, _, reason string) {
	if reason == service.ChangeCreated {
		s.Wake()
	}
}

// RunOnce runs every check due at the clock's now, at most Workers at a
// time, and returns how many ran. Checks that become due while it runs
// (a conflict's loser, rescheduled at once) run too. Under a fake clock it
// is how tests drive the schedule: set the time, RunOnce, look.
func (s *Scheduler) RunOnce(ctx context.Context) (int, error) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.drainSoon(ctx)
	total := 0
	for {
		n, err := s.round(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// round claims due checks as workers free up and runs them, until a claim
// finds nothing due; it returns when the last one finished.
func (s *Scheduler) round(ctx context.Context) (int, error) {
	ran, err := workqueue.Drain(ctx, s.cfg.Workers, func(ctx context.Context, n int) ([]store.CheckState, error) {
		return s.d.Checks.ClaimDueChecks(ctx, s.d.Clock.Now(), n, s.cfg.Owner, s.cfg.LeaseFor)
	}, s.process)
	if err != nil && ctx.Err() == nil {
		return ran, fmt.Errorf("claiming due checks: %w", err)
	}
	return ran, err
}

// CheckNow restarts the hostname's schedule and runs one check at once,
// applying its verdict before it returns: a refresh (PATCH with an ssl
// object) answers with the new status. The check keeps running if ctx is
// cancelled (the client went away), bounded by CheckTimeout.
func (s *Scheduler) CheckNow(ctx context.Context, zoneID, hostnameID string) error {
	ctx = context.WithoutCancel(ctx)
	c, err := s.d.Checks.ClaimCheck(ctx, zoneID, hostnameID, s.d.Clock.Now(), s.cfg.Owner, s.cfg.LeaseFor, true)
	if err != nil {
		return fmt.Errorf("checking hostname %s now: %w", hostnameID, err)
	}
	s.process(ctx, c)
	return nil
}
