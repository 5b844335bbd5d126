package scdapi

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

func part(name string, st core.HostnameStatus, dns string) service.DomainPart {
	return service.DomainPart{Hostname: core.Hostname{Name: name, Status: st}, DNSStatus: dns}
}

func TestDomainStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    service.CustomDomain
		want string
	}{
		{"not checked yet", service.CustomDomain{DomainPart: part("a.x.com", core.HostnamePending, "")}, statusPendingCheck},
		{"could not check", service.CustomDomain{DomainPart: part("a.x.com", core.HostnamePending, "pending")}, statusPendingCheck},
		{"not found", service.CustomDomain{DomainPart: part("a.x.com", core.HostnamePending, "invalid")}, statusNotFound},
		{"proven", service.CustomDomain{DomainPart: part("a.x.com", core.HostnamePending, "valid")}, statusFound},
		{"active", service.CustomDomain{DomainPart: part("a.x.com", core.HostnameActive, "")}, statusFound},
		{"redeploying", service.CustomDomain{DomainPart: part("a.x.com", core.HostnameActiveRedeploying, "pending")}, statusFound},
		{"moved", service.CustomDomain{DomainPart: part("a.x.com", core.HostnameMoved, "invalid")}, statusNotFound},
		{"wildcard", service.CustomDomain{DomainPart: part("*.x.com", core.HostnamePending, "invalid")}, statusUnnecessary},
		{"apex found, www pending", service.CustomDomain{DomainPart: part("x.com", core.HostnameActive, "valid"),
			WWW: &service.DomainPart{Hostname: core.Hostname{Name: "www.x.com", Status: core.HostnamePending}}}, statusPendingCheck},
		{"apex found, www not found", service.CustomDomain{DomainPart: part("x.com", core.HostnameActive, "valid"),
			WWW: ptr(part("www.x.com", core.HostnamePending, "invalid"))}, statusNotFound},
		{"both found", service.CustomDomain{DomainPart: part("x.com", core.HostnameActive, "valid"),
			WWW: ptr(part("www.x.com", core.HostnameActive, "valid"))}, statusFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := domainStatus(tc.d); got != tc.want {
				t.Errorf("domainStatus = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDNSAndDelegationStatus(t *testing.T) {
	d := func(dns ...string) service.CustomDomain {
		out := service.CustomDomain{DomainPart: part("x.com", core.HostnamePending, dns[0])}
		if len(dns) > 1 {
			out.WWW = ptr(part("www.x.com", core.HostnamePending, dns[1]))
		}
		return out
	}
	for _, tc := range []struct {
		d    service.CustomDomain
		want string
	}{
		{d("valid"), dnsValid}, {d("invalid"), dnsInvalid}, {d(""), dnsPending}, {d("pending"), dnsPending},
		{d("valid", "pending"), dnsPending}, {d("pending", "invalid"), dnsInvalid}, {d("valid", "valid"), dnsValid},
	} {
		if got := dnsStatus(tc.d); got != tc.want {
			t.Errorf("dnsStatus(%q, www %v) = %s, want %s", tc.d.DNSStatus, tc.d.WWW, got, tc.want)
		}
	}
	deleg := func(statuses ...string) service.CustomDomain {
		var d service.CustomDomain
		for i, s := range statuses {
			p := service.DomainPart{Hostname: core.Hostname{Name: "x.com", SSL: core.SSL{Method: core.DCVTXT}}}
			if s != "-" {
				p.Hostname.SSL.DCVDelegation = []core.ValidationRecord{{CNAME: "_acme-challenge.x.com", CNAMETarget: "l.dcv.example", Status: s}}
			}
			if i == 0 {
				d.DomainPart = p
			} else {
				d.WWW = &p
			}
		}
		return d
	}
	for _, tc := range []struct {
		d    service.CustomDomain
		want string
	}{
		{deleg("pending"), recordPending}, {deleg("active"), recordValid}, {deleg("valid", "active"), recordValid},
		{deleg("valid", "pending"), recordPending}, {deleg("-"), recordPending}, {deleg("missing"), recordMissing},
	} {
		if got := delegationStatus(tc.d); got != tc.want {
			t.Errorf("delegationStatus = %s, want %s", got, tc.want)
		}
	}
}

func TestRenderDomain(t *testing.T) {
	at := time.Date(2023, 3, 11, 14, 38, 12, 550_123_000, time.UTC)
	h := core.Hostname{ID: "0d89c70d-ad9f-4843-b99f-6cc0252067e9", Name: "app.user.com", Status: core.HostnamePending,
		SSL: core.SSL{Method: core.DCVHTTP, Status: core.SSLInitializing,
			DCVDelegation: []core.ValidationRecord{{CNAME: "_acme-challenge.app.user.com", CNAMETarget: "l.dcv.example"}}},
		CreatedAt: at, UpdatedAt: at}
	got := renderDomain(service.CustomDomain{DomainPart: service.DomainPart{Hostname: h},
		Domain: core.CustomDomain{UpstreamID: "3f43d84c-0000-4000-8000-000000000001", UpdatedAt: at.Add(time.Second)}})
	if got.UUID != "domain_0d89c70dad9f4843b99f6cc0252067e9" || got.CreatedAt != "2023-03-11T14:38:12.550Z" ||
		got.UpdatedAt != "2023-03-11T14:38:13.550Z" || got.LastDNSCheckAt != nil || got.ChallengeType != "http01" ||
		got.ACMEChallengeDNSRecordStatus != recordValid || got.DelegatedDCVRecordHostname != nil ||
		*got.UpstreamUUID != "upstream_3f43d84c000040008000000000000001" || got.TLSCertificateIssued {
		t.Errorf("%+v", got)
	}
	// dns01 shows the delegation record.
	h.SSL.Method = core.DCVTXT
	got = renderDomain(service.CustomDomain{DomainPart: service.DomainPart{Hostname: h}})
	if got.ChallengeType != "dns01" || got.UpstreamUUID != nil || *got.DelegatedDCVRecordHostname != "_acme-challenge.app.user.com" ||
		*got.DelegatedDCVRecordValue != "l.dcv.example" || got.ACMEChallengeDNSRecordStatus != recordPending {
		t.Errorf("dns01: %+v", got)
	}
}

func TestObjectIDs(t *testing.T) {
	id := "0d89c70d-ad9f-4843-b99f-6cc0252067e9"
	for _, tc := range []struct {
		in, want string
	}{
		{publicID(domainPrefix, id), id},
		{"DOMAIN_0D89C70DAD9F4843B99F6CC0252067E9", id},
		{"domain_52069e63", ""},
		{"upstream_0d89c70dad9f4843b99f6cc0252067e9", ""},
		{"domain_0d89c70dad9f4843b99f6cc0252067zz", ""},
		{"domain_0d89c70d-ad9f-4843-b99f-6cc0252067e9", ""},
		{"", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.SetPathValue("domain_uuid", tc.in)
		got, err := domainID(r)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q accepted as %q", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q -> %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestPaging(t *testing.T) {
	for _, tc := range []struct {
		q             string
		page, perPage int
		err           bool
	}{
		{"", 1, 20, false}, {"page=7", 7, 20, false}, {"page=0", 1, 20, false}, {"page=-3", 1, 20, false},
		{"per_page=5", 1, 5, false}, {"per_page=1000", 1, 100, false}, {"page=99999999999", maxPage, 20, false},
		{"per_page=0", 0, 0, true}, {"page=x", 0, 0, true}, {"per_page=1.5", 0, 0, true},
	} {
		page, perPage, err := paging(httptest.NewRequest("GET", "/?"+tc.q, nil))
		if (err != nil) != tc.err || page != tc.page || perPage != tc.perPage {
			t.Errorf("%q: %d %d %v", tc.q, page, perPage, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }
