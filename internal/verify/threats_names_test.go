package verify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

// TestA9NearMissTokens: over the early checks the customer publishes every
// near miss of the token; none activates; the exact token does.
func TestA9NearMissTokens(t *testing.T) {
	w := newWorld(t)
	h := w.create(w.zoneA, shop)
	other := w.create(w.zoneB, "www.acme-store.com")
	tok := h.OwnershipToken
	misses := []string{
		"x" + tok, tok + "x", strings.ToUpper(tok), " " + tok, tok + " ", tok[:len(tok)-1],
		other.OwnershipToken, "",
	}
	i := 0
	w.advance(time.Hour, func(time.Duration) {
		if i < len(misses) {
			w.dns.SetTXT(h.OwnershipTXTName(), misses[i])
			i++
		}
	})
	if i != len(misses) {
		t.Fatalf("only %d of %d near misses were checked", i, len(misses))
	}
	wantStatus(t, w, h, core.HostnamePending)
	w.dns.SetTXTStrings(h.OwnershipTXTName(), []string{tok[:10], tok[10:]}) // one record, two strings
	w.advance(w.elapsed()+3*time.Hour, nil)
	wantStatus(t, w, h, core.HostnameActive)
}

// TestA12Blocklist: a blocked name and its subtree are refused at create,
// in any spelling; existing hostnames under it are blocked at once (the
// block makes them due), lose their certificates, and stay blocked: no
// more checks, no refresh, not even after the entry is removed.
func TestA12Blocklist(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const brand = "example-brand.com"
	w.dns.SetCNAME("www."+brand, zone.CNAMETarget)
	certPEM, keyPEM := w.env.CA.Issue(t, "ecdsa", "www."+brand)
	www, err := w.env.Svc.CreateHostname(ctx, w.zoneA.ID, service.HostnameInput{Hostname: "www." + brand,
		SSL: &service.SSLInput{CustomCertificates: []service.CertKeyPair{{Certificate: certPEM, Key: keyPEM}}}})
	if err != nil {
		t.Fatal(err)
	}
	w.follow = append(w.follow, www)
	pending := w.create(w.zoneB, "shop."+brand)
	unrelated := w.create(w.zoneA, "not"+brand)
	w.runOnce()
	wantStatus(t, w, www, core.HostnameActive)

	w.env.Clock.Advance(10 * time.Minute)
	w.runOnce() // what is due anyway
	res, err := w.env.Svc.BlockName(ctx, "Example-Brand.COM")
	if err != nil || res.Name != brand || !res.Added || res.Rescheduled != 2 {
		t.Fatalf("BlockName = %+v, %v; want %s added, 2 rescheduled", res, err, brand)
	}
	if n := w.runOnce(); n != 2 {
		t.Errorf("%d checks ran after the block, want the 2 covered hostnames", n)
	}
	wantStatus(t, w, www, core.HostnameBlocked)
	wantStatus(t, w, pending, core.HostnameBlocked)
	wantStatus(t, w, unrelated, core.HostnamePending)
	got := w.get(www)
	if len(got.SSL.Certificates) != 0 || got.SSL.Status != core.SSLDeleted {
		t.Errorf("blocked hostname keeps %d certificates, ssl %s", len(got.SSL.Certificates), got.SSL.Status)
	}
	if errs := got.VerificationErrors; len(errs) != 1 || errs[0] != msgBlocked {
		t.Errorf("verification_errors %q", errs)
	}
	if n := w.counter("portico_verify_checks_total", "outcome", outcomeBlocked); n != 2 {
		t.Errorf("%v blocked outcomes, want 2", n)
	}
	if got := w.audits(www); strings.Join(got, " ") != "pending>active:"+ReasonProven+" active>blocked:"+ReasonBlocked {
		t.Errorf("audit %q", got)
	}

	for _, name := range []string{brand, "EXAMPLE-brand.com", "shop2." + brand, "*." + brand, "a.b.Example-Brand.com"} {
		_, err := w.env.Svc.CreateHostname(ctx, w.zoneA.ID, service.HostnameInput{Hostname: name})
		if e := core.AsError(err); e.Kind != core.KindInvalid || e.Reason != service.ReasonHostnameBlocked ||
			!strings.Contains(e.Public, "blocked") {
			t.Errorf("create %q: %v, want %s", name, err, service.ReasonHostnameBlocked)
		}
	}

	// Final: no retry, no refresh, and removing the entry lifts nothing.
	before := w.checkState(www)
	w.advance(w.elapsed()+3*day, nil)
	if after := w.checkState(www); after.Attempts != before.Attempts || !after.LastCheckAt.Equal(before.LastCheckAt) {
		t.Errorf("a blocked hostname was checked again: %+v, then %+v", before, after)
	}
	if c := w.checkState(www); !c.NextCheckAt.IsZero() {
		t.Errorf("a blocked hostname is still scheduled: %+v", c)
	}
	if _, err := w.env.Svc.UnblockName(ctx, brand); err != nil {
		t.Fatal(err)
	}
	method := "http"
	if h, err := w.env.Svc.EditHostname(ctx, www.ZoneID, www.ID, service.HostnamePatch{SSL: &service.SSLInput{Method: &method}}); err == nil {
		if h.Status != core.HostnameBlocked {
			t.Errorf("refresh of a blocked hostname made it %s", h.Status)
		}
	}
	w.advance(w.elapsed()+day, nil)
	wantStatus(t, w, www, core.HostnameBlocked)
	wantStatus(t, w, pending, core.HostnameBlocked)
	if _, err := w.env.Svc.CreateHostname(ctx, w.zoneA.ID, service.HostnameInput{Hostname: "new." + brand}); err != nil {
		t.Errorf("create after unblocking: %v", err)
	}
}

