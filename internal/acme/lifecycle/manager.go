package lifecycle

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// Hostnames is the service layer as the lifecycle uses it. *service.Service
// implements it.
type Hostnames interface {
	GetHostname(ctx context.Context, zoneID, id string) (core.Hostname, error)
	ListZones(ctx context.Context) ([]core.Zone, error)
	ListHostnames(ctx context.Context, zoneID string, o service.ListOptions) (service.HostnameList, error)
	SetSSLState(ctx context.Context, zoneID, id string, st service.SSLState) error
	RetireManagedCertificates(ctx context.Context, zoneID, id, keep string) error
}

// Engine is the issuance engine; *acme.Issuer implements it.
type Engine interface {
	Step(ctx context.Context, id string) error
	Cancel(ctx context.Context, id, reason string) error
	RenewalInfo(ctx context.Context, caName string, cert *x509.Certificate) (*acme.Window, error)
}

// CheckStates reads what verification last found (store.Checks implements
// it); optional, it tells whether a hostname points at the edge, which makes
// HTTP-01 usable whatever its method.
type CheckStates interface {
	GetCheck(ctx context.Context, zoneID, id string) (store.CheckState, error)
}

// Events is told of certificate outcomes (webhooks, metrics); optional.
// Implementations MUST return quickly.
type Events interface {
	CertificateEvent(ctx context.Context, h core.Hostname, kind string, iss acme.Issuance)
}

// The kinds Events receives.
const (
	EventIssued  = "issued"  // a first certificate is deployed
	EventRenewed = "renewed" // a renewal replaced the certificate
	EventFailed  = "failed"  // an issuance will not be tried again
)

// Config tunes a Manager. Every field has the default its comment states.
type Config struct {
	// Owner names this node in leases (default "portico").
	Owner string
	// Workers is how many records are stepped at once (default 4).
	Workers int
	// LeaseFor is how long a claimed record is reserved for this node; it
	// must outlast one engine step (default 5 min).
	LeaseFor time.Duration
	// Poll is the pause between claims when there is nothing to do and no
	// hook woke the manager (default 2 s).
	Poll time.Duration
	// WaitRecheck is how long a record of a hostname that is no longer
	// active (a refresh sent it back to pending) waits before it looks
	// again (default 6 h); the hostname's next activation pulls it forward.
	WaitRecheck time.Duration
	// ARIPoll is the longest a renewal waits before it asks the CA's ARI
	// again (default 6 h), so that a window the CA moves earlier (a mass
	// revocation) is seen within that time.
	ARIPoll time.Duration
	// FailedRetry is when a certificate that expired after its renewals
	// failed is ordered afresh (default 1 h).
	FailedRetry time.Duration
	// ResolveCA maps a hostname's ssl.certificate_authority to a CA name of
	// the engine ("" = its default). Default: "" for everything.
	ResolveCA func(requested string) string
}

func (c Config) withDefaults() Config {
	if c.Owner == "" {
		c.Owner = "portico"
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.LeaseFor, 5*time.Minute)
	def(&c.Poll, 2*time.Second)
	def(&c.WaitRecheck, 6*time.Hour)
	def(&c.ARIPoll, 6*time.Hour)
	def(&c.FailedRetry, time.Hour)
	if c.ResolveCA == nil {
		c.ResolveCA = func(string) string { return "" }
	}
	return c
}

// Deps are what a Manager works on.
type Deps struct {
	Store     store.Issuances
	Hostnames Hostnames
	Engine    Engine
	Checks    CheckStates // optional
	Events    Events      // optional
	Clock     clock.Clock
	Log       *slog.Logger
}

// Manager runs the certificate lifecycle of one node. It is safe for
// concurrent use.
type Manager struct {
	cfg  Config
	st   store.Issuances
	host Hostnames
	eng  Engine
	chk  CheckStates
	ev   Events
	clk  clock.Clock
	log  *slog.Logger

	wake chan struct{}

	mu      sync.Mutex
	pending map[hostKey]string // hostnames a hook asked about -> reason
}

type hostKey struct{ zoneID, id string }

// New returns a Manager; Run starts it.
func New(cfg Config, d Deps) (*Manager, error) {
	if d.Store == nil || d.Hostnames == nil || d.Engine == nil || d.Clock == nil {
		return nil, errors.New("lifecycle: New needs a store, the hostnames, an engine and a clock")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Manager{
		cfg: cfg.withDefaults(), st: d.Store, host: d.Hostnames, eng: d.Engine, chk: d.Checks, ev: d.Events,
		clk: d.Clock, log: d.Log, wake: make(chan struct{}, 1), pending: map[hostKey]string{},
	}, nil
}

// HostnameChanged implements service.Hooks: it queues the hostname for
// Ensure and wakes the manager. It never blocks.
func (m *Manager) HostnameChanged(_ context.Context, zoneID, hostnameID, reason string) {
	m.mu.Lock()
	k := hostKey{zoneID, hostnameID}
	// A stronger reason wins: a revalidation may restart a failed record,
	// a status change may not.
	if old, ok := m.pending[k]; !ok || old != service.ChangeRevalidate {
		m.pending[k] = reason
	}
	m.mu.Unlock()
	m.Kick()
}

// Kick wakes the manager to look for work now.
func (m *Manager) Kick() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx is done: queued hooks first, then due records, then
// a pause of Poll or until Kick.
func (m *Manager) Run(ctx context.Context) {
	if err := m.Reconcile(ctx); err != nil && ctx.Err() == nil {
		m.log.WarnContext(ctx, "reconciling certificate work at start", "err", err)
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		busy := m.RunOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if busy {
			continue
		}
		t.Reset(m.cfg.Poll)
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		case <-t.C:
		}
	}
}

// RunOnce handles the queued hooks, then claims the records due now (up to
// a batch) and steps them, Workers at a time, and returns whether it did
// anything (a full batch means there may be more). Tests drive the
// lifecycle with it under a fake clock.
func (m *Manager) RunOnce(ctx context.Context) bool {
	worked := m.drainHooks(ctx)
	batch := m.cfg.Workers * 4
	recs, err := m.st.ClaimDueIssuances(ctx, m.clk.Now(), batch, m.cfg.Owner, m.cfg.LeaseFor)
	if err != nil {
		if ctx.Err() == nil {
			m.log.WarnContext(ctx, "claiming due certificate work", "err", err)
		}
		return worked
	}
	sem := make(chan struct{}, m.cfg.Workers)
	var wg sync.WaitGroup
	for _, iss := range recs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			m.process(ctx, iss)
		})
	}
	wg.Wait()
	return worked || len(recs) == batch
}

func (m *Manager) drainHooks(ctx context.Context) bool {
	m.mu.Lock()
	todo := m.pending
	m.pending = map[hostKey]string{}
	m.mu.Unlock()
	for k, reason := range todo {
		if err := m.Ensure(ctx, k.zoneID, k.id, reason); err != nil && ctx.Err() == nil {
			m.log.WarnContext(ctx, "updating certificate work after a change", "zone_id", k.zoneID, "hostname_id", k.id, "err", err)
		}
	}
	return len(todo) > 0
}
