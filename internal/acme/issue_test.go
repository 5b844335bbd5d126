package acme_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/acme/acmetest"
	"github.com/porticohq/portico/internal/core"
)

// Step by step, HTTP-01: each call saves exactly the next step, and the
// validation records are there once the order's authorizations are read.
func TestIssueHTTP01StepByStep(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.httpHost("shop.example.com")
	id := e.create(acme.Issuance{Identifiers: []string{"shop.example.com"}, Method: core.DCVHTTP})
	is := e.issuer(e.config())

	for _, step := range acmetest.Steps {
		before := e.get(id).Version
		if err := is.Step(t.Context(), id); err != nil {
			t.Fatalf("Step towards %s: %v", step, err)
		}
		iss := e.get(id)
		if iss.Step != step || iss.Version != before+1 {
			t.Fatalf("after Step: step %s version %d, want %s version %d", iss.Step, iss.Version, step, before+1)
		}
		if step == acme.StepAuthorized {
			if len(iss.ValidationRecords) != 1 {
				t.Fatalf("validation records %+v", iss.ValidationRecords)
			}
			r := iss.ValidationRecords[0]
			if !strings.HasPrefix(r.HTTPURL, "http://shop.example.com/.well-known/acme-challenge/") || r.HTTPBody == "" || r.Status != "pending" {
				t.Errorf("validation record %+v", r)
			}
			if iss.Step.SSLStatus() != core.SSLPendingValidation {
				t.Errorf("ssl status %s", iss.Step.SSLStatus())
			}
		}
	}
	e.checkIssued(id, "shop.example.com")
	if err := is.Step(t.Context(), id); err != nil {
		t.Errorf("Step on a done issuance: %v", err)
	}
	iss := e.get(id)
	if iss.Result.ARI == nil || !iss.Result.ARI.Valid() || iss.Result.ARICertID == "" {
		t.Errorf("no ARI window from Pebble: %+v", iss.Result)
	}
	if n := e.pub.published(); n != 0 {
		t.Errorf("%d HTTP-01 responses left published", n)
	}
	if e.pebble.Orders() != 1 || e.pebble.Finalized() != 1 || e.pebble.Accounts() != 1 {
		t.Errorf("pebble saw %d orders, %d finalizations, %d accounts; want 1 each", e.pebble.Orders(), e.pebble.Finalized(), e.pebble.Accounts())
	}
	cert := iss.Result.Certificate(iss.HostnameID, e.clk.Now())
	if cert.Source != core.SourceManaged || cert.ID != iss.ID || !cert.ExpiresOn.Equal(iss.Result.NotAfter) {
		t.Errorf("core certificate %+v", cert)
	}
}