// TestA13SpellingVariants: one row per canonical name, whatever the
// spelling; the blocklist keeps one entry per name too.
func TestA13SpellingVariants(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	first := w.create(w.zoneA, "Shop.Acme-Store.com")
	if first.Name != shop {
		t.Fatalf("stored as %q", first.Name)
	}
	for _, v := range []string{"shop.acme-store.com", "SHOP.ACME-STORE.COM", "sHoP.aCmE-sToRe.CoM"} {
		_, err := w.env.Svc.CreateHostname(ctx, w.zoneA.ID, service.HostnameInput{Hostname: v})
		if e := core.AsError(err); e.Reason != service.ReasonDuplicateHostname {
			t.Errorf("create %q: %v, want duplicate", v, err)
		}
	}
	idn := w.create(w.zoneA, "xn--bcher-kva.acme-store.com")
	_, err := w.env.Svc.CreateHostname(ctx, w.zoneA.ID, service.HostnameInput{Hostname: "XN--BCHER-KVA.acme-store.com"})
	if e := core.AsError(err); e.Reason != service.ReasonDuplicateHostname {
		t.Errorf("create of the upper-case A-label: %v, want duplicate", err)
	}
	if n := w.env.Count(t, w.zoneA.ID); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
	w.runOnce()
	for _, h := range []core.Hostname{first, idn} {
		if c := w.checkState(h); c.Attempts != 1 {
			t.Errorf("%s: %d checks, want 1 (one schedule row)", h.Name, c.Attempts)
		}
	}
	for i, v := range []string{"Example-Brand.com", "example-brand.com", "EXAMPLE-BRAND.COM"} {
		res, err := w.env.Svc.BlockName(ctx, v)
		if err != nil || res.Name != "example-brand.com" || res.Added != (i == 0) {
			t.Errorf("BlockName(%q) = %+v, %v", v, res, err)
		}
	}
	if list, err := w.env.Svc.ListBlocks(ctx); err != nil || len(list) != 1 {
		t.Errorf("ListBlocks = %+v, %v; want one entry", list, err)
	}
}
