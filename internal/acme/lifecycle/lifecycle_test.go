package lifecycle_test

import (
	"context"
	crand "crypto/rand"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/acme/internalca"
	"github.com/porticohq/portico/internal/acme/lifecycle"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store/sqlite"
)

// fixture is a lifecycle over a real SQLite store and the internal CA,
// under a fake clock. Verification is not running: tests move hostnames
// to active themselves, as a proof would.
type fixture struct {
	clk  *clock.Fake
	st   *sqlite.Store
	svc  *service.Service
	m    *lifecycle.Manager
	iss  *acme.Issuer
	zone core.Zone
}

func newFixture(t *testing.T, lifetime time.Duration) *fixture {
	return newFixtureWith(t, lifetime, nil)
}

// newFixtureWith lets wrap replace the engine the manager sees.
func newFixtureWith(t *testing.T, lifetime time.Duration, wrap func(*acme.Issuer) lifecycle.Engine) *fixture {
	t.Helper()
	ctx := t.Context()
	f := &fixture{clk: clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	dir := t.TempDir()
	var err error
	f.st, err = sqlite.Open(ctx, filepath.Join(dir, "portico.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.st.Close() })
	key := make([]byte, 32)
	_, _ = crand.Read(key)
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = service.New(service.Config{DCVZone: "dcv.saas.com"}, f.st, box, f.clk, nil)
	ca, err := internalca.LoadOrCreate(filepath.Join(dir, "ca"), box, f.clk)
	if err != nil {
		t.Fatal(err)
	}
	f.iss, err = acme.New(acme.Config{CAs: map[string]acme.CAConfig{"internal": {Local: ca, LocalLifetime: lifetime}}},
		f.st, f.st, &lifecycle.Publisher{Store: f.st, Clock: f.clk}, box, f.clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	var eng lifecycle.Engine = f.iss
	if wrap != nil {
		eng = wrap(f.iss)
	}
	f.m, err = lifecycle.New(lifecycle.Config{}, lifecycle.Deps{
		Store: f.st, Hostnames: f.svc, Engine: eng, Clock: f.clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.AddHooks(f.m)
	f.zone, err = f.svc.CreateZone(ctx, service.ZoneInput{Name: "saas.com", CNAMETarget: "customers.saas.com"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// run lets the lifecycle do everything due now.
func (f *fixture) run(t *testing.T) {
	t.Helper()
	for range 100 {
		if !f.m.RunOnce(t.Context()) {
			return
		}
	}
	t.Fatal("the lifecycle kept finding work")
}

func (f *fixture) activeHostname(t *testing.T, name string) core.Hostname {
	t.Helper()
	ctx := t.Context()
	h, err := f.svc.CreateHostname(ctx, f.zone.ID, service.HostnameInput{Hostname: name})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetHostnameStatus(ctx, f.zone.ID, h.ID, core.HostnamePending, core.HostnameActive); err != nil {
		t.Fatal(err)
	}
	return h
}

func (f *fixture) get(t *testing.T, id string) core.Hostname {
	t.Helper()
	h, err := f.svc.GetHostname(t.Context(), f.zone.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func managed(h core.Hostname) []core.Certificate {
	var out []core.Certificate
	for _, c := range h.SSL.Certificates {
		if c.Source == core.SourceManaged {
			out = append(out, c)
		}
	}
	return out
}

// TestNoOrderBeforeProof: a pending hostname gets no certificate; it gets
// one as soon as it is active.
func TestNoOrderBeforeProof(t *testing.T) {
	f := newFixture(t, 90*24*time.Hour)
	ctx := t.Context()
	h, err := f.svc.CreateHostname(ctx, f.zone.ID, service.HostnameInput{Hostname: "shop.customer.com"})
	if err != nil {
		t.Fatal(err)
	}
	f.run(t)
	f.clk.Advance(time.Hour)
	f.run(t)
	if got := f.get(t, h.ID); len(got.SSL.Certificates) != 0 || got.SSL.Status != core.SSLInitializing {
		t.Fatalf("pending hostname: ssl %s with %d certificates", got.SSL.Status, len(got.SSL.Certificates))
	}
	if err := f.svc.SetHostnameStatus(ctx, f.zone.ID, h.ID, core.HostnamePending, core.HostnameActive); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	got := f.get(t, h.ID)
	if got.SSL.Status != core.SSLActive || len(managed(got)) != 1 {
		t.Fatalf("active hostname: ssl %s with %d managed certificates", got.SSL.Status, len(managed(got)))
	}
	if c := managed(got)[0]; c.Hosts[0] != "shop.customer.com" {
		t.Errorf("hosts %v", c.Hosts)
	}
}

// TestRenewalsFor180Days is the fake-clock run: 10-day
// certificates, 180 days, checked every 6 hours: every hostname always has
// an unexpired certificate, exactly one managed certificate is kept, and
// each was renewed when about a third of its lifetime was left.
func TestRenewalsFor180Days(t *testing.T) {
	f := newFixture(t, 10*24*time.Hour)
	var ids []string
	for i := range 5 {
		ids = append(ids, f.activeHostname(t, fmt.Sprintf("shop%d.customer.com", i)).ID)
	}
	f.run(t)
	serials := map[string]map[string]bool{}
	for _, id := range ids {
		serials[id] = map[string]bool{}
	}
	end := f.clk.Now().Add(180 * 24 * time.Hour)
	for f.clk.Now().Before(end) {
		f.clk.Advance(6 * time.Hour)
		f.run(t)
		now := f.clk.Now()
		for _, id := range ids {
			h := f.get(t, id)
			ms := managed(h)
			if len(ms) != 1 {
				t.Fatalf("%s at %v: %d managed certificates", h.Name, now, len(ms))
			}
			if !now.Before(ms[0].ExpiresOn) {
				t.Fatalf("%s at %v: certificate expired at %v", h.Name, now, ms[0].ExpiresOn)
			}
			if h.SSL.Status != core.SSLActive {
				t.Fatalf("%s at %v: ssl %s", h.Name, now, h.SSL.Status)
			}
			serials[id][ms[0].SerialNumber] = true
		}
	}
	for _, id := range ids {
		// 10-day certificates are renewed at two thirds of their life:
		// about every 6.7 days, 27 times in 180 days.
		if n := len(serials[id]); n < 24 || n > 30 {
			t.Errorf("hostname %s had %d certificates in 180 days", id, n)
		}
	}
}

// TestRenewalsStopWhenMoved: a moved hostname's renewal is cancelled, and
// a hostname that comes back after its certificate expired gets a new one
// at once.
func TestRenewalsStopWhenMoved(t *testing.T) {
	f := newFixture(t, 10*24*time.Hour)
	ctx := t.Context()
	h := f.activeHostname(t, "moving.customer.com")
	f.run(t)
	if err := f.svc.SetHostnameStatus(ctx, f.zone.ID, h.ID, core.HostnameActive, core.HostnameMoved); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	recs, err := f.st.HostnameIssuances(ctx, f.zone.ID, h.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if !r.Step.Terminal() {
			t.Fatalf("a live record survived the move: %+v", r.Step)
		}
	}
	serial := managed(f.get(t, h.ID))[0].SerialNumber
	f.clk.Advance(11 * 24 * time.Hour) // past the certificate's expiry
	f.run(t)
	if got := managed(f.get(t, h.ID)); len(got) != 1 || got[0].SerialNumber != serial {
		t.Fatalf("a moved hostname was renewed: %+v", got)
	}
	if err := f.svc.SetHostnameStatus(ctx, f.zone.ID, h.ID, core.HostnameMoved, core.HostnameActive); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	if got := managed(f.get(t, h.ID)); len(got) != 1 || got[0].SerialNumber == serial {
		t.Fatalf("back to active, not renewed: %+v", got)
	}
}

// TestCancelOnDelete: deleting a hostname removes its records with it.
func TestCancelOnDelete(t *testing.T) {
	f := newFixture(t, 10*24*time.Hour)
	ctx := t.Context()
	h := f.activeHostname(t, "gone.customer.com")
	f.run(t)
	if err := f.svc.DeleteHostname(ctx, f.zone.ID, h.ID); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(10 * 24 * time.Hour)
	f.run(t)
	recs, err := f.st.HostnameIssuances(ctx, f.zone.ID, h.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Fatalf("records of a deleted hostname remain: %d", len(recs))
	}
}

// ariEngine is the engine with a renewal window the test sets, as a CA's
// ARI would give it: the internal CA offers none.
type ariEngine struct {
	*acme.Issuer
	w atomic.Pointer[acme.Window]
}

func (e *ariEngine) RenewalInfo(context.Context, string, *x509.Certificate) (*acme.Window, error) {
	return e.w.Load(), nil
}

// TestARIWindowMovedEarlier: a renewal follows the CA's ARI window, and a
// window moved into the past (a revocation) is seen at the next poll and
// renews at once.
func TestARIWindowMovedEarlier(t *testing.T) {
	eng := &ariEngine{}
	f := newFixtureWith(t, 90*24*time.Hour, func(is *acme.Issuer) lifecycle.Engine {
		eng.Issuer = is
		return eng
	})
	start := f.clk.Now()
	eng.w.Store(&acme.Window{Start: start.Add(80 * 24 * time.Hour), End: start.Add(81 * 24 * time.Hour)})
	h := f.activeHostname(t, "ari.customer.com")
	f.run(t)
	serial := managed(f.get(t, h.ID))[0].SerialNumber
	// Well past Portico's own point (60 days) but before the window.
	for range 4 * 70 {
		f.clk.Advance(6 * time.Hour)
		f.run(t)
	}
	if got := managed(f.get(t, h.ID))[0].SerialNumber; got != serial {
		t.Fatal("renewed before the ARI window")
	}
	// The CA moves the window into the past: renewed at the next poll.
	eng.w.Store(&acme.Window{Start: f.clk.Now().Add(-2 * time.Hour), End: f.clk.Now().Add(-time.Hour)})
	f.clk.Advance(6 * time.Hour)
	f.run(t)
	if got := managed(f.get(t, h.ID))[0].SerialNumber; got == serial {
		t.Fatal("not renewed after the window moved into the past")
	}
}
