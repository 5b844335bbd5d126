package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// testIssuances checks store.Issuances, which every store implements next
// to store.Store: the contracts of acme.OrderStore and acme.AccountStore
// and the rules written on store.Issuances.
func testIssuances(t *testing.T, open opener) {
	t.Run("RoundTrip", func(t *testing.T) { testIssuanceRoundTrip(t, open) })
	t.Run("Create", func(t *testing.T) { testIssuanceCreate(t, open) })
	t.Run("SaveCAS", func(t *testing.T) { testIssuanceCAS(t, open) })
	t.Run("Due", func(t *testing.T) { testIssuancesDue(t, open) })
	t.Run("ClaimAndRelease", func(t *testing.T) { testIssuanceClaim(t, open) })
	t.Run("ConcurrentClaims", func(t *testing.T) { testIssuanceConcurrentClaims(t, open) })
	t.Run("DoneCommitsCertificate", func(t *testing.T) { testIssuanceDone(t, open) })
	t.Run("HostnameIssuances", func(t *testing.T) { testHostnameIssuances(t, open) })
	t.Run("HostnameDelete", func(t *testing.T) { testIssuanceHostnameDelete(t, open) })
	t.Run("HTTPChallenges", func(t *testing.T) { testHTTPChallenges(t, open) })
	t.Run("DCVValues", func(t *testing.T) { testDCVValues(t, open) })
	t.Run("DCVLabel", func(t *testing.T) { testDCVLabel(t, open) })
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open) })
}

// newIssuance returns a first-issuance record of h at step new, due at due.
func newIssuance(h core.Hostname, due time.Time) acme.Issuance {
	return acme.Issuance{
		ID: ident.UUID(), ZoneID: h.ZoneID, HostnameID: h.ID,
		Identifiers: []string{h.Name}, Method: core.DCVHTTP, CA: "lets_encrypt",
		Step: acme.StepNew, NextAttemptAt: due, CreatedAt: base, UpdatedAt: base,
	}
}

// fullIssuance returns a record of h with every field set to something
// that tests its encoding: quotes, non-ASCII, bytes that are not UTF-8,
// nested values, nanosecond times inside the result.
func fullIssuance(h core.Hostname) acme.Issuance {
	return acme.Issuance{
		ID: ident.UUID(), ZoneID: h.ZoneID, HostnameID: h.ID,
		Identifiers: []string{h.Name, "*." + h.Name},
		Method:      core.DCVTXT,
		HTTPReady:   true,
		DCVLabel:    h.SSL.DCVLabel,
		CA:          "google",
		Replaces:    "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
		Deadline:    base.Add(30 * 24 * time.Hour),
		Step:        acme.StepDownloaded,
		AccountURL:  "https://ca.example/acct/1",
		OrderURL:    "https://ca.example/order/1",
		FinalizeURL: "https://ca.example/order/1/finalize",
		CertURL:     "https://ca.example/cert/1",
		Authzs: []acme.Authz{
			{URL: "https://ca.example/authz/1", Identifier: h.Name, Status: "valid", ChallengeType: "http-01",
				ChallengeURL: "https://ca.example/chall/1", Token: "tok-1", KeyAuth: "tok-1.thumb"},
			{URL: "https://ca.example/authz/2", Identifier: "*." + h.Name, Status: "pending", ChallengeType: "dns-01",
				ChallengeURL: "https://ca.example/chall/2", Token: "tok-2", KeyAuth: "tok-2.thumb", TXTValue: "txt-välue"},
			{URL: "https://ca.example/authz/3", Identifier: "valid.example", Status: "valid"},
		},
		KeyCiphertext: []byte{0, 1, 2, 0xfe, 0xff, 0, 0x80},
		Result: &acme.Result{
			ChainPEM:          []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
			KeyCiphertext:     []byte{0xff, 0, 0xc3, 0x28},
			Issuer:            `Test "CA" ünïcode`,
			SerialNumber:      "123456789012345678901234567890",
			Signature:         "ECDSAWithSHA384",
			FingerprintSHA256: "ab12cd34",
			Hosts:             []string{h.Name, "*." + h.Name},
			NotBefore:         base.Add(-time.Hour + 7), // certificate times keep nanoseconds
			NotAfter:          base.Add(90*24*time.Hour + 9),
			ARICertID:         "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyF",
			ARI: &acme.Window{
				Start: base.Add(60 * 24 * time.Hour), End: base.Add(62 * 24 * time.Hour),
				ExplanationURL: "https://ca.example/why", RetryAfter: base.Add(6 * time.Hour),
			},
		},
		Attempts:         3,
		Retries:          2,
		NextAttemptAt:    base.Add(time.Minute),
		LastError:        `order: "invalid" ü`,
		ValidationErrors: []string{"CAA forbids google", `a "quoted" one`},
		ValidationRecords: []core.ValidationRecord{
			{TXTName: "_acme-challenge." + h.Name, TXTValue: "txt-välue", Status: "pending"},
			{HTTPURL: "http://" + h.Name + "/.well-known/acme-challenge/tok-1", HTTPBody: "tok-1.thumb",
				Emails: []string{"admin@" + h.Name}},
		},
		HTTPFailed: true,
		CreatedAt:  base,
		UpdatedAt:  base.Add(1500 * time.Microsecond),
	}
}

