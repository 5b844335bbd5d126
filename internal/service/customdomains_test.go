package service_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
)

func TestCreateCustomDomain(t *testing.T) {
	e := servicetest.New(t, func(c *service.Config) { c.QuotaPerZone = 3; c.DCVZone = "dcv.saas-edge.net" })
	z, _ := e.Zone(t, saas)
	host := "app.saasprovider-origin.net"
	u, err := e.Svc.CreateUpstream(ctx, z.ID, service.UpstreamInput{Host: &host})
	if err != nil {
		t.Fatal(err)
	}

	d, err := e.Svc.CreateCustomDomain(ctx, z.ID, u.ID, service.CustomDomainInput{Host: "Example-Customer.com", RedirectToWWW: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Hostname.Name != "example-customer.com" || d.WWW == nil || d.WWW.Hostname.Name != "www.example-customer.com" ||
		d.Domain.WWWHostnameID != d.WWW.Hostname.ID || d.Domain.UpstreamID != u.ID || d.Hostname.SSL.Method != core.DCVHTTP {
		t.Fatalf("created %+v", d)
	}
	// Both hostnames are announced to the hooks (verification, edge, webhooks).
	calls := e.Hooks.Take()
	for _, id := range []string{d.Hostname.ID, d.WWW.Hostname.ID} {
		if !slices.Contains(calls, service.ChangeCreated+" "+id) {
			t.Errorf("no created hook for %s: %v", id, calls)
		}
	}
	got, err := e.Svc.GetCustomDomain(ctx, z.ID, u.ID, d.Hostname.ID)
	if err != nil || got.WWW == nil || got.Hostname.ID != d.Hostname.ID {
		t.Fatalf("GetCustomDomain: %+v %v", got, err)
	}

	// The quota counts the companion: 2 used of 3, so another www domain
	// does not fit and leaves nothing behind.
	_, err = e.Svc.CreateCustomDomain(ctx, z.ID, u.ID, service.CustomDomainInput{Host: "second.com", RedirectToWWW: true})
	wantErr(t, err, core.KindForbidden, service.ReasonQuotaExceeded)
	dns01, err := e.Svc.CreateCustomDomain(ctx, z.ID, u.ID, service.CustomDomainInput{Host: "shop.second.com", ChallengeType: "dns01"})
	if err != nil || dns01.Hostname.SSL.Method != core.DCVTXT || len(dns01.Hostname.SSL.DCVDelegation) != 1 {
		t.Fatalf("dns01: %+v %v", dns01, err)
	}

	for _, tc := range []struct {
		in     service.CustomDomainInput
		kind   core.Kind
		reason string
	}{
		{service.CustomDomainInput{}, core.KindInvalid, service.ReasonCustomDomainHostRequired},
		{service.CustomDomainInput{Host: "x.third.com", ChallengeType: "tls-alpn-01"}, core.KindInvalid, service.ReasonInvalidChallengeType},
		{service.CustomDomainInput{Host: "*.third.com", ChallengeType: "http01"}, core.KindInvalid, service.ReasonInvalidChallengeType},
		{service.CustomDomainInput{Host: "www.third.com", RedirectToWWW: true}, core.KindInvalid, service.ReasonRedirectToWWWNotAllowed},
		{service.CustomDomainInput{Host: "x.third.com", InstructionsRecipient: "owner@third.com"}, core.KindInvalid, service.ReasonInstructionsUnavailable},
		{service.CustomDomainInput{Host: "example-customer.com"}, core.KindForbidden, service.ReasonQuotaExceeded},
	} {
		_, err := e.Svc.CreateCustomDomain(ctx, z.ID, u.ID, tc.in)
		wantErr(t, err, tc.kind, tc.reason)
	}
	_, err = e.Svc.CreateCustomDomain(ctx, z.ID, "0d89c70d-ad9f-4843-b99f-6cc0252067e9", service.CustomDomainInput{Host: "x.third.com"})
	wantErr(t, err, core.KindNotFound, service.ReasonUpstreamNotFound)

	// Instruction emails on: the recipient is checked and kept bare.
	e.Svc.SetInstructionEmails(&service.InstructionsConfig{EdgeIPv4: []netip.Addr{netip.MustParseAddr("203.0.113.7")}})
	_, err = e.Svc.CreateCustomDomain(ctx, z.ID, u.ID, service.CustomDomainInput{Host: "x.third.com", InstructionsRecipient: "not an address"})
	wantErr(t, err, core.KindInvalid, service.ReasonInvalidRecipient)

	// The records of the apex domain: A on the edge, TXT, and the
	// companion's CNAME and TXT.
	inst, err := e.Svc.Instructions(ctx, z.ID, d.Hostname.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range inst.Records {
		lines = append(lines, r.Type+" "+r.Name+" "+r.Value)
	}
	want := []string{
		"A example-customer.com 203.0.113.7",
		"TXT _cf-custom-hostname.example-customer.com " + d.Hostname.OwnershipToken,
		"CNAME www.example-customer.com customers.saas-edge.net",
		"TXT _cf-custom-hostname.www.example-customer.com " + d.WWW.Hostname.OwnershipToken,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	inst, err = e.Svc.Instructions(ctx, z.ID, dns01.Hostname.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := inst.Records[len(inst.Records)-1]; last.Type != "CNAME" || last.Name != "_acme-challenge.shop.second.com" ||
		!strings.HasSuffix(last.Value, ".dcv.saas-edge.net") {
		t.Errorf("dns01 delegation record %+v", last)
	}

	// Deleting the domain deletes its companion, and tells the hooks.
	e.Hooks.Take()
	if _, err := e.Svc.DeleteCustomDomain(ctx, z.ID, u.ID, d.Hostname.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.GetHostname(ctx, z.ID, d.WWW.Hostname.ID); err == nil {
		t.Error("the companion outlived its domain")
	}
	if calls := e.Hooks.Take(); len(calls) != 2 {
		t.Errorf("delete hooks %v", calls)
	}
	// The upstream is free once its last domain is gone.
	_, err = e.Svc.DeleteUpstream(ctx, z.ID, u.ID)
	wantErr(t, err, core.KindConflict, service.ReasonUpstreamInUse)
	if _, err := e.Svc.DeleteCustomDomain(ctx, z.ID, u.ID, dns01.Hostname.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.DeleteUpstream(ctx, z.ID, u.ID); err != nil {
		t.Fatal(err)
	}
}
