package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/store"
)

func TestEditHostname(t *testing.T) {
	e := servicetest.New(t, nil)
	z, _ := e.Zone(t, saas)
	n := 0
	create := func(t *testing.T) core.Hostname {
		t.Helper()
		n++
		h, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{
			Hostname:           fmt.Sprintf("edit-%d.example-customer.com", n),
			CustomOriginServer: ptr("origin.saasprovider.com"),
			CustomMetadata:     json.RawMessage(`{"a":"b"}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		e.Hooks.Take()
		return h
	}
	v0SSL := &service.SSLInput{Method: ptr("http"), Type: ptr("dv"), Settings: &service.TLSSettingsInput{}}

	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, h core.Hostname) // puts h in a starting state
		patch service.HostnamePatch
		want  func(h core.Hostname) core.Hostname // expected result from the stored start
		hook  string                              // "" = no hook call, no write
	}{
		{
			name:  "empty objects change nothing",
			patch: service.HostnamePatch{SSL: &service.SSLInput{Settings: &service.TLSSettingsInput{}}, CustomMetadata: json.RawMessage(`{}`)},
			want:  func(h core.Hostname) core.Hostname { return h },
		},
		{
			name:  "same hostname is not a rename",
			patch: service.HostnamePatch{Hostname: ptr("EDIT-2.example-customer.com")}, // the second hostname created
			want:  func(h core.Hostname) core.Hostname { return h },
		},
		{
			name:  "origin, sni and metadata",
			patch: service.HostnamePatch{CustomOriginServer: ptr("https://other.saasprovider.com"), CustomOriginSNI: ptr("sni.saasprovider.com"), CustomMetadata: json.RawMessage(`{"n": 2}`)},
			want: func(h core.Hostname) core.Hostname {
				h.CustomOriginServer, h.CustomOriginSNI, h.CustomMetadata = "https://other.saasprovider.com", "sni.saasprovider.com", json.RawMessage(`{"n":2}`)
				return h
			},
			hook: service.ChangeUpdated,
		},
		{
			name:  "clear origin and metadata",
			patch: service.HostnamePatch{CustomOriginServer: ptr(""), CustomMetadata: json.RawMessage(`null`)},
			want: func(h core.Hostname) core.Hostname {
				h.CustomOriginServer, h.CustomMetadata = "", nil
				return h
			},
			hook: service.ChangeUpdated,
		},
		{
			name: "same ssl restarts validation",
			setup: func(t *testing.T, h core.Hostname) {
				mustSSL(t, e, h, core.SSLInitializing, core.SSLPendingValidation)
			},
			patch: service.HostnamePatch{SSL: v0SSL},
			want: func(h core.Hostname) core.Hostname {
				h.SSL.Status = core.SSLInitializing
				return h
			},
			hook: service.ChangeRevalidate,
		},
		{
			name: "same ssl brings a moved hostname back to pending",
			setup: func(t *testing.T, h core.Hostname) {
				if err := e.Svc.SetHostnameStatus(ctx, z.ID, h.ID, core.HostnamePending, core.HostnameMoved); err != nil {
					t.Fatal(err)
				}
			},
			patch: service.HostnamePatch{SSL: v0SSL},
			want: func(h core.Hostname) core.Hostname {
				h.Status = core.HostnamePending
				return h
			},
			hook: service.ChangeRevalidate,
		},
		{
			name:  "changed ssl is stored",
			patch: service.HostnamePatch{SSL: &service.SSLInput{Method: ptr("txt"), Settings: &service.TLSSettingsInput{MinTLSVersion: ptr("1.2"), Ciphers: []string{"AES128-SHA"}}}},
			want: func(h core.Hostname) core.Hostname {
				h.SSL.Method = core.DCVTXT
				h.SSL.Settings = core.TLSSettings{MinTLSVersion: "1.2", Ciphers: []string{"AES128-SHA"}}
				return h
			},
			hook: service.ChangeRevalidate,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := create(t)
			if tc.setup != nil {
				tc.setup(t, h)
			}
			start, err := e.Svc.GetHostname(ctx, z.ID, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			e.Hooks.Take()
			e.Clock.Advance(1e9)
			got, err := e.Svc.EditHostname(ctx, z.ID, h.ID, tc.patch)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want(start)
			if tc.hook != "" {
				want.UpdatedAt = e.Clock.Now().UTC().Truncate(1000)
				want.Version = start.Version + 1
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("edited hostname (-want +got):\n%s", diff)
			}
			stored, _ := e.Svc.GetHostname(ctx, z.ID, h.ID)
			if diff := cmp.Diff(got, stored); diff != "" {
				t.Errorf("returned and stored differ (-returned +stored):\n%s", diff)
			}
			var wantHooks []string
			if tc.hook != "" {
				wantHooks = []string{tc.hook + " " + h.ID}
			}
			if diff := cmp.Diff(wantHooks, e.Hooks.Take()); diff != "" {
				t.Errorf("hooks (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		h := create(t)
		for _, tc := range []struct {
			name   string
			patch  service.HostnamePatch
			kind   core.Kind
			reason string
		}{
			{"rename", service.HostnamePatch{Hostname: ptr("other.example-customer.com")}, core.KindConflict, service.ReasonHostnameImmutable},
			{"email", service.HostnamePatch{SSL: &service.SSLInput{Method: ptr("email")}}, core.KindInvalid, service.ReasonMethodEmailUnsupported},
			{"wildcard with stored http", service.HostnamePatch{SSL: &service.SSLInput{Wildcard: ptr(true)}}, core.KindInvalid, service.ReasonWildcardRequiresTXT},
			{"bad origin", service.HostnamePatch{CustomOriginServer: ptr("a b")}, core.KindInvalid, service.ReasonInvalidOrigin},
			{"bad metadata", service.HostnamePatch{CustomMetadata: json.RawMessage(`"x"`)}, core.KindInvalid, service.ReasonInvalidMetadata},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before, _ := e.Svc.GetHostname(ctx, z.ID, h.ID)
				_, err := e.Svc.EditHostname(ctx, z.ID, h.ID, tc.patch)
				wantErr(t, err, tc.kind, tc.reason)
				after, _ := e.Svc.GetHostname(ctx, z.ID, h.ID)
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("a refused edit changed the hostname:\n%s", diff)
				}
			})
		}
		if calls := e.Hooks.Take(); len(calls) != 0 {
			t.Errorf("refused edits called hooks: %v", calls)
		}
	})

	t.Run("audit", func(t *testing.T) {
		ev := e.Logs.Records(map[string]string{"component": "audit", "event": service.EventSSLStatus, "from": "pending_validation", "to": "initializing"})
		if len(ev) != 1 {
			t.Errorf("ssl status audit events = %v", ev)
		}
		ev = e.Logs.Records(map[string]string{"component": "audit", "event": service.EventHostnameStatus, "from": "moved", "to": "pending"})
		if len(ev) != 1 {
			t.Errorf("hostname status audit events = %v", ev)
		}
	})
}

// mustSSL moves h's certificate status.
func mustSSL(t *testing.T, e *servicetest.Env, h core.Hostname, from, to core.SSLStatus) {
	t.Helper()
	if err := e.Svc.SetSSLStatus(ctx, h.ZoneID, h.ID, from, to); err != nil {
		t.Fatalf("ssl %s -> %s: %v", from, to, err)
	}
}

func TestSetStatusChecksTransitions(t *testing.T) {
	e := servicetest.New(t, nil)
	z, _ := e.Zone(t, saas)
	h, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "s.example-customer.com"})
	if err != nil {
		t.Fatal(err)
	}
	// Illegal by the table.
	wantErr(t, e.Svc.SetHostnameStatus(ctx, z.ID, h.ID, core.HostnameBlocked, core.HostnameActive), core.KindConflict, service.ReasonIllegalStatusChange)
	// Legal, but the status is no longer "from": a lost compare-and-swap.
	wantErr(t, e.Svc.SetHostnameStatus(ctx, z.ID, h.ID, core.HostnameActive, core.HostnameMoved), core.KindConflict, service.ReasonConcurrentUpdate)
	wantErr(t, e.Svc.SetSSLStatus(ctx, z.ID, h.ID, core.SSLPendingValidation, core.SSLPendingIssuance), core.KindConflict, service.ReasonConcurrentUpdate)
	if err := e.Svc.SetHostnameStatus(ctx, z.ID, h.ID, core.HostnamePending, core.HostnameActive); err != nil {
		t.Fatal(err)
	}
}

// staleOnce makes the first UpdateHostname lose its compare-and-swap, as if
// a verification check had written the row in between.
type staleOnce struct {
	store.Store
	n atomic.Int32
}

func (s *staleOnce) UpdateHostname(ctx context.Context, h core.Hostname) error {
	if s.n.Add(1) == 1 {
		return store.ErrStale
	}
	return s.Store.UpdateHostname(ctx, h)
}

func TestEditRetriesAStaleWrite(t *testing.T) {
	e := servicetest.New(t, nil)
	z, _ := e.Zone(t, saas)
	h, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "r.example-customer.com"})
	if err != nil {
		t.Fatal(err)
	}
	st := &staleOnce{Store: e.Store}
	svc := service.New(service.Config{}, st, e.Box, e.Clock, nil)
	got, err := svc.EditHostname(ctx, z.ID, h.ID, service.HostnamePatch{CustomOriginSNI: ptr("sni.saasprovider.com")})
	if err != nil {
		t.Fatal(err)
	}
	if got.CustomOriginSNI != "sni.saasprovider.com" || st.n.Load() != 2 {
		t.Errorf("sni %q after %d writes", got.CustomOriginSNI, st.n.Load())
	}
}
