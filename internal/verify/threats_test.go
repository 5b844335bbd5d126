package verify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

// The threat-model rows the scheduler answers for, each run through the
// real service and store under the fake clock against the loopback DNS.

const day = 24 * time.Hour

// TestA1Unconfigured: hostnames nobody configures never activate; they are
// moved at the first check after 7 days and deleted 7 days later, with a
// bounded number of checks (at most Cloudflare's 75 while pending).
func TestA1Unconfigured(t *testing.T) {
	w := newWorld(t)
	hs := []core.Hostname{w.create(w.zoneA, "shop.nobody-1.com"), w.create(w.zoneA, "www.nobody-2.com")}
	checksWhilePending := 0
	w.advance(15*day, func(now time.Duration) {
		if now < 7*day+time.Hour {
			checksWhilePending++
		}
		if now == 7*day+time.Hour {
			for _, h := range hs {
				wantStatus(t, w, h, core.HostnamePending)
			}
		}
	})
	for _, h := range hs {
		wantStatus(t, w, h, core.HostnameDeleted)
		want := []string{"pending>moved:" + ReasonPendingExpired, "moved>deleted:" + ReasonMovedExpired}
		if got := w.audits(h); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: audit %q, want %q", h.Name, got, want)
		}
		if c := w.checkState(h); !c.NextCheckAt.IsZero() {
			t.Errorf("%s: still scheduled after deletion: %+v", h.Name, c)
		}
		if errs := w.get(h).VerificationErrors; len(errs) == 0 {
			t.Errorf("%s: no verification_errors", h.Name)
		}
	}
	if n := checksWhilePending; n > 75 {
		t.Errorf("%d check rounds while pending, want at most 75", n)
	}
	if got := w.counter("portico_verify_checks_total"); got > 2*125 {
		t.Errorf("%v checks in 15 days for 2 hostnames, want at most 250", got)
	}
	if n := w.counter("portico_hostname_transitions_total", "to", "active"); n != 0 {
		t.Errorf("%v activations", n)
	}
	if a, b := w.transitions(core.HostnamePending, core.HostnameMoved), w.transitions(core.HostnameMoved, core.HostnameDeleted); a != 2 || b != 2 {
		t.Errorf("pending->moved %d, moved->deleted %d; want 2 and 2", a, b)
	}
	// Moved at the first check after 7 days, deleted at the first after 14.
	for _, h := range hs {
		recs := w.env.Logs.Records(map[string]string{"event": service.EventHostnameStatus, "hostname_id": h.ID})
		if len(recs) != 2 {
			t.Fatalf("%d status events", len(recs))
		}
	}
}

// TestA2CrossTenant: zone B adds a customer's name that CNAMEs to zone A.
// Without B's own token B never activates; with it, B is active and A moved
// in the same check, and they do not take turns afterwards.
func TestA2CrossTenant(t *testing.T) {
	w := newWorld(t)
	w.dns.SetCNAME(shop, zone.CNAMETarget)
	a := w.create(w.zoneA, shop)
	w.runOnce()
	wantStatus(t, w, a, core.HostnameActive)

	b := w.create(w.zoneB, shop)
	// The TXT record holds A's token (another tenant's token, A9): no use to B.
	w.dns.SetTXT(a.OwnershipTXTName(), a.OwnershipToken)
	w.advance(2*day, nil)
	wantStatus(t, w, b, core.HostnamePending)
	wantStatus(t, w, a, core.HostnameActive)
	if n := w.transitions(core.HostnamePending, core.HostnameActive); n != 1 {
		t.Fatalf("%d activations, want only A's", n)
	}

	// The customer moves to B: B's token published next to A's, the CNAME
	// still at A. One check of B settles it.
	w.dns.SetTXT(a.OwnershipTXTName(), a.OwnershipToken, b.OwnershipToken)
	w.env.Clock.Set(w.checkState(b).NextCheckAt)
	w.runOnce()
	wantStatus(t, w, b, core.HostnameActive)
	wantStatus(t, w, a, core.HostnameMoved)
	if got := w.get(a).VerificationErrors; len(got) != 1 || got[0] != msgConflict {
		t.Errorf("A's verification_errors %q, want the conflict message", got)
	}

	// Both proofs stand for days: no flapping, and A is retired after 7 days.
	w.advance(10*day, nil)
	wantStatus(t, w, b, core.HostnameActive)
	wantStatus(t, w, a, core.HostnameDeleted)
	want := []string{"pending>active:" + ReasonProven, "active>moved:" + ReasonClaimed, "moved>deleted:" + ReasonMovedExpired}
	if got := w.audits(a); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("A's audit %q, want %q", got, want)
	}
	if got := w.audits(b); strings.Join(got, " ") != "pending>active:"+ReasonProven {
		t.Errorf("B's audit %q", got)
	}
}

