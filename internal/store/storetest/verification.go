package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// testVerification checks store.Checks and store.Blocklist, which every
// store implements next to store.Store.
func testVerification(t *testing.T, open opener) {
	t.Run("ScheduledOnCreate", func(t *testing.T) { testScheduledOnCreate(t, open) })
	t.Run("ClaimAndRecord", func(t *testing.T) { testClaimAndRecord(t, open) })
	t.Run("Restart", func(t *testing.T) { testRestart(t, open) })
	t.Run("ScheduleCheck", func(t *testing.T) { testScheduleCheck(t, open) })
	t.Run("StatusStamps", func(t *testing.T) { testStatusStamps(t, open) })
	t.Run("ConcurrentClaims", func(t *testing.T) { testConcurrentClaims(t, open) })
	t.Run("NameHolders", func(t *testing.T) { testNameHolders(t, open) })
	t.Run("Blocklist", func(t *testing.T) { testBlocklist(t, open) })
}

func getCheck(t *testing.T, c store.Checks, zoneID, id string) store.CheckState {
	t.Helper()
	cs, err := c.GetCheck(ctx(t), zoneID, id)
	if err != nil {
		t.Fatalf("GetCheck(%s): %v", id, err)
	}
	return cs
}

func claim(t *testing.T, c store.Checks, now time.Time, limit int) []store.CheckState {
	t.Helper()
	got, err := c.ClaimDueChecks(ctx(t), now, limit, "node-a", time.Minute)
	if err != nil {
		t.Fatalf("ClaimDueChecks: %v", err)
	}
	return got
}

func testScheduledOnCreate(t *testing.T, open opener) {
	s := open(t)
	c := implements[store.Checks](t, s)
	z := newZone(t, s)
	tests := []struct {
		status      core.HostnameStatus
		scheduled   bool
		pendingTime bool
	}{
		{core.HostnamePending, true, true},
		{core.HostnameActive, true, false},
		{core.HostnameMoved, true, false},
		{core.HostnameDeleted, false, false},
		{core.HostnameBlocked, false, false},
	}
	for i, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			h := minimalHostname(z.ID, hostnameName(i))
			h.Status = tt.status
			h.CreatedAt = base.Add(time.Duration(i) * time.Second)
			createHostname(t, s, h)
			want := store.CheckState{ZoneID: z.ID, HostnameID: h.ID, ScheduleStartedAt: h.CreatedAt}
			if tt.scheduled {
				want.NextCheckAt = h.CreatedAt
			}
			if tt.pendingTime {
				want.PendingSince = h.CreatedAt
			}
			if tt.status == core.HostnameMoved {
				want.MovedSince = h.CreatedAt
			}
			diff(t, "GetCheck after create", want, getCheck(t, c, z.ID, h.ID))
		})
	}
	t.Run("other zone and missing", func(t *testing.T) {
		h := createHostname(t, s, minimalHostname(z.ID, "scoped.customer.example"))
		_, err := c.GetCheck(ctx(t), newZone(t, s).ID, h.ID)
		wantErr(t, "GetCheck from another zone", err, store.ErrNotFound)
		_, err = c.GetCheck(ctx(t), z.ID, ident.UUID())
		wantErr(t, "GetCheck of a missing id", err, store.ErrNotFound)
	})
	t.Run("deleted with the hostname", func(t *testing.T) {
		h := createHostname(t, s, minimalHostname(z.ID, "gone.customer.example"))
		wantErr(t, "DeleteHostname", s.DeleteHostname(ctx(t), z.ID, h.ID), nil)
		_, err := c.GetCheck(ctx(t), z.ID, h.ID)
		wantErr(t, "GetCheck after delete", err, store.ErrNotFound)
	})
}

