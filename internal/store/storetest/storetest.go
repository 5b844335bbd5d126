// Package storetest is the conformance suite every store.Store
// implementation runs: the contract written on store.Store, checked against
// a real database. An implementation's test calls Run with a function that
// opens a fresh, empty store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// opener opens a new, empty store for one test and arranges (t.Cleanup) for
// it to be closed and removed.
type opener = func(t *testing.T) store.Store

// Run runs the conformance suite against the stores open returns. open must
// return a new, empty store and arrange (t.Cleanup) for it to be closed and
// removed; each test opens its own, so tests share no state.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Zones", func(t *testing.T) { testZones(t, open) })
	t.Run("FallbackOrigin", func(t *testing.T) { testFallbackOrigin(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
	t.Run("Hostnames", func(t *testing.T) { testHostnames(t, open) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, open) })
	t.Run("StatusCAS", func(t *testing.T) { testStatusCAS(t, open) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open) })
	t.Run("Tenancy", func(t *testing.T) { testTenancy(t, open) })
	t.Run("Uniqueness", func(t *testing.T) { testUniqueness(t, open) })
	t.Run("Certificates", func(t *testing.T) { testCertificates(t, open) })
	t.Run("List", func(t *testing.T) { testList(t, open) })
	t.Run("Context", func(t *testing.T) { testContext(t, open) })
	t.Run("Edge", func(t *testing.T) { testEdge(t, open) })
	t.Run("Verification", func(t *testing.T) { testVerification(t, open) })
	t.Run("Issuances", func(t *testing.T) { testIssuances(t, open) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, open) })
	t.Run("CustomDomains", func(t *testing.T) { testCustomDomains(t, open) })
	t.Run("LockOrder", func(t *testing.T) { testLockOrder(t, open) })
}

// base is the suite's clock: microsecond precision, as the contract keeps.
var base = time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)

// diffOpts compares stored values: nil and empty slices are the same (a
// store need not keep the difference), times compare with Equal.
var diffOpts = []cmp.Option{cmpopts.EquateEmpty()}

func ctx(t *testing.T) context.Context { return t.Context() }

func newZone(t *testing.T, s store.Store) core.Zone {
	t.Helper()
	z := core.Zone{
		ID:          ident.ZoneID(),
		Name:        "saas-" + ident.ZoneID()[:8] + ".example",
		CNAMETarget: "customers.saas.example",
		CreatedAt:   base,
	}
	if err := s.CreateZone(ctx(t), z); err != nil {
		t.Fatalf("CreateZone: %v", err)
	}
	return z
}

// fullHostname returns a hostname with every field set to something that
// tests its encoding: quotes, non-ASCII, non-string JSON, lists.
func fullHostname(zoneID, name string) core.Hostname {
	return core.Hostname{
		ID:                 ident.UUID(),
		ZoneID:             zoneID,
		Name:               name,
		Status:             core.HostnamePending,
		VerificationErrors: []string{"custom hostname does not CNAME to this zone.", `a "quoted", ünïcode error`},
		OwnershipToken:     ident.Secret128(),
		CustomOriginServer: "origin.saas.example",
		CustomOriginSNI:    "sni.saas.example",
		CustomMetadata: json.RawMessage(`{"customer_id": 12345, "paying": true, "ratio": 1.5,
			"tags": ["a", "b"], "nested": {"none": null}, "name": "ünïcode"}`),
		SSL: core.SSL{
			ID:                   ident.UUID(),
			Type:                 "dv",
			Method:               core.DCVTXT,
			Status:               core.SSLPendingValidation,
			Wildcard:             true,
			CertificateAuthority: "lets_encrypt",
			BundleMethod:         core.BundleOptimal,
			Settings: core.TLSSettings{
				MinTLSVersion: "1.2", TLS13: "on", HTTP2: "off", EarlyHints: "on",
				Ciphers: []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
			},
			ValidationRecords: []core.ValidationRecord{
				{TXTName: "_acme-challenge." + name, TXTValue: "tXt-VaLuE", Status: "pending"},
				{HTTPURL: "http://" + name + "/.well-known/acme-challenge/tok", HTTPBody: "tok.thumb",
					Emails: []string{"admin@" + name, "hostmaster@" + name}},
			},
			DCVDelegation:    []core.ValidationRecord{{CNAME: "_acme-challenge." + name, CNAMETarget: name + ".dcv.portico.example"}},
			DCVLabel:         ident.ZoneID(), // unique per hostname, as the service makes it
			ValidationErrors: []string{"CAA record forbids lets_encrypt"},
		},
		CreatedAt: base,
		UpdatedAt: base.Add(1500 * time.Microsecond),
		Version:   1,
	}
}

// minimalHostname returns a hostname with only the required fields.
func minimalHostname(zoneID, name string) core.Hostname {
	return core.Hostname{
		ID: ident.UUID(), ZoneID: zoneID, Name: name, Status: core.HostnamePending,
		OwnershipToken: ident.Secret128(),
		SSL:            core.SSL{ID: ident.UUID(), Type: "dv", Method: core.DCVHTTP, Status: core.SSLInitializing},
		CreatedAt:      base, UpdatedAt: base, Version: 1,
	}
}

func createHostname(t *testing.T, s store.Store, h core.Hostname) core.Hostname {
	t.Helper()
	if err := s.CreateHostname(ctx(t), h); err != nil {
		t.Fatalf("CreateHostname(%s): %v", h.Name, err)
	}
	h.Version = 1
	return h
}

func getHostname(t *testing.T, s store.Store, zoneID, id string) core.Hostname {
	t.Helper()
	h, err := s.GetHostname(ctx(t), zoneID, id)
	if err != nil {
		t.Fatalf("GetHostname(%s): %v", id, err)
	}
	return h
}

func certificate(hostnameID string, uploaded time.Time) core.Certificate {
	return core.Certificate{
		ID:                ident.UUID(),
		HostnameID:        hostnameID,
		Source:            core.SourceCustom,
		ChainPEM:          []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
		KeyCiphertext:     []byte{0, 1, 2, 0xfe, 0xff, 0},
		Issuer:            "Portico Test CA",
		SerialNumber:      "123456789012345678901234567890",
		Signature:         "ECDSAWithSHA256",
		Hosts:             []string{"shop.customer.example", "*.shop.customer.example"},
		FingerprintSHA256: "ab12cd34",
		BundleMethod:      core.BundleForce,
		IssuedOn:          uploaded.Add(-time.Hour),
		ExpiresOn:         uploaded.Add(90 * 24 * time.Hour),
		UploadedOn:        uploaded,
	}
}

// wantErr fails t unless err matches target (nil means success).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: %v, want success", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: %v, want %v", what, err, target)
	}
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, diffOpts...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func names(hs []core.Hostname) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func mustCount(t *testing.T, s store.Store, zoneID string, want int) {
	t.Helper()
	n, err := s.CountHostnames(ctx(t), zoneID)
	if err != nil {
		t.Fatalf("CountHostnames: %v", err)
	}
	if n != want {
		t.Errorf("CountHostnames = %d, want %d", n, want)
	}
}

func hostnameName(i int) string { return fmt.Sprintf("h%03d.customer.example", i) }

// implements returns s as the store interface T, which every store
// implements next to store.Store, or fails the test.
func implements[T any](t *testing.T, s store.Store) T {
	t.Helper()
	v, ok := s.(T)
	if !ok {
		var zero *T
		t.Fatalf("%T does not implement %T", s, zero)
	}
	return v
}