func createIssuance(t *testing.T, is store.Issuances, iss acme.Issuance) acme.Issuance {
	t.Helper()
	if err := is.CreateIssuance(ctx(t), &iss); err != nil {
		t.Fatalf("CreateIssuance(%s): %v", iss.ID, err)
	}
	if iss.Version != 1 {
		t.Fatalf("CreateIssuance set version %d, want 1", iss.Version)
	}
	return iss
}

func getIssuance(t *testing.T, is store.Issuances, id string) acme.Issuance {
	t.Helper()
	iss, err := is.GetIssuance(ctx(t), id)
	if err != nil {
		t.Fatalf("GetIssuance(%s): %v", id, err)
	}
	return iss
}

func saveIssuance(t *testing.T, is store.Issuances, iss *acme.Issuance) {
	t.Helper()
	v := iss.Version
	if err := is.SaveIssuance(ctx(t), iss); err != nil {
		t.Fatalf("SaveIssuance(%s at %d): %v", iss.ID, v, err)
	}
	if iss.Version != v+1 {
		t.Fatalf("SaveIssuance set version %d, want %d", iss.Version, v+1)
	}
}

func ids(recs []acme.Issuance) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func testIssuanceRoundTrip(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, fullHostname(z.ID, "roundtrip.customer.example"))

	full := fullIssuance(h)
	full.Step = acme.StepOrdered // live, so that it can be saved to anything
	got := createIssuance(t, is, full.Clone())
	full.Version = 1
	diff(t, "created, every field", full, getIssuance(t, is, full.ID))

	// Values are copied: changing what was passed in or read changes
	// nothing stored.
	got.Identifiers[0] = "changed.example"
	got.Authzs[0].Token = "changed"
	got.Result.Hosts[0] = "changed.example"
	diff(t, "after changing the caller's copy", full, getIssuance(t, is, full.ID))

	t.Run("save writes every field", func(t *testing.T) {
		u := getIssuance(t, is, full.ID)
		u.Identifiers = []string{"other." + h.Name}
		u.Method, u.HTTPReady, u.DCVLabel, u.CA, u.Replaces = core.DCVHTTP, false, "", "ssl_com", ""
		u.Deadline = time.Time{}
		u.Step = acme.StepFinalizing
		u.AccountURL, u.OrderURL, u.FinalizeURL, u.CertURL = "a", "o", "f", "c"
		u.Authzs = u.Authzs[:1]
		u.KeyCiphertext = []byte("another key")
		u.Result.ARI = nil
		u.Attempts, u.Retries = 4, 0
		u.NextAttemptAt = time.Time{} // due at once
		u.LastError, u.ValidationErrors, u.ValidationRecords, u.HTTPFailed = "", nil, nil, false
		u.UpdatedAt = base.Add(time.Hour)
		saveIssuance(t, is, &u)
		diff(t, "after SaveIssuance", u, getIssuance(t, is, full.ID))
	})
	t.Run("save clears the result", func(t *testing.T) {
		u := getIssuance(t, is, full.ID)
		u.Result, u.KeyCiphertext, u.Authzs, u.Identifiers = nil, nil, nil, nil
		saveIssuance(t, is, &u)
		got := getIssuance(t, is, full.ID)
		if got.Result != nil {
			t.Errorf("result = %+v after saving nil", got.Result)
		}
		diff(t, "after clearing", u, got)
	})
	t.Run("minimal", func(t *testing.T) {
		// Zero times and empty lists stay zero and empty.
		other := createHostname(t, s, minimalHostname(z.ID, "minimal.customer.example"))
		m := acme.Issuance{ID: ident.UUID(), ZoneID: z.ID, HostnameID: other.ID, Step: acme.StepNew}
		m = createIssuance(t, is, m)
		got := getIssuance(t, is, m.ID)
		diff(t, "minimal record", m, got)
		if !got.NextAttemptAt.IsZero() || !got.Deadline.IsZero() || !got.CreatedAt.IsZero() || got.Result != nil {
			t.Errorf("zero values came back as %v / %v / %v / %v", got.NextAttemptAt, got.Deadline, got.CreatedAt, got.Result)
		}
	})
}