func testClaimAndRecord(t *testing.T, open opener) {
	s := open(t)
	c := implements[store.Checks](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "claim.customer.example"))

	if got := claim(t, c, base.Add(-time.Second), 10); len(got) != 0 {
		t.Fatalf("claimed %d checks before any was due", len(got))
	}
	first := claim(t, c, base, 10)
	if len(first) != 1 || first[0].HostnameID != h.ID || first[0].ZoneID != z.ID {
		t.Fatalf("claimed %+v, want the one hostname", first)
	}
	lease := first[0]
	if lease.LeaseOwner != "node-a" || !lease.LeasedUntil.Equal(base.Add(time.Minute)) || !lease.NextCheckAt.Equal(lease.LeasedUntil) {
		t.Errorf("lease %+v: want owner node-a until base+1m", lease)
	}
	if got := claim(t, c, base.Add(30*time.Second), 10); len(got) != 0 {
		t.Fatalf("claimed a leased check again: %+v", got)
	}
	// The lease expires (the worker died): the check is due again, under a
	// new token, and the old worker's result is refused.
	again := claim(t, c, base.Add(time.Minute), 10)
	if len(again) != 1 || again[0].LeaseToken == lease.LeaseToken {
		t.Fatalf("after the lease expired claimed %+v, want the hostname with a new token", again)
	}
	rec := store.CheckRecord{
		ZoneID: z.ID, HostnameID: h.ID, LeaseToken: lease.LeaseToken,
		CheckedAt: base.Add(time.Minute), NextCheckAt: base.Add(2 * time.Minute), Attempts: 1,
		DNSStatus: "invalid", VerificationErrors: []string{"TXT record not found"},
	}
	wantErr(t, "RecordCheck with a superseded lease", c.RecordCheck(ctx(t), rec), store.ErrStale)

	rec.LeaseToken = again[0].LeaseToken
	wantErr(t, "RecordCheck", c.RecordCheck(ctx(t), rec), nil)
	want := store.CheckState{
		ZoneID: z.ID, HostnameID: h.ID, NextCheckAt: rec.NextCheckAt, Attempts: 1,
		ScheduleStartedAt: base, LastCheckAt: rec.CheckedAt, DNSStatus: "invalid",
		PendingSince: base, LeaseToken: again[0].LeaseToken,
	}
	diff(t, "GetCheck after RecordCheck", want, getCheck(t, c, z.ID, h.ID))
	got := getHostname(t, s, z.ID, h.ID)
	diff(t, "verification_errors", rec.VerificationErrors, got.VerificationErrors)
	if got.Version != 2 {
		t.Errorf("version = %d after new verification errors, want 2", got.Version)
	}
	wantErr(t, "RecordCheck twice", c.RecordCheck(ctx(t), rec), nil)

	// The same errors again, and proof: the hostname row is not rewritten.
	next := claim(t, c, rec.NextCheckAt, 10)
	rec = store.CheckRecord{
		ZoneID: z.ID, HostnameID: h.ID, LeaseToken: next[0].LeaseToken, CheckedAt: rec.NextCheckAt,
		Attempts: 2, DNSStatus: "valid", LastMethod: "txt", ProvenSince: rec.NextCheckAt,
		VerificationErrors: rec.VerificationErrors,
	}
	wantErr(t, "RecordCheck unscheduling", c.RecordCheck(ctx(t), rec), nil)
	if v := getHostname(t, s, z.ID, h.ID).Version; v != 2 {
		t.Errorf("version = %d after unchanged verification errors, want 2", v)
	}
	cs := getCheck(t, c, z.ID, h.ID)
	if !cs.NextCheckAt.IsZero() || cs.LastMethod != "txt" || !cs.ProvenSince.Equal(rec.ProvenSince) || !cs.LeasedUntil.IsZero() {
		t.Errorf("after an unscheduling record: %+v", cs)
	}
	if got := claim(t, c, base.Add(365*24*time.Hour), 10); len(got) != 0 {
		t.Errorf("claimed an unscheduled check: %+v", got)
	}

	rec.HostnameID = ident.UUID()
	wantErr(t, "RecordCheck of a missing hostname", c.RecordCheck(ctx(t), rec), store.ErrNotFound)
}

