package core

import (
	"errors"
	"testing"
)

func TestStatusSets(t *testing.T) {
	if got := len(HostnameStatuses); got != 16 {
		t.Errorf("hostname statuses: %d, want 16", got)
	}
	if got := len(SSLStatuses); got != 21 {
		t.Errorf("ssl statuses: %d, want 21", got)
	}
	if got := len(FallbackOriginStatuses); got != 6 {
		t.Errorf("fallback origin statuses: %d, want 6", got)
	}
	// Every status has a row in its table, and every edge ends at a known status.
	for _, s := range HostnameStatuses {
		if !s.Valid() {
			t.Errorf("hostname status %q has no transition row", s)
		}
		for _, next := range hostnameTransitions[s] {
			if !next.Valid() {
				t.Errorf("%q -> unknown %q", s, next)
			}
		}
	}
	for _, s := range SSLStatuses {
		if !s.Valid() {
			t.Errorf("ssl status %q has no transition row", s)
		}
		for _, next := range sslTransitions[s] {
			if !next.Valid() {
				t.Errorf("%q -> unknown %q", s, next)
			}
		}
	}
	for _, s := range FallbackOriginStatuses {
		if !s.Valid() {
			t.Errorf("fallback status %q has no transition row", s)
		}
	}
	if HostnameStatus("nope").Valid() || SSLStatus("nope").Valid() || FallbackOriginStatus("nope").Valid() {
		t.Error("unknown status reported valid")
	}
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		name     string
		from, to HostnameStatus
		ok       bool
	}{
		{"pending proven", HostnamePending, HostnameActive, true},
		{"pending times out", HostnamePending, HostnameMoved, true},
		{"active dns leaves", HostnameActive, HostnameMoved, true},
		{"moved dns returns", HostnameMoved, HostnameActive, true},
		{"moved refreshed", HostnameMoved, HostnamePending, true},
		{"moved expires", HostnameMoved, HostnameDeleted, true},
		{"deleted refreshed", HostnameDeleted, HostnamePending, true},
		{"blocked is terminal", HostnameBlocked, HostnamePending, false},
		{"blocked stays blocked", HostnameBlocked, HostnameActive, false},
		{"deleted cannot activate directly", HostnameDeleted, HostnameActive, false},
		{"pending cannot jump to test states", HostnamePending, HostnameTestActive, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckHostnameTransition(tt.from, tt.to)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckHostnameTransition(%s, %s) = %v, want ok=%v", tt.from, tt.to, err, tt.ok)
			}
			var te *TransitionError
			if err != nil && !errors.As(err, &te) {
				t.Fatalf("error %T is not a *TransitionError", err)
			}
		})
	}
}

func TestSSLHappyPathAndRenewal(t *testing.T) {
	path := []SSLStatus{SSLInitializing, SSLPendingValidation, SSLPendingIssuance, SSLPendingDeployment, SSLActive}
	for i := 1; i < len(path); i++ {
		if err := CheckSSLTransition(path[i-1], path[i]); err != nil {
			t.Errorf("happy path: %v", err)
		}
	}
	// Renewal: active -> pending_deployment (succeeded) or -> pending_issuance (failed).
	for _, next := range []SSLStatus{SSLPendingDeployment, SSLPendingIssuance, SSLExpired} {
		if !SSLActive.CanTransition(next) {
			t.Errorf("active -> %s refused", next)
		}
	}
	if SSLPendingDeletion.CanTransition(SSLActive) {
		t.Error("pending_deletion -> active allowed")
	}
	if !SSLInitializing.CanTransition(SSLActive) {
		t.Error("a custom certificate upload must go initializing -> active")
	}
}

func TestHostnameNames(t *testing.T) {
	h := Hostname{ID: "0d89c70d-ad9f-4843-b99f-6cc0252067e9", Name: "*.shop.example-customer.com"}
	if !h.IsWildcard() {
		t.Fatal("IsWildcard false")
	}
	if got, want := h.OwnershipTXTName(), "_cf-custom-hostname.shop.example-customer.com"; got != want {
		t.Errorf("txt name %q, want %q", got, want)
	}
	if got, want := h.OwnershipHTTPURL(), "http://shop.example-customer.com/.well-known/cf-custom-hostname-challenge/0d89c70d-ad9f-4843-b99f-6cc0252067e9"; got != want {
		t.Errorf("http url %q, want %q", got, want)
	}
}