func testIssuanceCreate(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	other := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "create.customer.example"))

	first := createIssuance(t, is, newIssuance(h, base))
	t.Run("refusals", func(t *testing.T) {
		dupID := newIssuance(h, base)
		dupID.ID = first.ID
		dupID.Step = acme.StepFailed // not live: only the id conflicts
		wrongZone := newIssuance(h, base)
		wrongZone.ZoneID = other.ID
		for _, tc := range []struct {
			name string
			iss  acme.Issuance
			err  error
		}{
			{"duplicate id", dupID, acme.ErrConflict},
			{"second live record", newIssuance(h, base), acme.ErrConflict},
			{"second live record at another step", func() acme.Issuance {
				i := newIssuance(h, base)
				i.Step = acme.StepChallengeReady
				return i
			}(), acme.ErrConflict},
			{"unknown hostname", func() acme.Issuance { i := newIssuance(h, base); i.HostnameID = ident.UUID(); return i }(), acme.ErrNotFound},
			{"hostname of another zone", wrongZone, acme.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				iss := tc.iss
				wantErr(t, "CreateIssuance", is.CreateIssuance(ctx(t), &iss), tc.err)
				if iss.Version != 0 {
					t.Errorf("a refused create set version %d", iss.Version)
				}
			})
		}
		withVersion := newIssuance(h, base)
		withVersion.Version = 3
		if err := is.CreateIssuance(ctx(t), &withVersion); err == nil {
			t.Error("CreateIssuance accepted a record with a version")
		}
		recs, err := is.HostnameIssuances(ctx(t), z.ID, h.ID, 0)
		wantErr(t, "HostnameIssuances", err, nil)
		diff(t, "records after refusals", []string{first.ID}, ids(recs))
	})
	t.Run("terminal records do not count", func(t *testing.T) {
		failed := newIssuance(h, base)
		failed.Step = acme.StepFailed
		createIssuance(t, is, failed)
		done := newIssuance(h, base)
		done.Step = acme.StepDone
		done.Result = &acme.Result{CertificateID: done.ID}
		createIssuance(t, is, done)

		// The live one fails; a new live one may then be created.
		cur := getIssuance(t, is, first.ID)
		cur.Step = acme.StepFailed
		saveIssuance(t, is, &cur)
		second := createIssuance(t, is, newIssuance(h, base))

		// Bringing the failed one back to life while second lives is a
		// conflict, and changes nothing.
		cur.Step = acme.StepNew
		wantErr(t, "SaveIssuance reviving a second live record", is.SaveIssuance(ctx(t), &cur), acme.ErrConflict)
		if got := getIssuance(t, is, first.ID); got.Step != acme.StepFailed || got.Version != cur.Version {
			t.Errorf("refused save changed the record: step %s, version %d", got.Step, got.Version)
		}
		second.Step = acme.StepDone
		second.Result = &acme.Result{CertificateID: second.ID, ChainPEM: []byte("x"), KeyCiphertext: []byte("k")}
		saveIssuance(t, is, &second)
		saveIssuance(t, is, &cur) // now it may live again
	})
	t.Run("racing creators get one record", func(t *testing.T) {
		h := createHostname(t, s, minimalHostname(z.ID, "race.customer.example"))
		const n = 8
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				iss := newIssuance(h, base)
				errs <- is.CreateIssuance(ctx(t), &iss)
			})
		}
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, acme.ErrConflict):
				t.Errorf("racing CreateIssuance: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d racing creates succeeded, want 1", won, n)
		}
	})
}