func testRestart(t *testing.T, open opener) {
	s := open(t)
	c := implements[store.Checks](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "restart.customer.example"))
	old := claim(t, c, base, 1)[0]

	now := base.Add(3 * time.Hour)
	got, err := c.ClaimCheck(ctx(t), z.ID, h.ID, now, "node-b", time.Minute, true)
	wantErr(t, "ClaimCheck", err, nil)
	want := store.CheckState{
		ZoneID: z.ID, HostnameID: h.ID, NextCheckAt: now.Add(time.Minute), ScheduleStartedAt: now,
		PendingSince: now, LeasedUntil: now.Add(time.Minute), LeaseOwner: "node-b", LeaseToken: got.LeaseToken,
	}
	diff(t, "ClaimCheck with restart", want, got)
	if got.LeaseToken <= old.LeaseToken {
		t.Errorf("token %d not above the superseded %d", got.LeaseToken, old.LeaseToken)
	}
	diff(t, "GetCheck after ClaimCheck", want, getCheck(t, c, z.ID, h.ID))
	err = c.RecordCheck(ctx(t), store.CheckRecord{ZoneID: z.ID, HostnameID: h.ID, LeaseToken: old.LeaseToken, CheckedAt: now})
	wantErr(t, "RecordCheck of the superseded lease", err, store.ErrStale)

	// Without restart the schedule stays; the lease is taken over.
	plain, err := c.ClaimCheck(ctx(t), z.ID, h.ID, now.Add(time.Second), "node-c", time.Minute, false)
	wantErr(t, "ClaimCheck without restart", err, nil)
	if !plain.ScheduleStartedAt.Equal(now) || plain.LeaseOwner != "node-c" || plain.LeaseToken != got.LeaseToken+1 {
		t.Errorf("ClaimCheck without restart: %+v", plain)
	}
	_, err = c.ClaimCheck(ctx(t), newZone(t, s).ID, h.ID, now, "node-b", time.Minute, true)
	wantErr(t, "ClaimCheck from another zone", err, store.ErrNotFound)
}

func testScheduleCheck(t *testing.T, open opener) {
	s := open(t)
	c := implements[store.Checks](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "schedule.customer.example"))
	l := claim(t, c, base, 1)[0]
	rec := store.CheckRecord{ZoneID: z.ID, HostnameID: h.ID, LeaseToken: l.LeaseToken, CheckedAt: base,
		NextCheckAt: base.Add(time.Hour), Attempts: 1}
	wantErr(t, "RecordCheck", c.RecordCheck(ctx(t), rec), nil)

	steps := []struct {
		name    string
		at      time.Time
		restart bool
		want    time.Time // NextCheckAt afterwards
	}{
		{"later does not postpone", base.Add(2 * time.Hour), false, base.Add(time.Hour)},
		{"sooner brings forward", base.Add(10 * time.Minute), false, base.Add(10 * time.Minute)},
		{"restart sets", base.Add(20 * time.Minute), true, base.Add(20 * time.Minute)},
	}
	for _, st := range steps {
		wantErr(t, st.name, c.ScheduleCheck(ctx(t), z.ID, h.ID, st.at, st.restart), nil)
		if got := getCheck(t, c, z.ID, h.ID).NextCheckAt; !got.Equal(st.want) {
			t.Errorf("%s: NextCheckAt = %v, want %v", st.name, got, st.want)
		}
	}
	if cs := getCheck(t, c, z.ID, h.ID); cs.Attempts != 0 || !cs.ScheduleStartedAt.Equal(base.Add(20*time.Minute)) {
		t.Errorf("restart left attempts %d, start %v", cs.Attempts, cs.ScheduleStartedAt)
	}
	// A leased check is left to its worker.
	leased := claim(t, c, base.Add(20*time.Minute), 1)[0]
	wantErr(t, "ScheduleCheck of a leased check", c.ScheduleCheck(ctx(t), z.ID, h.ID, base.Add(20*time.Minute), false), nil)
	if got := getCheck(t, c, z.ID, h.ID); !got.NextCheckAt.Equal(leased.LeasedUntil) || got.LeaseToken != leased.LeaseToken {
		t.Errorf("ScheduleCheck disturbed a lease: %+v", got)
	}
	for _, restart := range []bool{false, true} {
		err := c.ScheduleCheck(ctx(t), newZone(t, s).ID, h.ID, base, restart)
		wantErr(t, fmt.Sprintf("ScheduleCheck(restart=%v) from another zone", restart), err, store.ErrNotFound)
	}
}