// DNS-01 through the customer's delegated CNAME: the value is published in
// authdns only, and Pebble's resolver reaches it through the chain.
func TestIssueDNS01Delegated(t *testing.T) {
	e := newEnv(t, envOptions{})
	label := e.delegatedHost("api.example.com")
	id := e.create(acme.Issuance{Identifiers: []string{"api.example.com"}, Method: core.DCVTXT, DCVLabel: label})
	is := e.issuer(e.config())

	if err := is.Step(t.Context(), id); err != nil { // ordered
		t.Fatal(err)
	}
	if err := is.Step(t.Context(), id); err != nil { // authorized
		t.Fatal(err)
	}
	recs := e.get(id).ValidationRecords
	if len(recs) != 1 || recs[0].TXTName != "_acme-challenge.api.example.com" || recs[0].TXTValue == "" ||
		recs[0].CNAME != "_acme-challenge.api.example.com" || recs[0].CNAMETarget != label+"."+dcvZone {
		t.Fatalf("validation records %+v", recs)
	}
	if err := is.Run(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	e.checkIssued(id, "api.example.com")
	if vals, _, _ := e.recs.TXT(t.Context(), label); len(vals) != 0 {
		t.Errorf("TXT values left in the DCV zone: %v", vals)
	}
}

// A wildcard and its base in one order: two DNS-01 values under one label.
func TestIssueWildcard(t *testing.T) {
	e := newEnv(t, envOptions{})
	label := e.delegatedHost("store.example.net")
	names := []string{"*.store.example.net", "store.example.net"}
	id := e.create(acme.Issuance{Identifiers: names, Method: core.DCVTXT, DCVLabel: label})
	if err := e.issuer(e.config()).Run(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	e.checkIssued(id, names...)
	for _, a := range e.get(id).Authzs {
		if a.ChallengeType != "dns-01" {
			t.Errorf("authorization %s used %s", a.Identifier, a.ChallengeType)
		}
	}
}

// A txt hostname that already points at the edge is validated over HTTP
// (no delegation needed); after HTTP-01 fails, the next order uses DNS-01.
func TestHTTPFirstThenDNSFallback(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.httpHost("www.example.com")
	label := e.delegatedHost("www.example.com")
	id := e.create(acme.Issuance{Identifiers: []string{"www.example.com"}, Method: core.DCVTXT, DCVLabel: label, HTTPReady: true})
	is := e.issuer(e.config())

	e.pub.setBroken(true) // the edge does not answer: HTTP-01 fails
	err := is.Run(t.Context(), id)
	var pe *acme.PostponedError
	if !errors.As(err, &pe) {
		t.Fatalf("Run: %v, want postponed", err)
	}
	iss := e.get(id)
	if iss.Step != acme.StepNew || iss.Attempts != 1 || !iss.HTTPFailed || len(iss.ValidationErrors) != 1 ||
		!strings.Contains(iss.ValidationErrors[0], "www.example.com: HTTP-01 validation failed") {
		t.Fatalf("after a failed validation: step %s attempts %d http_failed %v errors %q", iss.Step, iss.Attempts, iss.HTTPFailed, iss.ValidationErrors)
	}
	if got, want := pe.Until, e.clk.Now().Add(time.Minute); !got.Equal(want) {
		t.Errorf("next attempt at %v, want %v (1 min backoff)", got, want)
	}
	if err := is.Run(t.Context(), id); !errors.Is(err, acme.ErrPostponed) {
		t.Fatalf("Run before the backoff ends: %v", err)
	}

	e.pub.setBroken(false)
	e.clk.Set(pe.Until)
	if err := is.Run(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	e.checkIssued(id, "www.example.com")
	iss = e.get(id)
	if iss.Authzs[0].ChallengeType != "dns-01" || len(iss.ValidationErrors) != 0 {
		t.Errorf("second order used %s; validation errors %q", iss.Authzs[0].ChallengeType, iss.ValidationErrors)
	}
	if e.pebble.Orders() != 2 {
		t.Errorf("%d orders, want 2", e.pebble.Orders())
	}
}

// CAA that names another CA: no order, caa_forbids, backoff. CAA that
// names Pebble (with our account) lets it issue. A CAA lookup that fails
// postpones without counting an attempt.
func TestCAA(t *testing.T) {
	e := newEnv(t, envOptions{})
	cfg := e.config()
	is := e.issuer(cfg)

	e.httpHost("a.forbidden.example")
	e.dns.SetCAA("forbidden.example", dnstestCAA("issue", "otherca.example"))
	id := e.create(acme.Issuance{Identifiers: []string{"a.forbidden.example"}})
	err := is.Run(t.Context(), id)
	if !errors.Is(err, acme.ErrPostponed) {
		t.Fatalf("Run: %v, want postponed", err)
	}
	iss := e.get(id)
	if iss.Step != acme.StepNew || iss.Attempts != 1 || len(iss.ValidationErrors) != 1 ||
		!strings.HasPrefix(iss.ValidationErrors[0], acme.ReasonCAAForbids+": ") ||
		!strings.Contains(iss.ValidationErrors[0], "forbidden.example") {
		t.Errorf("forbidden: step %s attempts %d errors %q", iss.Step, iss.Attempts, iss.ValidationErrors)
	}
	if n := e.pebble.Orders(); n != 0 {
		t.Errorf("%d orders placed although CAA forbids", n)
	}

	t.Run("servfail postpones", func(t *testing.T) {
		e.httpHost("b.broken.example")
		e.dns.SetServfail("broken.example", true)
		id := e.create(acme.Issuance{Identifiers: []string{"b.broken.example"}})
		err := is.Run(t.Context(), id)
		if !errors.Is(err, acme.ErrPostponed) {
			t.Fatalf("Run: %v, want postponed", err)
		}
		iss := e.get(id)
		if iss.Attempts != 0 || iss.Retries != 1 || len(iss.ValidationErrors) != 0 || iss.Step != acme.StepNew {
			t.Errorf("lookup failure: attempts %d retries %d errors %q", iss.Attempts, iss.Retries, iss.ValidationErrors)
		}
		if n := e.pebble.Orders(); n != 0 {
			t.Errorf("%d orders placed although CAA could not be checked", n)
		}
	})

	t.Run("our CA and account allowed", func(t *testing.T) {
		acct, err := e.accounts.GetAccount(t.Context(), "pebble", e.pebble.DirectoryURL)
		if err != nil {
			t.Fatal(err)
		}
		e.httpHost("c.allowed.example")
		e.dns.SetCAA("allowed.example", dnstestCAA("issue", "pebble.letsencrypt.org; accounturi="+acct.URL))
		id := e.create(acme.Issuance{Identifiers: []string{"c.allowed.example"}})
		if err := is.Run(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		e.checkIssued(id, "c.allowed.example")
	})
}

// The directory cannot be reached: a transient failure, retried with
// backoff, no attempt counted, nothing lost.
func TestCADown(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.httpHost("down.example.com")
	cfg := e.config()
	ca := cfg.CAs["pebble"]
	dir := ca.DirectoryURL
	ca.DirectoryURL = "https://127.0.0.1:1/dir" // nothing listens on port 1
	cfg.CAs["pebble"] = ca
	id := e.create(acme.Issuance{Identifiers: []string{"down.example.com"}})

	err := e.issuer(cfg).Run(t.Context(), id)
	var pe *acme.PostponedError
	if !errors.As(err, &pe) {
		t.Fatalf("Run: %v, want postponed", err)
	}
	iss := e.get(id)
	if iss.Step != acme.StepNew || iss.Retries != 1 || iss.Attempts != 0 || iss.LastError == "" || len(iss.ValidationErrors) != 0 {
		t.Errorf("after CA down: step %s retries %d attempts %d last error %q validation errors %q", iss.Step, iss.Retries, iss.Attempts, iss.LastError, iss.ValidationErrors)
	}
	if want := e.clk.Now().Add(time.Minute); !iss.NextAttemptAt.Equal(want) {
		t.Errorf("next attempt %v, want %v", iss.NextAttemptAt, want)
	}

	// The CA comes back (the operator's directory works again).
	ca.DirectoryURL = dir
	cfg.CAs["pebble"] = ca
	e.clk.Set(iss.NextAttemptAt)
	if err := e.issuer(cfg).Run(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	e.checkIssued(id, "down.example.com")
}

// The CA goes down in the middle of an order: the step is kept and the
// order resumed once it is back; no new order.
func TestCADownMidOrder(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.httpHost("mid.example.com")
	id := e.create(acme.Issuance{Identifiers: []string{"mid.example.com"}})
	is := e.issuer(e.config())
	for range 2 {
		if err := is.Step(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	stop := errorsOnACME(e, 503, "5")
	err := is.Run(t.Context(), id)
	var pe *acme.PostponedError
	if !errors.As(err, &pe) {
		t.Fatalf("Run: %v, want postponed", err)
	}
	iss := e.get(id)
	if iss.Step != acme.StepChallengeReady || iss.OrderURL == "" {
		t.Fatalf("after an outage: step %s", iss.Step)
	}
	if want := e.clk.Now().Add(5 * time.Second); !pe.Until.Equal(want) {
		t.Errorf("postponed until %v, want the CA's Retry-After %v", pe.Until, want)
	}
	stop()
	e.clk.Set(pe.Until)
	if err := is.Run(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	e.checkIssued(id, "mid.example.com")
	if n := e.pebble.Orders(); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}

// A rate-limited newOrder is retried at the CA's Retry-After, not before,
// with nothing counted.
func TestRateLimited(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.httpHost("busy.example.com")
	id := e.create(acme.Issuance{Identifiers: []string{"busy.example.com"}})
	is := e.issuer(e.config())
	stop := rateLimitNewOrder(e, "120")
	err := is.Run(t.Context(), id)
	var pe *acme.PostponedError
	if !errors.As(err, &pe) {
		t.Fatalf("Run: %v, want postponed", err)
	}
	if want := e.clk.Now().Add(120 * time.Second); !pe.Until.Equal(want) {
		t.Errorf("postponed until %v, want %v", pe.Until, want)
	}
	iss := e.get(id)
	if iss.Attempts != 0 || iss.Retries != 0 || len(iss.ValidationErrors) != 0 {
		t.Errorf("rate limited: attempts %d retries %d errors %q", iss.Attempts, iss.Retries, iss.ValidationErrors)
	}
	stop()
	e.clk.Advance(119 * time.Second)
	if err := is.Step(t.Context(), id); !errors.Is(err, acme.ErrPostponed) {
		t.Fatalf("Step before Retry-After: %v", err)
	}
	e.clk.Advance(time.Second)
	if err := is.Run(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	e.checkIssued(id, "busy.example.com")
}

// Pebble rejecting half of all nonces: acmez retries badNonce itself, and
// whatever escapes is a transient failure the engine retries.
func TestNonceReject50(t *testing.T) {
	e := newEnv(t, envOptions{pebble: pebbleOpts(50)})
	e.httpHost("nonce.example.com")
	id := e.create(acme.Issuance{Identifiers: []string{"nonce.example.com"}})
	e.runUntilDone(e.issuer(e.config()), id, 5)
	e.checkIssued(id, "nonce.example.com")
	if n := e.pebble.Finalized(); n != 1 {
		t.Errorf("%d certificates, want 1", n)
	}
}

// Configuration errors fail at once, with a clear message.
func TestFatal(t *testing.T) {
	e := newEnv(t, envOptions{})
	is := e.issuer(e.config())
	for _, tc := range []struct {
		name string
		iss  acme.Issuance
		msg  string
	}{
		{"unknown CA", acme.Issuance{Identifiers: []string{"x.example.com"}, CA: "google"}, "google is not configured"},
		{"wildcard without delegation", acme.Issuance{Identifiers: []string{"*.example.com"}, Method: core.DCVTXT}, "wildcard certificate needs DNS validation"},
		{"deadline passed", acme.Issuance{Identifiers: []string{"x.example.com"}, Deadline: e.clk.Now()}, "deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := e.create(tc.iss)
			err := is.Run(t.Context(), id)
			if !errors.Is(err, acme.ErrFailed) {
				t.Fatalf("Run: %v, want failed", err)
			}
			iss := e.get(id)
			if iss.Step != acme.StepFailed || len(iss.ValidationErrors) != 1 || !strings.Contains(iss.ValidationErrors[0], tc.msg) {
				t.Errorf("step %s errors %q, want one containing %q", iss.Step, iss.ValidationErrors, tc.msg)
			}
		})
	}
	if n := e.pebble.Orders(); n != 0 {
		t.Errorf("%d orders", n)
	}
}

// Cancel (hostname moved or deleted) stops an Issuance mid-way and
// withdraws its challenge responses.
func TestCancel(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.httpHost("moved.example.com")
	id := e.create(acme.Issuance{Identifiers: []string{"moved.example.com"}})
	is := e.issuer(e.config())
	for range 3 { // ordered, authorized, challenge_ready
		if err := is.Step(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	if e.pub.published() != 1 {
		t.Fatal("challenge not published")
	}
	if err := is.Cancel(t.Context(), id, "hostname moved"); err != nil {
		t.Fatal(err)
	}
	if e.pub.published() != 0 {
		t.Error("challenge still published after Cancel")
	}
	if err := is.Run(t.Context(), id); !errors.Is(err, acme.ErrFailed) {
		t.Errorf("Run after Cancel: %v", err)
	}
}

// External Account Binding, and an ARI renewal that names the certificate
// it replaces.
func TestEABAndARIRenewal(t *testing.T) {
	const kid, mac = "kid-1", "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
	o := pebbleOpts(0)
	o.EABKeys = map[string]string{kid: mac}
	e := newEnv(t, envOptions{pebble: o})
	cfg := e.config()
	ca := cfg.CAs["pebble"]
	ca.EAB = &acme.EAB{KeyID: kid, MACKey: mac}
	cfg.CAs["pebble"] = ca
	is := e.issuer(cfg)

	e.httpHost("renew.example.com")
	first := e.create(acme.Issuance{Identifiers: []string{"renew.example.com"}})
	if err := is.Run(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	leaf := e.checkIssued(first, "renew.example.com")
	old := e.get(first).Result

	start, end := e.clk.Now().Add(-time.Hour).Truncate(time.Second), e.clk.Now().Add(time.Hour).Truncate(time.Second)
	e.pebble.SetRenewalInfo(t, old.ChainPEM, start, end)
	w, err := is.RenewalInfo(t.Context(), "pebble", leaf)
	if err != nil {
		t.Fatal(err)
	}
	if w == nil || !w.Start.Equal(start) || !w.End.Equal(end) {
		t.Fatalf("renewal window %+v, want %v..%v", w, start, end)
	}
	if at := acme.RenewalTime(leaf, w, 0.5, e.clk.Now()); !at.Equal(e.clk.Now()) {
		t.Errorf("renewal time %v, want now (window midpoint is now)", at)
	}

	second := e.create(acme.Issuance{Identifiers: []string{"renew.example.com"}, HostnameID: e.get(first).HostnameID,
		Replaces: old.ARICertID, Deadline: old.NotAfter})
	if err := is.Run(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	e.checkIssued(second, "renew.example.com")
	if e.get(second).Result.SerialNumber == old.SerialNumber {
		t.Error("renewal returned the old certificate")
	}
}

// A short-lived profile (160 h, threat model B5): renewal is planned
// halfway through, not at two thirds.
func TestShortLived(t *testing.T) {
	o := pebbleOpts(0)
	o.ValidityPeriod = 160 * time.Hour
	e := newEnv(t, envOptions{pebble: o})
	e.httpHost("short.example.com")
	id := e.create(acme.Issuance{Identifiers: []string{"short.example.com"}})
	if err := e.issuer(e.config()).Run(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	leaf := e.checkIssued(id, "short.example.com")
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life < 159*time.Hour || life > 160*time.Hour {
		t.Fatalf("lifetime %v, want 160 h", life)
	}
	at := acme.RenewalTime(leaf, nil, 0.5, e.clk.Now())
	if want := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2); !at.Equal(want) {
		t.Errorf("renewal at %v, want halfway %v", at, want)
	}
}