func testIssuanceCAS(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "cas.customer.example"))
	iss := createIssuance(t, is, newIssuance(h, base))

	wantErr(t, "GetIssuance of an unknown id", func() error { _, err := is.GetIssuance(ctx(t), ident.UUID()); return err }(), acme.ErrNotFound)

	stale := getIssuance(t, is, iss.ID)
	cur := stale
	cur.Step = acme.StepOrdered
	saveIssuance(t, is, &cur)

	stale.Step = acme.StepFailed
	wantErr(t, "stale SaveIssuance", is.SaveIssuance(ctx(t), &stale), acme.ErrStale)
	if stale.Version != 1 {
		t.Errorf("a stale save set version %d", stale.Version)
	}
	future := cur
	future.Version += 5
	wantErr(t, "SaveIssuance at a future version", is.SaveIssuance(ctx(t), &future), acme.ErrStale)
	diff(t, "after refused saves", cur, getIssuance(t, is, iss.ID))

	missing := cur
	missing.ID = ident.UUID()
	wantErr(t, "SaveIssuance of an unknown id", is.SaveIssuance(ctx(t), &missing), acme.ErrNotFound)
	moved := cur
	moved.HostnameID = createHostname(t, s, minimalHostname(z.ID, "cas-other.customer.example")).ID
	wantErr(t, "SaveIssuance under another hostname", is.SaveIssuance(ctx(t), &moved), acme.ErrNotFound)

	t.Run("one winner per version", func(t *testing.T) {
		base := getIssuance(t, is, iss.ID)
		const n = 8
		wins := make(chan acme.Issuance, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c := base.Clone()
				c.LastError = fmt.Sprintf("writer %d", i)
				err := is.SaveIssuance(ctx(t), &c)
				switch {
				case err == nil:
					wins <- c
				case !errors.Is(err, acme.ErrStale):
					t.Errorf("concurrent SaveIssuance: %v", err)
				}
			})
		}
		wg.Wait()
		close(wins)
		var won []acme.Issuance
		for w := range wins {
			won = append(won, w)
		}
		if len(won) != 1 {
			t.Fatalf("%d concurrent saves of one version won, want 1", len(won))
		}
		diff(t, "the winner's record", won[0], getIssuance(t, is, iss.ID))
	})
}

func testIssuancesDue(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	at := func(i int, due time.Time, step acme.Step) acme.Issuance {
		h := createHostname(t, s, minimalHostname(z.ID, hostnameName(i)))
		iss := newIssuance(h, due)
		iss.Step = step
		return createIssuance(t, is, iss)
	}
	zero := at(0, time.Time{}, acme.StepFinalizing) // saved after a step: due at once
	early := at(1, base.Add(-time.Hour), acme.StepNew)
	now := at(2, base, acme.StepChallengeReady)
	at(3, base.Add(time.Microsecond), acme.StepNew) // not yet
	at(4, base.Add(-2*time.Hour), acme.StepDone)    // terminal
	at(5, base.Add(-2*time.Hour), acme.StepFailed)  // terminal

	for _, tc := range []struct {
		limit int
		want  []string
	}{
		{10, []string{zero.ID, early.ID, now.ID}},
		{-1, []string{zero.ID, early.ID, now.ID}},
		{2, []string{zero.ID, early.ID}},
		{0, nil},
	} {
		due, err := is.DueIssuances(ctx(t), base, tc.limit)
		wantErr(t, "DueIssuances", err, nil)
		diff(t, fmt.Sprintf("due at base, limit %d", tc.limit), tc.want, ids(due))
	}
	due, err := is.DueIssuances(ctx(t), base, 1)
	wantErr(t, "DueIssuances", err, nil)
	if len(due) == 1 {
		diff(t, "a due record is whole", zero, due[0])
	}
	// Leases do not hide records from DueIssuances.
	if _, err := is.ClaimDueIssuances(ctx(t), base, 10, "node-a", time.Minute); err != nil {
		t.Fatal(err)
	}
	due, err = is.DueIssuances(ctx(t), base, 10)
	wantErr(t, "DueIssuances", err, nil)
	diff(t, "due while leased", []string{zero.ID, early.ID, now.ID}, ids(due))
}

