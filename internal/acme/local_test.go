package acme_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/acme/internalca"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/secrets"
)

type nopPublisher struct{}

func (nopPublisher) PresentHTTP(context.Context, string, string, string) error { return nil }
func (nopPublisher) CleanupHTTP(context.Context, string, string) error         { return nil }
func (nopPublisher) PresentDNS(context.Context, string, string) error          { return nil }
func (nopPublisher) CleanupDNS(context.Context, string, string) error          { return nil }

// --issuer internal: the same lifecycle, signed in-process, no challenge.
func TestLocalCA(t *testing.T) {
	clk := clock.NewFake(time.Now())
	box, err := secrets.NewBox(bytes.Repeat([]byte{3}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := internalca.LoadOrCreate(t.TempDir(), box, clk)
	if err != nil {
		t.Fatal(err)
	}
	orders := &acme.MemOrders{}
	is, err := acme.New(acme.Config{CAs: map[string]acme.CAConfig{"internal": {Local: ca, LocalLifetime: 30 * 24 * time.Hour}}},
		orders, &acme.MemAccounts{}, nopPublisher{}, box, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	iss := acme.Issuance{ID: ident.UUID(), HostnameID: ident.UUID(), Identifiers: []string{"*.tenant.example.com"},
		Method: core.DCVTXT, Step: acme.StepNew}
	if err := orders.CreateIssuance(t.Context(), &iss); err != nil {
		t.Fatal(err)
	}
	if err := is.Run(t.Context(), iss.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := orders.GetIssuance(t.Context(), iss.ID)
	if got.Step != acme.StepDone || got.Result == nil || got.Version != 3 {
		t.Fatalf("step %s version %d result %v", got.Step, got.Version, got.Result != nil)
	}
	block, _ := pem.Decode(got.Result.ChainPEM)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.RootPEM())
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "shop.tenant.example.com", CurrentTime: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	if d := got.Result.NotAfter.Sub(clk.Now()); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("lifetime %v, want 30 days", d)
	}
	if _, err := box.Open(got.Result.KeyCiphertext, acme.CertificateKeyAAD(iss.ID, iss.HostnameID)); err != nil {
		t.Errorf("key: %v", err)
	}
}