// TestA2NewerProofWins: A was proven first; B's newer proof wins even when
// A's check runs first afterwards, and when B's proof goes, A comes back.
func TestA2NewerProofWins(t *testing.T) {
	w := newWorld(t)
	w.dns.SetCNAME(shop, zone.CNAMETarget)
	a := w.create(w.zoneA, shop)
	w.runOnce()
	w.env.Clock.Advance(time.Minute)
	b := w.create(w.zoneB, shop)
	w.dns.SetTXT(b.OwnershipTXTName(), b.OwnershipToken)
	w.runOnce()
	wantStatus(t, w, b, core.HostnameActive)
	wantStatus(t, w, a, core.HostnameMoved)
	// A refresh of A (its provider PATCHes) proves A again, but A's proof
	// is older: A stays moved.
	if err := w.sched.CheckNow(context.Background(), a.ZoneID, a.ID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, w, a, core.HostnameMoved)
	// The customer swaps B's token for a CNAME to B: B's proof never
	// lapses, so B stays; A's lapses.
	w.dns.Delete(b.OwnershipTXTName(), dns.TypeTXT)
	w.dns.SetCNAME(shop, otherZone.CNAMETarget)
	w.advance(w.elapsed()+4*time.Hour, nil)
	wantStatus(t, w, b, core.HostnameActive)
	wantStatus(t, w, a, core.HostnameMoved)
	if c := w.checkState(a); !c.ProvenSince.IsZero() {
		t.Errorf("A's lapsed proof still counts from %v", c.ProvenSince)
	}
	// Then back to A: A's proof is the newer one, A is active, B moved.
	w.dns.SetCNAME(shop, zone.CNAMETarget)
	w.advance(w.elapsed()+4*time.Hour, nil)
	wantStatus(t, w, a, core.HostnameActive)
	wantStatus(t, w, b, core.HostnameMoved)
}

