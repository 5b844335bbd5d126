package verify

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/core"
)

func TestNextCheck(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name      string
		lastCheck time.Duration // after t0; -1: never
		attempt   int
		status    core.HostnameStatus
		want      time.Duration // after t0; -1: never
	}{
		{"new hostname: at once", -1, 0, core.HostnamePending, 0},
		{"after the first", 0, 1, core.HostnamePending, 1 * m},
		{"after the second", 1 * m, 2, core.HostnamePending, 2 * m},
		{"after the third", 2 * m, 3, core.HostnamePending, 3 * m},
		{"after the fourth", 3 * m, 4, core.HostnamePending, 5 * m},
		{"after the fifth", 5 * m, 5, core.HostnamePending, 10 * m},
		{"after the sixth", 10 * m, 6, core.HostnamePending, 15 * m},
		{"after the seventh", 15 * m, 7, core.HostnamePending, 30 * m},
		{"after the eighth", 30 * m, 8, core.HostnamePending, 60 * m},
		{"after the ninth: 3 hours", 60 * m, 9, core.HostnamePending, 4 * time.Hour},
		{"later", 100 * time.Hour, 40, core.HostnamePending, 103 * time.Hour},
		{"scheduler was down: no burst", 20 * m, 5, core.HostnamePending, 30 * m},
		{"scheduler was down past the hour", 2 * time.Hour, 5, core.HostnamePending, 5 * time.Hour},
		{"checked early by hand", 30 * time.Second, 1, core.HostnamePending, 1 * m},
		{"active never checked", -1, 0, core.HostnameActive, 0},
		{"active", 10 * time.Hour, 3, core.HostnameActive, 13 * time.Hour},
		{"moved", 10 * time.Hour, 70, core.HostnameMoved, 13 * time.Hour},
		{"deleted", 10 * time.Hour, 70, core.HostnameDeleted, -1},
		{"blocked", 10 * time.Hour, 0, core.HostnameBlocked, -1},
		{"test_pending", -1, 0, core.HostnameTestPending, -1},
	}
	at := func(d time.Duration) time.Time {
		if d < 0 {
			return time.Time{}
		}
		return t0.Add(d)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextCheck(t0, at(tt.lastCheck), tt.attempt, tt.status)
			if want := at(tt.want); !got.Equal(want) {
				t.Errorf("NextCheck = %s, want %s", got, want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	day := 24 * time.Hour
	proven := Result{Outcome: Proven, Method: MethodTXT, Pointing: PointingAtUs}
	provenElsewhere := Result{Outcome: Proven, Method: MethodTXT, Pointing: PointingElsewhere}
	notProven := Result{Outcome: NotProven, Pointing: PointingElsewhere}
	notProvenAtUs := Result{Outcome: NotProven, Pointing: PointingAtUs}
	notProvenUnknownDNS := Result{Outcome: NotProven, Pointing: PointingUnknown}
	unknown := Result{Outcome: Unknown, Pointing: PointingUnknown}
	unknownElsewhere := Result{Outcome: Unknown, Pointing: PointingElsewhere}

	tests := []struct {
		name         string
		status       core.HostnameStatus
		r            Result
		pendingSince time.Duration // before now
		movedSince   time.Duration // before now
		want         Decision
	}{
		{"pending proven", core.HostnamePending, proven, time.Minute, 0, Decision{core.HostnameActive, true, ReasonProven}},
		{"pending proven by txt, dns elsewhere", core.HostnamePending, provenElsewhere, time.Minute, 0, Decision{core.HostnameActive, true, ReasonProven}},
		{"pending not proven, day 6", core.HostnamePending, notProven, 6 * day, 0, Decision{core.HostnamePending, false, ReasonNoChange}},
		{"pending not proven, 1ns before 7 days", core.HostnamePending, notProven, 7*day - 1, 0, Decision{core.HostnamePending, false, ReasonNoChange}},
		{"pending not proven, exactly 7 days", core.HostnamePending, notProven, 7 * day, 0, Decision{core.HostnameMoved, true, ReasonPendingExpired}},
		{"pending unknown, day 8", core.HostnamePending, unknown, 8 * day, 0, Decision{core.HostnamePending, false, ReasonUnavailable}},
		{"pending proven, day 8", core.HostnamePending, proven, 8 * day, 0, Decision{core.HostnameActive, true, ReasonProven}},
		{"pending with no start never expires", core.HostnamePending, notProven, -1, 0, Decision{core.HostnamePending, false, ReasonNoChange}},

		{"active proven", core.HostnameActive, proven, 0, 0, Decision{core.HostnameActive, false, ReasonNoChange}},
		{"active, customer left", core.HostnameActive, notProven, 0, 0, Decision{core.HostnameMoved, true, ReasonLeft}},
		{"active, pre-validated by txt, dns elsewhere", core.HostnameActive, provenElsewhere, 0, 0, Decision{core.HostnameActive, false, ReasonNoChange}},
		{"active, token gone, dns still here", core.HostnameActive, notProvenAtUs, 0, 0, Decision{core.HostnameActive, false, ReasonNoChange}},
		{"active, token gone, dns unknown", core.HostnameActive, notProvenUnknownDNS, 0, 0, Decision{core.HostnameActive, false, ReasonNoChange}},
		{"active, unknown", core.HostnameActive, unknown, 0, 0, Decision{core.HostnameActive, false, ReasonUnavailable}},
		{"active, unknown but dns elsewhere", core.HostnameActive, unknownElsewhere, 0, 0, Decision{core.HostnameActive, false, ReasonUnavailable}},

		{"moved proven", core.HostnameMoved, proven, 0, 3 * day, Decision{core.HostnameActive, true, ReasonProven}},
		{"moved, day 6", core.HostnameMoved, notProven, 0, 6 * day, Decision{core.HostnameMoved, false, ReasonNoChange}},
		{"moved, 1ns before 7 days", core.HostnameMoved, notProven, 0, 7*day - 1, Decision{core.HostnameMoved, false, ReasonNoChange}},
		{"moved, exactly 7 days", core.HostnameMoved, notProven, 0, 7 * day, Decision{core.HostnameDeleted, true, ReasonMovedExpired}},
		{"moved, 7 days, dns back at us without proof", core.HostnameMoved, notProvenAtUs, 0, 7 * day, Decision{core.HostnameDeleted, true, ReasonMovedExpired}},
		{"moved, unknown at day 9", core.HostnameMoved, unknown, 0, 9 * day, Decision{core.HostnameMoved, false, ReasonUnavailable}},
		{"moved proven at day 9", core.HostnameMoved, proven, 0, 9 * day, Decision{core.HostnameActive, true, ReasonProven}},

		{"deleted stays deleted", core.HostnameDeleted, proven, 0, 0, Decision{core.HostnameDeleted, false, ReasonNoChange}},
		{"blocked stays blocked", core.HostnameBlocked, proven, 30 * day, 0, Decision{core.HostnameBlocked, false, ReasonNoChange}},
		{"zero result is unknown", core.HostnameActive, Result{}, 0, 0, Decision{core.HostnameActive, false, ReasonUnavailable}},
	}
	now := t0.Add(30 * 24 * time.Hour)
	since := func(d time.Duration) time.Time {
		if d < 0 {
			return time.Time{}
		}
		return now.Add(-d)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.status, tt.r, since(tt.pendingSince), since(tt.movedSince), now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
			if got.Changed {
				if err := core.CheckHostnameTransition(tt.status, got.Status); err != nil {
					t.Errorf("Decide returned an illegal change: %v", err)
				}
			}
		})
	}
}