func testStatusStamps(t *testing.T, open opener) {
	s := open(t)
	c := implements[store.Checks](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "stamps.customer.example"))
	l := claim(t, c, base, 1)[0]
	// Unscheduled, as a worker leaves a hostname it has deleted.
	wantErr(t, "RecordCheck", c.RecordCheck(ctx(t), store.CheckRecord{ZoneID: z.ID, HostnameID: h.ID,
		LeaseToken: l.LeaseToken, CheckedAt: base, Attempts: 1}), nil)

	steps := []struct {
		from, to core.HostnameStatus
		at       time.Duration
		check    func(cs store.CheckState, at time.Time) bool
	}{
		{core.HostnamePending, core.HostnameMoved, time.Hour, func(cs store.CheckState, at time.Time) bool {
			return cs.MovedSince.Equal(at) && cs.PendingSince.Equal(base) && cs.NextCheckAt.Equal(at)
		}},
		{core.HostnameMoved, core.HostnameDeleted, 2 * time.Hour, func(cs store.CheckState, _ time.Time) bool {
			return cs.MovedSince.Equal(base.Add(time.Hour))
		}},
		{core.HostnameDeleted, core.HostnamePending, 3 * time.Hour, func(cs store.CheckState, at time.Time) bool {
			return cs.PendingSince.Equal(at) && cs.MovedSince.Equal(base.Add(time.Hour))
		}},
	}
	for _, st := range steps {
		at := base.Add(st.at)
		wantErr(t, "SetHostnameStatus", s.SetHostnameStatus(ctx(t), z.ID, h.ID, st.from, st.to, at), nil)
		if cs := getCheck(t, c, z.ID, h.ID); !st.check(cs, at) {
			t.Errorf("after %s -> %s at %v: %+v", st.from, st.to, at, cs)
		}
	}
}

func testConcurrentClaims(t *testing.T, open opener) {
	s := open(t)
	c := implements[store.Checks](t, s)
	z := newZone(t, s)
	const n = 120
	for i := range n {
		h := minimalHostname(z.ID, hostnameName(i))
		h.CreatedAt = base.Add(time.Duration(i) * time.Millisecond)
		createHostname(t, s, h)
	}
	var (
		mu     sync.Mutex
		seen   = map[string]int{}
		wg     sync.WaitGroup
		errs   = make(chan error, 8)
		now    = base.Add(time.Second)
		owners = 8
	)
	for w := range owners {
		wg.Go(func() {
			for {
				got, err := c.ClaimDueChecks(ctx(t), now, 7, fmt.Sprintf("worker-%d", w), time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, cs := range got {
					seen[cs.HostnameID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ClaimDueChecks: %v", err)
	}
	if len(seen) != n {
		t.Errorf("%d hostnames claimed, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("hostname %s claimed %d times", id, k)
		}
	}
}

func testNameHolders(t *testing.T, open opener) {
	s := open(t)
	c := implements[store.Checks](t, s)
	z1, z2 := newZone(t, s), newZone(t, s)
	a := createHostname(t, s, minimalHostname(z1.ID, "shared.customer.example"))
	b := minimalHostname(z2.ID, "shared.customer.example")
	b.Status = core.HostnameActive
	createHostname(t, s, b)
	createHostname(t, s, minimalHostname(z2.ID, "other.customer.example"))
	l := claim(t, c, base, 10)
	for _, cs := range l {
		rec := store.CheckRecord{ZoneID: cs.ZoneID, HostnameID: cs.HostnameID, LeaseToken: cs.LeaseToken, CheckedAt: base}
		if cs.HostnameID == b.ID {
			rec.ProvenSince = base.Add(-time.Hour)
		}
		wantErr(t, "RecordCheck", c.RecordCheck(ctx(t), rec), nil)
	}
	got, err := c.NameHolders(ctx(t), "shared.customer.example")
	wantErr(t, "NameHolders", err, nil)
	want := []store.NameHolder{
		{ZoneID: z1.ID, HostnameID: a.ID, Status: core.HostnamePending},
		{ZoneID: z2.ID, HostnameID: b.ID, Status: core.HostnameActive, ProvenSince: base.Add(-time.Hour)},
	}
	if z2.ID < z1.ID {
		want[0], want[1] = want[1], want[0]
	}
	diff(t, "NameHolders", want, got)
	none, err := c.NameHolders(ctx(t), "nobody.customer.example")
	wantErr(t, "NameHolders of an unused name", err, nil)
	diff(t, "NameHolders of an unused name", []store.NameHolder(nil), none)
}