// TestA5CustomerLeaves: the customer points the name elsewhere: moved at
// the next check (the certificate stops renewing), active again as soon as
// DNS returns, and when it leaves for good, deleted 7 days after moving,
// with its certificates and keys purged.
func TestA5CustomerLeaves(t *testing.T) {
	w := newWorld(t)
	certPEM, keyPEM := w.env.CA.Issue(t, "ecdsa", shop)
	h, err := w.env.Svc.CreateHostname(context.Background(), w.zoneA.ID, service.HostnameInput{Hostname: shop,
		SSL: &service.SSLInput{CustomCertificates: []service.CertKeyPair{{Certificate: certPEM, Key: keyPEM}}}})
	if err != nil {
		t.Fatal(err)
	}
	w.follow = append(w.follow, h)
	w.dns.SetCNAME(shop, zone.CNAMETarget)
	w.runOnce()
	wantStatus(t, w, h, core.HostnameActive)

	leave := func() {
		w.dns.SetCNAME(shop, "shop.other-saas.net")
		w.dns.SetA("shop.other-saas.net", "127.0.0.99")
	}
	leave()
	checks := w.counter("portico_verify_checks_total")
	w.advance(w.elapsed()+3*time.Hour, nil)
	wantStatus(t, w, h, core.HostnameMoved)
	if n := w.counter("portico_verify_checks_total") - checks; n > 3 {
		t.Errorf("moved after %v checks, want at most 3", n)
	}
	w.dns.SetCNAME(shop, zone.CNAMETarget) // DNS returns
	w.advance(w.elapsed()+3*time.Hour, nil)
	wantStatus(t, w, h, core.HostnameActive)

	leave()
	w.advance(w.elapsed()+3*time.Hour, nil)
	wantStatus(t, w, h, core.HostnameMoved)
	movedAt := w.checkState(h).MovedSince
	w.advance(w.elapsed()+7*day-time.Hour, nil)
	wantStatus(t, w, h, core.HostnameMoved)
	w.advance(w.elapsed()+4*time.Hour, nil)
	wantStatus(t, w, h, core.HostnameDeleted)
	got := w.get(h)
	if len(got.SSL.Certificates) != 0 || got.SSL.Status != core.SSLDeleted {
		t.Errorf("deleted hostname keeps %d certificates, ssl %s; want 0, deleted", len(got.SSL.Certificates), got.SSL.Status)
	}
	if ev := w.env.Logs.Records(map[string]string{"event": service.EventCertificateDeleted, "hostname_id": h.ID}); len(ev) != 1 {
		t.Errorf("%d certificate_deleted audit events, want 1", len(ev))
	}
	if d := w.env.Clock.Now().Sub(movedAt); d < 7*day || d > 7*day+3*time.Hour {
		t.Errorf("deleted %v after moving, want 7 days (+ one interval)", d)
	}
	// A refresh brings a deleted hostname back to pending, as on Cloudflare.
	method := string(got.SSL.Method)
	back, err := w.env.Svc.EditHostname(context.Background(), h.ZoneID, h.ID, service.HostnamePatch{SSL: &service.SSLInput{Method: &method}})
	if err != nil || back.Status != core.HostnamePending {
		t.Fatalf("refresh of a deleted hostname: %s, %v", back.Status, err)
	}
}

// TestA6DNSOutage: SERVFAIL, REFUSED and timeouts for 48 fake hours change
// nothing, whatever the status; the customer sees "could not check".
func TestA6DNSOutage(t *testing.T) {
	w := newWorld(t)
	w.dns.SetCNAME(shop, zone.CNAMETarget)
	active := w.create(w.zoneA, shop)
	w.runOnce()
	wantStatus(t, w, active, core.HostnameActive)
	pending := w.create(w.zoneA, "www.acme-store.com")
	w.advance(time.Hour, nil)
	names := []string{shop, active.OwnershipTXTName(), "www.acme-store.com", pending.OwnershipTXTName()}
	base := w.counter("portico_hostname_transitions_total")
	w.advance(49*time.Hour, func(now time.Duration) {
		rcode, delay := dns.RcodeServerFailure, time.Duration(0)
		switch {
		case now >= 25*time.Hour && now < 46*time.Hour:
			rcode = dns.RcodeRefused
		case now >= 46*time.Hour: // the resolver times out
			rcode, delay = dns.RcodeSuccess, 5*testTimeout
		}
		for _, n := range names {
			w.dns.SetRcode(n, rcode)
			w.dns.SetDelay(n, delay)
		}
	})
	if n := w.counter("portico_hostname_transitions_total") - base; n != 0 {
		t.Errorf("%v transitions during the outage", n)
	}
	if n := w.counter("portico_verify_checks_total", "outcome", "unknown"); n < 30 {
		t.Errorf("%v unknown checks: the outage was not seen", n)
	}
	wantStatus(t, w, active, core.HostnameActive)
	wantStatus(t, w, pending, core.HostnamePending)
	for _, h := range []core.Hostname{active, pending} {
		if c := w.checkState(h); c.DNSStatus != string(DNSPending) {
			t.Errorf("%s: dns status %q, want pending (could not check)", h.Name, c.DNSStatus)
		}
		if errs := strings.Join(w.get(h).VerificationErrors, " "); !strings.Contains(errs, "could not check") {
			t.Errorf("%s: verification_errors %q do not say the check could not be done", h.Name, errs)
		}
	}
}