func testIssuanceClaim(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	var recs []acme.Issuance
	for i := range 3 {
		h := createHostname(t, s, minimalHostname(z.ID, hostnameName(i)))
		recs = append(recs, createIssuance(t, is, newIssuance(h, base.Add(time.Duration(i)*time.Second))))
	}
	claim := func(t *testing.T, now time.Time, limit int, owner string) []acme.Issuance {
		t.Helper()
		got, err := is.ClaimDueIssuances(ctx(t), now, limit, owner, time.Minute)
		if err != nil {
			t.Fatalf("ClaimDueIssuances: %v", err)
		}
		return got
	}
	now := base.Add(10 * time.Second)

	a := claim(t, now, 2, "node-a")
	diff(t, "first claim, earliest due first", []string{recs[0].ID, recs[1].ID}, ids(a))
	if len(a) == 2 {
		diff(t, "a claimed record is whole, version unchanged", recs[0], a[0])
	}
	diff(t, "claim while leased", []string{recs[2].ID}, ids(claim(t, now, 5, "node-b")))
	diff(t, "nothing left", []string(nil), ids(claim(t, now, 5, "node-c")))
	diff(t, "limit 0", []string(nil), ids(claim(t, now.Add(time.Hour), 0, "node-c")))

	// A save by the holder keeps the lease: the record stays reserved.
	cur := getIssuance(t, is, recs[0].ID)
	if cur.Version != 1 {
		t.Errorf("claiming changed the version to %d", cur.Version)
	}
	cur.Step = acme.StepOrdered
	saveIssuance(t, is, &cur)
	diff(t, "after a save by the holder", []string(nil), ids(claim(t, now, 5, "node-c")))

	// Release by someone else is a no-op; by the holder it frees the record.
	wantErr(t, "ReleaseIssuance by another owner", is.ReleaseIssuance(ctx(t), recs[0].ID, "node-b"), nil)
	diff(t, "after a foreign release", []string(nil), ids(claim(t, now, 5, "node-c")))
	wantErr(t, "ReleaseIssuance", is.ReleaseIssuance(ctx(t), recs[0].ID, "node-a"), nil)
	wantErr(t, "ReleaseIssuance of an unknown id", is.ReleaseIssuance(ctx(t), ident.UUID(), "node-a"), nil)
	got := claim(t, now, 5, "node-c")
	diff(t, "after release", []string{recs[0].ID}, ids(got))
	if len(got) == 1 {
		diff(t, "claimed after a save", cur, got[0])
	}

	// An ended lease needs no release: at its end the record is due again.
	diff(t, "just before the lease ends", []string(nil), ids(claim(t, now.Add(time.Minute-time.Microsecond), 5, "node-d")))
	diff(t, "when the leases end", []string{recs[0].ID, recs[1].ID, recs[2].ID}, ids(claim(t, now.Add(time.Minute), 5, "node-d")))

	// Terminal and future records are never claimed.
	for _, id := range []string{recs[1].ID, recs[2].ID} {
		r := getIssuance(t, is, id)
		r.Step = acme.StepFailed
		saveIssuance(t, is, &r)
		wantErr(t, "ReleaseIssuance", is.ReleaseIssuance(ctx(t), id, "node-d"), nil)
	}
	cur = getIssuance(t, is, recs[0].ID)
	cur.NextAttemptAt = now.Add(time.Hour)
	saveIssuance(t, is, &cur)
	wantErr(t, "ReleaseIssuance", is.ReleaseIssuance(ctx(t), recs[0].ID, "node-d"), nil)
	diff(t, "terminal and future records", []string(nil), ids(claim(t, now.Add(2*time.Minute), 5, "node-e")))
	diff(t, "once due", []string{recs[0].ID}, ids(claim(t, now.Add(time.Hour), 5, "node-e")))
}

