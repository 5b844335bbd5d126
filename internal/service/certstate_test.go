package service_test

import (
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
)

// TestUnconfiguredCA: a certificate authority no CA is configured for is a
// clear 400 on create and on edit; a configured one and the default pass.
func TestUnconfiguredCA(t *testing.T) {
	e := servicetest.New(t, func(c *service.Config) { c.CertificateAuthorities = []string{"lets_encrypt"} })
	z, _ := e.Zone(t, saas)
	for _, tc := range []struct {
		ca     string
		reason string
	}{
		{"", ""},
		{"lets_encrypt", ""},
		{"google", service.ReasonInvalidCA},
		{"ssl_com", service.ReasonInvalidCA},
	} {
		name := "ca-" + strings.ReplaceAll(tc.ca, "_", "-") + "x.example-customer.com"
		_, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: name,
			SSL: &service.SSLInput{CertificateAuthority: ptr(tc.ca)}})
		if got := core.AsError(err); (tc.reason == "" && err != nil) || (tc.reason != "" && (got == nil || got.Reason != tc.reason || got.Kind != core.KindInvalid)) {
			t.Errorf("certificate_authority %q: %v, want reason %q", tc.ca, err, tc.reason)
		}
	}
	h, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "edit.example-customer.com"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.EditHostname(ctx, z.ID, h.ID, service.HostnamePatch{SSL: &service.SSLInput{CertificateAuthority: ptr("google")}})
	if got := core.AsError(err); got == nil || got.Reason != service.ReasonInvalidCA {
		t.Errorf("edit to an unconfigured CA: %v", err)
	}
}

// TestSetSSLState: the lifecycle's view of a certificate reaches the
// hostname, by a legal path, once.
func TestSetSSLState(t *testing.T) {
	e := servicetest.New(t, nil)
	z, _ := e.Zone(t, saas)
	h, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "state.example-customer.com"})
	if err != nil {
		t.Fatal(err)
	}
	recs := []core.ValidationRecord{{HTTPURL: "http://state.example-customer.com/.well-known/acme-challenge/x", HTTPBody: "x.y", Status: "pending"}}
	if err := e.Svc.SetSSLState(ctx, z.ID, h.ID, service.SSLState{Status: core.SSLPendingValidation, ValidationRecords: recs}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.Svc.GetHostname(ctx, z.ID, h.ID)
	if got.SSL.Status != core.SSLPendingValidation || len(got.SSL.ValidationRecords) != 1 || got.SSL.ValidationRecords[0].HTTPBody != "x.y" {
		t.Fatalf("ssl %+v", got.SSL)
	}
	v := got.Version
	if err := e.Svc.SetSSLState(ctx, z.ID, h.ID, service.SSLState{Status: core.SSLPendingValidation, ValidationRecords: recs}); err != nil {
		t.Fatal(err)
	}
	if again, _ := e.Svc.GetHostname(ctx, z.ID, h.ID); again.Version != v {
		t.Error("an unchanged state was written again")
	}
	if err := e.Svc.SetSSLState(ctx, z.ID, h.ID, service.SSLState{Status: core.SSLActive}); err != nil {
		t.Fatalf("pending_validation -> active (through initializing): %v", err)
	}
	if err := e.Svc.SetSSLState(ctx, z.ID, h.ID, service.SSLState{Status: core.SSLStagingActive}); err == nil {
		t.Error("an illegal status change was accepted")
	}
}
