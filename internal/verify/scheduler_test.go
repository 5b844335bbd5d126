package verify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/testkit/dnstest"
)

// world is the scheduler's test world: a real service on SQLite under the
// fake clock, a real DNS server on loopback that --resolver would point at,
// a token web server that answers 404, and one scheduler (more on demand).
type world struct {
	t      *testing.T
	env    *servicetest.Env
	dns    *dnstest.Server
	reg    *prometheus.Registry
	m      *Metrics
	check  *Checker
	sched  *Scheduler
	start  time.Time
	zoneA  core.Zone
	zoneB  core.Zone
	mu     sync.Mutex
	follow []core.Hostname // hostnames whose schedules advance() follows
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, reg: prometheus.NewRegistry()}
	var err error
	if w.m, err = NewMetrics(w.reg); err != nil {
		t.Fatal(err)
	}
	w.env = servicetest.New(t, func(c *service.Config) { c.OnTransition = w.m.Transition })
	w.start = w.env.Clock.Now()
	w.dns = dnstest.New(t)
	web := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(web.Close)
	_, port, _ := net.SplitHostPort(web.Listener.Addr().String())
	p, _ := strconv.Atoi(port)

	r, err := NewDNSResolver([]string{w.dns.Addr()}, DNSOptions{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	w.check, err = NewChecker(r, w.env.Clock, Config{
		EdgeIPv4:    []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		HTTPTimeout: testTimeout, HTTPPort: p, AllowPrivateNetworks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.sched = w.newScheduler("node-1")
	w.env.Svc.AddHooks(w.sched)
	w.env.Svc.SetVerifier(w.sched)

	w.zoneA, _ = w.env.Zone(t, service.ZoneInput{Name: zone.Name, CNAMETarget: zone.CNAMETarget})
	w.zoneB, _ = w.env.Zone(t, service.ZoneInput{Name: otherZone.Name, CNAMETarget: otherZone.CNAMETarget})
	w.dns.SetA(zone.CNAMETarget, "127.0.0.1")
	w.dns.SetA(otherZone.CNAMETarget, "127.0.0.1")
	return w
}

// newScheduler returns another scheduler on the world's store and clock,
// as a second node (or a restarted one) would run.
func (w *world) newScheduler(owner string) *Scheduler {
	w.t.Helper()
	s, err := NewScheduler(SchedulerConfig{Owner: owner, CheckTimeout: 2 * time.Second}, SchedulerDeps{
		Checks:    w.env.Store.(store.Checks),
		Blocklist: w.env.Store.(store.Blocklist),
		Hostnames: w.env.Svc,
		Checker:   w.check,
		Clock:     w.env.Clock,
		Metrics:   w.m,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// create adds a hostname through the service, as the API does, and follows
// its schedule.
func (w *world) create(z core.Zone, name string) core.Hostname {
	w.t.Helper()
	h, err := w.env.Svc.CreateHostname(context.Background(), z.ID, service.HostnameInput{Hostname: name})
	if err != nil {
		w.t.Fatalf("creating %s: %v", name, err)
	}
	w.mu.Lock()
	w.follow = append(w.follow, h)
	w.mu.Unlock()
	return h
}

func (w *world) get(h core.Hostname) core.Hostname {
	w.t.Helper()
	got, err := w.env.Svc.GetHostname(context.Background(), h.ZoneID, h.ID)
	if err != nil {
		w.t.Fatalf("getting %s: %v", h.Name, err)
	}
	return got
}

func (w *world) status(h core.Hostname) core.HostnameStatus { return w.get(h).Status }

func (w *world) checkState(h core.Hostname) store.CheckState {
	w.t.Helper()
	c, err := w.env.Store.(store.Checks).GetCheck(context.Background(), h.ZoneID, h.ID)
	if err != nil {
		w.t.Fatalf("GetCheck(%s): %v", h.Name, err)
	}
	return c
}

// elapsed is the fake time since the world started.
func (w *world) elapsed() time.Duration { return w.env.Clock.Now().Sub(w.start) }

// runOnce runs what is due now.
func (w *world) runOnce() int {
	w.t.Helper()
	n, err := w.sched.RunOnce(context.Background())
	if err != nil {
		w.t.Fatalf("RunOnce: %v", err)
	}
	return n
}

// advance moves the fake clock from check to check of the followed
// hostnames until it reaches end (after the start), calling before(now)
// ahead of each round of checks so that the test can change the world.
func (w *world) advance(end time.Duration, before func(now time.Duration)) {
	w.t.Helper()
	for {
		next := w.nextDue()
		if next.IsZero() || next.After(w.start.Add(end)) {
			w.env.Clock.Set(w.start.Add(end))
			return
		}
		if next.After(w.env.Clock.Now()) {
			w.env.Clock.Set(next)
		}
		if before != nil {
			before(w.elapsed())
		}
		w.runOnce()
	}
}

// nextDue is the earliest scheduled check of the followed hostnames.
func (w *world) nextDue() time.Time {
	w.mu.Lock()
	hs := append([]core.Hostname(nil), w.follow...)
	w.mu.Unlock()
	var next time.Time
	for _, h := range hs {
		c, err := w.env.Store.(store.Checks).GetCheck(context.Background(), h.ZoneID, h.ID)
		if err != nil || c.NextCheckAt.IsZero() {
			continue
		}
		if next.IsZero() || c.NextCheckAt.Before(next) {
			next = c.NextCheckAt
		}
	}
	return next
}

// counter returns the value of a counter with the given labels, 0 if absent.
func (w *world) counter(name string, labels ...string) float64 {
	w.t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func (w *world) transitions(from, to core.HostnameStatus) int {
	return int(w.counter("portico_hostname_transitions_total", "from", string(from), "to", string(to)))
}

// audits returns the audited status changes of h as "from>to:reason".
func (w *world) audits(h core.Hostname) []string {
	var out []string
	for _, r := range w.env.Logs.Records(map[string]string{"event": service.EventHostnameStatus, "hostname_id": h.ID}) {
		reason, _ := r["reason"].(string)
		out = append(out, r["from"].(string)+">"+r["to"].(string)+":"+reason)
	}
	return out
}

func wantStatus(t *testing.T, w *world, h core.Hostname, want core.HostnameStatus) {
	t.Helper()
	if got := w.status(h); got != want {
		t.Fatalf("at +%v %s is %s, want %s (errors %q)", w.elapsed(), h.Name, got, want, w.get(h).VerificationErrors)
	}
}

// TestRefreshAnswersWithTheVerdict: a PATCH with the same ssl object runs a
// check before it answers, so the reply already says active.
func TestRefreshAnswersWithTheVerdict(t *testing.T) {
	w := newWorld(t)
	h := w.create(w.zoneA, shop)
	w.runOnce()
	wantStatus(t, w, h, core.HostnamePending)
	if errs := w.get(h).VerificationErrors; len(errs) == 0 {
		t.Error("a pending hostname checked once has no verification_errors")
	}
	w.dns.SetTXT(h.OwnershipTXTName(), h.OwnershipToken)
	w.env.Clock.Advance(20 * time.Second) // before the 1-minute check
	method := string(h.SSL.Method)
	got, err := w.env.Svc.EditHostname(context.Background(), w.zoneA.ID, h.ID,
		service.HostnamePatch{SSL: &service.SSLInput{Method: &method}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != core.HostnameActive || len(got.VerificationErrors) != 0 {
		t.Fatalf("PATCH reply: status %s, errors %q; want active without errors", got.Status, got.VerificationErrors)
	}
	c := w.checkState(h)
	if c.Attempts != 1 || !c.ScheduleStartedAt.Equal(w.env.Clock.Now()) || c.DNSStatus != "valid" || c.LastMethod != "txt" {
		t.Errorf("after the refresh: %+v", c)
	}
	v, err := w.env.Svc.HostnameVerification(context.Background(), w.zoneA.ID, h.ID)
	if err != nil || v.DNSStatus != "valid" || !v.LastCheckAt.Equal(w.env.Clock.Now()) || v.Method != "txt" {
		t.Errorf("HostnameVerification = %+v, %v", v, err)
	}
	if n := w.transitions(core.HostnamePending, core.HostnameActive); n != 1 {
		t.Errorf("pending->active counted %d times, want 1", n)
	}
	if got, want := w.audits(h), []string{"pending>active:" + ReasonProven}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("audit %q, want %q", got, want)
	}
}

// TestCheckSoon: the edge's hint checks a pending hostname at the next
// round, once per interval per hostname, without restarting its schedule.
func TestCheckSoon(t *testing.T) {
	w := newWorld(t)
	h := w.create(w.zoneA, shop)
	w.runOnce()
	w.env.Clock.Advance(30 * time.Second)
	w.dns.SetCNAME(shop, zone.CNAMETarget)
	if n := w.runOnce(); n != 0 {
		t.Fatalf("%d checks ran before one was due", n)
	}
	if !w.sched.CheckSoon(h.ZoneID, h.ID) {
		t.Fatal("first CheckSoon refused")
	}
	if w.sched.CheckSoon(h.ZoneID, h.ID) {
		t.Error("second CheckSoon within the interval accepted")
	}
	if n := w.runOnce(); n != 1 {
		t.Fatalf("%d checks ran after CheckSoon, want 1", n)
	}
	wantStatus(t, w, h, core.HostnameActive)
	if c := w.checkState(h); c.Attempts != 2 || !c.ScheduleStartedAt.Equal(w.start) {
		t.Errorf("CheckSoon restarted the schedule: %+v", c)
	}
	w.env.Clock.Advance(time.Minute)
	if !w.sched.CheckSoon(h.ZoneID, h.ID) {
		t.Error("CheckSoon refused after the interval")
	}
}

// TestLimiterBounded: the limiter remembers at most its cap of hostnames.
func TestLimiterBounded(t *testing.T) {
	l := newLimiter(time.Minute, 3)
	now := t0
	for i, want := range []bool{true, true, true, false} {
		if got := l.allow(strconv.Itoa(i), now); got != want {
			t.Errorf("key %d: allow = %v, want %v", i, got, want)
		}
	}
	if !l.allow("late", now.Add(time.Minute)) || len(l.last) != 1 {
		t.Errorf("after expiry: %d keys remembered, want 1", len(l.last))
	}
}

// TestExactlyOnce: several schedulers (nodes) share one schedule; every due
// check runs exactly once, and a scheduler started later (a restart) picks
// up where the others left off.
func TestExactlyOnce(t *testing.T) {
	w := newWorld(t)
	const n = 30
	var hs []core.Hostname
	for i := range n {
		hs = append(hs, w.create(w.zoneA, "h"+strconv.Itoa(i)+".acme-store.com"))
	}
	nodes := []*Scheduler{w.sched, w.newScheduler("node-2"), w.newScheduler("node-3")}
	var wg sync.WaitGroup
	ran := make([]int, len(nodes))
	for i, s := range nodes {
		wg.Go(func() {
			k, err := s.RunOnce(context.Background())
			if err != nil {
				t.Error(err)
			}
			ran[i] = k
		})
	}
	wg.Wait()
	if total := ran[0] + ran[1] + ran[2]; total != n {
		t.Errorf("%v checks ran on the three nodes, want %d in all", ran, n)
	}
	if got := w.counter("portico_verify_checks_total"); got != n {
		t.Errorf("portico_verify_checks_total = %v, want %d", got, n)
	}
	for _, h := range hs {
		if c := w.checkState(h); c.Attempts != 1 || !c.NextCheckAt.Equal(w.start.Add(time.Minute)) {
			t.Fatalf("%s after the first round: %+v", h.Name, c)
		}
	}
	w.sched = w.newScheduler("node-4") // "restart": a fresh scheduler, the same database
	w.env.Clock.Advance(time.Minute)
	if got := w.runOnce(); got != n {
		t.Errorf("the restarted scheduler ran %d checks, want %d", got, n)
	}
}