func testIssuanceConcurrentClaims(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	const records, claimers = 40, 8
	for i := range records {
		h := createHostname(t, s, minimalHostname(z.ID, hostnameName(i)))
		createIssuance(t, is, newIssuance(h, base.Add(-time.Duration(i)*time.Second)))
	}
	var (
		mu     sync.Mutex
		counts = make(map[string]int)
		wg     sync.WaitGroup
	)
	for c := range claimers {
		wg.Go(func() {
			// Bounded: each round claims at least one record until none is left.
			for range records + 1 {
				got, err := is.ClaimDueIssuances(ctx(t), base, 3, fmt.Sprintf("claimer-%d", c), time.Hour)
				if err != nil {
					t.Errorf("ClaimDueIssuances: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, r := range got {
					counts[r.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(counts) != records {
		t.Errorf("%d records claimed, want %d", len(counts), records)
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("record %s claimed %d times", id, n)
		}
	}
}

func testIssuanceDone(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "done.customer.example"))

	iss := fullIssuance(h)
	iss.Step = acme.StepFinalizing
	iss.Result = nil
	iss = createIssuance(t, is, iss)
	// Nothing is committed before done.
	res := fullIssuance(h).Result
	res.CertificateID = iss.ID
	// X.509 times are whole seconds; the certificates table keeps
	// microseconds.
	res.NotBefore, res.NotAfter = res.NotBefore.Truncate(time.Second), res.NotAfter.Truncate(time.Second)
	iss.Step, iss.Result = acme.StepDownloaded, res
	saveIssuance(t, is, &iss)
	if got := getHostname(t, s, z.ID, h.ID); len(got.SSL.Certificates) != 0 || got.Version != h.Version {
		t.Fatalf("before done: %d certificates, version %d", len(got.SSL.Certificates), got.Version)
	}

	var cursor store.ChangeCursor
	edge, isEdge := s.(store.EdgeSource)
	if isEdge {
		cursor = feedEnd(t, edge)
	}
	iss.Step = acme.StepDone
	iss.UpdatedAt = base.Add(3 * time.Hour)
	saveIssuance(t, is, &iss)
	want := res.Certificate(h.ID, iss.UpdatedAt)
	got := getHostname(t, s, z.ID, h.ID)
	diff(t, "the committed certificate", []core.Certificate{want}, got.SSL.Certificates)
	if got.Version != h.Version+1 {
		t.Errorf("hostname version = %d after the commit, want %d", got.Version, h.Version+1)
	}
	if isEdge {
		changes, err := edge.ChangesSince(ctx(t), cursor, 100)
		wantErr(t, "ChangesSince", err, nil)
		seen := false
		for _, c := range changes {
			seen = seen || c.HostnameID == h.ID
		}
		if !seen {
			t.Errorf("the change feed has no entry for the commit: %+v", changes)
		}
	}

	// Saving the done record again commits nothing more.
	iss.UpdatedAt = base.Add(4 * time.Hour)
	saveIssuance(t, is, &iss)
	got = getHostname(t, s, z.ID, h.ID)
	diff(t, "after a second save at done", []core.Certificate{want}, got.SSL.Certificates)
	if got.Version != h.Version+1 {
		t.Errorf("hostname version = %d after a second save, want %d", got.Version, h.Version+1)
	}

	// A renewal can now be created: done is terminal.
	renewal := newIssuance(h, base.Add(60*24*time.Hour))
	renewal.Deadline = res.NotAfter
	renewal = createIssuance(t, is, renewal)
	diff(t, "the renewal", renewal, getIssuance(t, is, renewal.ID))
}

func testHostnameIssuances(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "history.customer.example"))
	other := createHostname(t, s, minimalHostname(z.ID, "other.customer.example"))
	var want []string
	for i := range 7 {
		iss := newIssuance(h, base)
		iss.CreatedAt = base.Add(time.Duration(i) * time.Hour)
		if i < 6 {
			iss.Step = acme.StepFailed
		}
		want = append([]string{createIssuance(t, is, iss).ID}, want...)
	}
	createIssuance(t, is, newIssuance(other, base))

	for _, tc := range []struct {
		name   string
		zoneID string
		id     string
		limit  int
		want   []string
	}{
		{"all", z.ID, h.ID, 0, want},
		{"negative limit", z.ID, h.ID, -1, want},
		{"newest five", z.ID, h.ID, 5, want[:5]},
		{"more than there are", z.ID, h.ID, 50, want},
		{"unknown hostname", z.ID, ident.UUID(), 0, nil},
		{"another zone", newZone(t, s).ID, h.ID, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := is.HostnameIssuances(ctx(t), tc.zoneID, tc.id, tc.limit)
			wantErr(t, "HostnameIssuances", err, nil)
			diff(t, "records, newest first", tc.want, ids(got))
		})
	}
}

func testIssuanceHostnameDelete(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, fullHostname(z.ID, "gone.customer.example"))
	// The same name in another zone keeps the name's HTTP-01 responses.
	shared := createHostname(t, s, minimalHostname(z.ID, "shared.customer.example"))
	twin := createHostname(t, s, minimalHostname(newZone(t, s).ID, shared.Name))

	live := newIssuance(h, base)
	live = createIssuance(t, is, live)
	old := newIssuance(h, base)
	old.Step = acme.StepFailed
	old = createIssuance(t, is, old)
	sharedIss := createIssuance(t, is, newIssuance(shared, base))
	later := base.Add(time.Hour)
	for _, name := range []string{h.Name, shared.Name, "unrelated.customer.example"} {
		wantErr(t, "PutHTTPChallenge", is.PutHTTPChallenge(ctx(t), name, "tok", "tok.thumb", later), nil)
	}
	wantErr(t, "AddDCVValue", is.AddDCVValue(ctx(t), h.SSL.DCVLabel, "txt", later), nil)

	wantErr(t, "DeleteHostname", s.DeleteHostname(ctx(t), z.ID, h.ID), nil)
	wantErr(t, "DeleteHostname(shared)", s.DeleteHostname(ctx(t), z.ID, shared.ID), nil)

	for _, id := range []string{live.ID, old.ID, sharedIss.ID} {
		_, err := is.GetIssuance(ctx(t), id)
		wantErr(t, "GetIssuance after the hostname's delete", err, acme.ErrNotFound)
	}
	recs, err := is.HostnameIssuances(ctx(t), z.ID, h.ID, 0)
	wantErr(t, "HostnameIssuances", err, nil)
	diff(t, "records of a deleted hostname", []string(nil), ids(recs))
	wantErr(t, "SaveIssuance after the hostname's delete", is.SaveIssuance(ctx(t), &live), acme.ErrNotFound)
	again := newIssuance(h, base)
	wantErr(t, "CreateIssuance for a deleted hostname", is.CreateIssuance(ctx(t), &again), acme.ErrNotFound)
	due, err := is.ClaimDueIssuances(ctx(t), base, 10, "node", time.Minute)
	wantErr(t, "ClaimDueIssuances", err, nil)
	diff(t, "claimable after delete", []string(nil), ids(due))

	for _, tc := range []struct {
		name string
		want bool
	}{{h.Name, false}, {shared.Name, true}, {"unrelated.customer.example", true}} {
		_, ok, err := is.HTTPChallenge(ctx(t), tc.name, "tok", base)
		wantErr(t, "HTTPChallenge", err, nil)
		if ok != tc.want {
			t.Errorf("HTTP-01 response of %s after delete: ok = %v, want %v", tc.name, ok, tc.want)
		}
	}
	values, ok, err := is.DCVValues(ctx(t), h.SSL.DCVLabel, base)
	wantErr(t, "DCVValues", err, nil)
	if ok || len(values) != 0 {
		t.Errorf("DCVValues of a deleted hostname's label = %v, %v; want none, NXDOMAIN", values, ok)
	}
	wantErr(t, "AddDCVValue under a deleted hostname's label", is.AddDCVValue(ctx(t), h.SSL.DCVLabel, "txt", later), store.ErrNotFound)
	// A deleted hostname's label can be reused by a new hostname; its old
	// values do not come back.
	n := fullHostname(z.ID, "new.customer.example")
	n.SSL.DCVLabel = h.SSL.DCVLabel
	createHostname(t, s, n)
	values, ok, err = is.DCVValues(ctx(t), h.SSL.DCVLabel, base)
	wantErr(t, "DCVValues", err, nil)
	if !ok || len(values) != 0 {
		t.Errorf("DCVValues of a reused label = %v, %v; want none, exists", values, ok)
	}
	_ = twin
}
