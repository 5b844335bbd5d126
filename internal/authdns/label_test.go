package authdns

import (
	"regexp"
	"testing"
)

func TestNewLabel(t *testing.T) {
	shape := regexp.MustCompile(`^[a-z2-7]{26}$`)
	seen := make(map[string]bool)
	for range 1000 {
		l := NewLabel()
		if !shape.MatchString(l) || !validLabel(l) {
			t.Fatalf("label %q is not 26 lowercase base32 characters", l)
		}
		if seen[l] {
			t.Fatalf("label %q drawn twice", l)
		}
		seen[l] = true
	}
}

func TestDelegation(t *testing.T) {
	tests := []struct {
		hostname, name string
	}{
		{"shop.example.com", "_acme-challenge.shop.example.com"},
		{"*.example.com", "_acme-challenge.example.com"},
		{"*.shop.example.co.uk", "_acme-challenge.shop.example.co.uk"},
		{"xn--bcher-kva.example", "_acme-challenge.xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		t.Run(tt.hostname, func(t *testing.T) {
			if got := DelegationName(tt.hostname); got != tt.name {
				t.Errorf("DelegationName(%q) = %q, want %q", tt.hostname, got, tt.name)
			}
		})
	}
	if got, want := DelegationTarget("abc", "dcv.saasprovider.com"), "abc.dcv.saasprovider.com"; got != want {
		t.Errorf("DelegationTarget = %q, want %q", got, want)
	}
}

func TestValidLabel(t *testing.T) {
	for _, tt := range []struct {
		label string
		ok    bool
	}{
		{"a", true}, {"ns1", true}, {"a-b", true}, {NewLabel(), true},
		{"", false}, {"-a", false}, {"a-", false}, {"A", false}, {"a_b", false}, {"a.b", false},
		{`a\.b`, false}, {string(make([]byte, 64)), false},
	} {
		if got := validLabel(tt.label); got != tt.ok {
			t.Errorf("validLabel(%q) = %v, want %v", tt.label, got, tt.ok)
		}
	}
}
