package verify

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/porticohq/portico/internal/core"
)

// The lifecycle tests drive NextCheck, Check and Decide the way the
// scheduler will, under the fake clock, against the real loopback DNS.

type transition struct {
	At       time.Duration // after t0
	From, To core.HostnameStatus
}

type sim struct {
	t                        *testing.T
	f                        *fixture
	h                        core.Hostname
	start, last              time.Time
	attempt                  int
	pendingSince, movedSince time.Time
	checks                   map[core.HostnameStatus]int
	outcomes                 map[Outcome]int
	log                      []transition
}

func newSim(t *testing.T, status core.HostnameStatus) *sim {
	f := newFixture(t, nil)
	h := hostname(shop, shopToken)
	h.Status = status
	s := &sim{t: t, f: f, h: h, start: t0, checks: map[core.HostnameStatus]int{}, outcomes: map[Outcome]int{}}
	switch status {
	case core.HostnamePending:
		s.pendingSince = t0
	case core.HostnameMoved:
		s.movedSince = t0
	}
	return s
}

// run checks until the fake clock passes end or nothing is scheduled;
// before each check, world(now) sets the DNS the check will see.
func (s *sim) run(end time.Duration, world func(now time.Duration)) {
	s.t.Helper()
	for {
		next := NextCheck(s.start, s.last, s.attempt, s.h.Status)
		if next.IsZero() || next.After(t0.Add(end)) {
			return
		}
		s.f.clock.Set(next)
		world(next.Sub(t0))
		r := s.f.checker.Check(context.Background(), zone, s.h)
		s.last, s.attempt = r.CheckedAt, s.attempt+1
		s.checks[s.h.Status]++
		s.outcomes[r.Outcome]++
		d := Decide(s.h.Status, r, s.pendingSince, s.movedSince, next)
		if !d.Changed {
			continue
		}
		if err := core.CheckHostnameTransition(s.h.Status, d.Status); err != nil {
			s.t.Fatalf("at %s: %v", next.Sub(t0), err)
		}
		s.log = append(s.log, transition{next.Sub(t0), s.h.Status, d.Status})
		if d.Status == core.HostnameMoved {
			s.movedSince = next
		}
		s.h.Status = d.Status
	}
}

const hour = time.Hour

// servfailAll makes every name the check asks about fail.
func servfailAll(f *fixture, on bool) {
	for _, n := range []string{shop, shopTXT} {
		f.dns.SetServfail(n, on)
	}
}

// TestLifecycleUnproven: nobody ever publishes anything (threat A1). Moved
// at the first check after 7 days, deleted at the first after 7 more; 65
// checks while pending (Cloudflare's budget is 75).
func TestLifecycleUnproven(t *testing.T) {
	s := newSim(t, core.HostnamePending)
	s.run(20*24*hour, func(time.Duration) {})
	want := []transition{
		{169 * hour, core.HostnamePending, core.HostnameMoved}, // 7 days + the 1 h offset of the 3-hourly rhythm
		{337 * hour, core.HostnameMoved, core.HostnameDeleted}, // 7 more days
	}
	if diff := cmp.Diff(want, s.log); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if n := s.checks[core.HostnamePending]; n != 65 {
		t.Errorf("%d checks while pending, want 65", n)
	}
	if n := s.checks[core.HostnameDeleted]; n != 0 {
		t.Errorf("%d checks after deletion", n)
	}
}

// TestLifecycleProvenEarly: the customer adds the CNAME 7 minutes in; the
// 10-minute check activates the hostname.
func TestLifecycleProvenEarly(t *testing.T) {
	s := newSim(t, core.HostnamePending)
	s.run(hour, func(now time.Duration) {
		if now >= 7*time.Minute {
			s.f.dns.SetCNAME(shop, zone.CNAMETarget)
		}
	})
	want := []transition{{10 * time.Minute, core.HostnamePending, core.HostnameActive}}
	if diff := cmp.Diff(want, s.log); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
}

// TestLifecycleOutageActive: an active hostname's DNS fails for 48 hours,
// SERVFAIL then REFUSED then timeouts (threats A6, F7): no transition. When
// the customer then really leaves, it is moved at the next check (A5).
func TestLifecycleOutageActive(t *testing.T) {
	s := newSim(t, core.HostnameActive)
	s.f.dns.SetCNAME(shop, zone.CNAMETarget)
	s.run(5*24*hour, func(now time.Duration) {
		rcode, delay := dns.RcodeSuccess, time.Duration(0)
		switch {
		case now >= 24*hour && now < 48*hour:
			rcode = dns.RcodeServerFailure
		case now >= 48*hour && now < 69*hour:
			rcode = dns.RcodeRefused
		case now == 69*hour: // one check that times out: each costs the query timeouts
			delay = 5 * time.Second
		}
		for _, n := range []string{shop, shopTXT} {
			s.f.dns.SetRcode(n, rcode)
			s.f.dns.SetDelay(n, delay)
		}
		if now >= 96*hour {
			s.f.dns.SetCNAME(shop, "shop.other-saas.net")
			s.f.dns.SetA("shop.other-saas.net", "127.0.0.99")
		}
	})
	want := []transition{{96 * hour, core.HostnameActive, core.HostnameMoved}}
	if n := s.outcomes[Unknown]; n != 16 { // 24 h to 69 h, every 3 h
		t.Errorf("%d unknown checks, want 16: the outage was not seen", n)
	}
	if diff := cmp.Diff(want, s.log); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
}

// TestLifecycleOutageAcrossDeadlines: the DNS fails across the 7-day and
// 14-day deadlines; nothing moves until a check gets a real answer.
func TestLifecycleOutageAcrossDeadlines(t *testing.T) {
	s := newSim(t, core.HostnamePending)
	outage := func(now time.Duration) bool {
		return now >= 6*24*hour && now < 8*24*hour || now >= 13*24*hour && now < 16*24*hour
	}
	s.run(20*24*hour, func(now time.Duration) { servfailAll(s.f, outage(now)) })
	if n := s.outcomes[Unknown]; n != 40 { // 16 checks in 48 h, 24 in 72 h
		t.Errorf("%d unknown checks, want 40: the outage was not seen", n)
	}
	want := []transition{
		{8*24*hour + hour, core.HostnamePending, core.HostnameMoved},
		{16*24*hour + hour, core.HostnameMoved, core.HostnameDeleted},
	}
	if diff := cmp.Diff(want, s.log); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
}

// TestLifecycleMovedReturns: a moved hostname whose customer re-publishes
// the TXT record comes back to active.
func TestLifecycleMovedReturns(t *testing.T) {
	s := newSim(t, core.HostnameMoved)
	s.run(3*24*hour, func(now time.Duration) {
		if now >= 24*hour {
			s.f.dns.SetTXT(shopTXT, shopToken)
		}
	})
	want := []transition{{24 * hour, core.HostnameMoved, core.HostnameActive}}
	if diff := cmp.Diff(want, s.log); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
}
