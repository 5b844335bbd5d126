package service_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
)

func ptr[T any](v T) *T { return &v }

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestCreateHostnameDefaults(t *testing.T) {
	e := servicetest.New(t, func(c *service.Config) { c.DCVZone = "dcv.saas-edge.net" })
	z, _ := e.Zone(t, saas)
	h, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "Shop.Example-Customer.COM"})
	if err != nil {
		t.Fatal(err)
	}
	if !uuidRE.MatchString(h.ID) || !uuidRE.MatchString(h.SSL.ID) || !uuidRE.MatchString(h.OwnershipToken) {
		t.Errorf("ids %q / %q / token %q are not UUID-shaped", h.ID, h.SSL.ID, h.OwnershipToken)
	}
	if h.ID == h.SSL.ID || h.OwnershipToken == h.ID {
		t.Error("ids are reused")
	}
	want := core.Hostname{
		ID: h.ID, ZoneID: z.ID, Name: "shop.example-customer.com", Status: core.HostnamePending,
		OwnershipToken: h.OwnershipToken,
		SSL: core.SSL{
			ID: h.SSL.ID, Type: "dv", Method: core.DCVHTTP, Status: core.SSLInitializing,
			BundleMethod: core.BundleUbiquitous,
			DCVDelegation: []core.ValidationRecord{{
				CNAME: "_acme-challenge.shop.example-customer.com", CNAMETarget: h.SSL.DCVDelegation[0].CNAMETarget, Status: "pending",
			}},
			// The label is the target's first label; the store keeps it.
			DCVLabel: strings.TrimSuffix(h.SSL.DCVDelegation[0].CNAMETarget, ".dcv.saas-edge.net"),
		},
		CreatedAt: servicetest.Start.Truncate(1000), UpdatedAt: servicetest.Start.Truncate(1000), Version: 1,
	}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("created hostname (-want +got):\n%s", diff)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}\.dcv\.saas-edge\.net$`).MatchString(h.SSL.DCVDelegation[0].CNAMETarget) {
		t.Errorf("dcv target %q", h.SSL.DCVDelegation[0].CNAMETarget)
	}
	got, err := e.Svc.GetHostname(ctx, z.ID, strings.ToUpper(h.ID))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, got); diff != "" {
		t.Errorf("GET differs from create (-create +get):\n%s", diff)
	}
	if calls := e.Hooks.Take(); !cmp.Equal(calls, []string{"created " + h.ID}) {
		t.Errorf("hooks = %v", calls)
	}
	ev := e.Logs.Records(map[string]string{"component": "audit", "event": service.EventHostnameCreated})
	if len(ev) != 1 || ev[0]["hostname_id"] != h.ID || ev[0]["hostname"] != h.Name || ev[0]["zone_id"] != z.ID || ev[0]["to"] != "pending" || ev[0]["from"] != "" {
		t.Errorf("audit events = %v", ev)
	}
	if strings.Contains(e.Logs.String(), h.OwnershipToken) {
		t.Error("the ownership token was logged")
	}

	// A second hostname gets a different delegation target (threat model A4).
	h2, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "*.example-customer.com"})
	if err != nil {
		t.Fatal(err)
	}
	if h2.SSL.Method != core.DCVTXT || h2.SSL.DCVDelegation[0].CNAME != "_acme-challenge.example-customer.com" ||
		h2.SSL.DCVDelegation[0].CNAMETarget == h.SSL.DCVDelegation[0].CNAMETarget {
		t.Errorf("wildcard hostname ssl = %+v", h2.SSL)
	}
}

func TestCreateHostnameFull(t *testing.T) {
	e := servicetest.New(t, nil)
	z, _ := e.Zone(t, saas)
	h, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{
		Hostname: "app.example-customer.com",
		SSL: &service.SSLInput{
			Method: ptr("TXT"), Type: ptr("dv"), Wildcard: ptr(true), CertificateAuthority: ptr("lets_encrypt"),
			BundleMethod: ptr("force"),
			Settings: &service.TLSSettingsInput{MinTLSVersion: ptr("1.2"), TLS13: ptr("on"), HTTP2: ptr("off"), EarlyHints: ptr("on"),
				Ciphers: []string{"ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA", "AES128-SHA"}},
		},
		CustomOriginServer: ptr("Origin.SaaSProvider.com:8443"),
		CustomOriginSNI:    ptr(":request_host_header:"),
		CustomMetadata:     json.RawMessage(`{ "customer_id": "12345", "n": 1 }`),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantSSL := core.SSL{ID: h.SSL.ID, Type: "dv", Method: core.DCVTXT, Status: core.SSLInitializing, Wildcard: true,
		CertificateAuthority: "lets_encrypt", BundleMethod: core.BundleForce,
		Settings: core.TLSSettings{MinTLSVersion: "1.2", TLS13: "on", HTTP2: "off", EarlyHints: "on",
			Ciphers: []string{"ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA"}}}
	if diff := cmp.Diff(wantSSL, h.SSL); diff != "" {
		t.Errorf("ssl (-want +got):\n%s", diff)
	}
	if h.CustomOriginServer != "origin.saasprovider.com:8443" || h.CustomOriginSNI != ":request_host_header:" ||
		string(h.CustomMetadata) != `{"customer_id":"12345","n":1}` {
		t.Errorf("origin %q sni %q metadata %s", h.CustomOriginServer, h.CustomOriginSNI, h.CustomMetadata)
	}
	// ssl.wildcard without a method defaults to txt.
	h2, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "w.example-customer.com", SSL: &service.SSLInput{Wildcard: ptr(true)}})
	if err != nil || h2.SSL.Method != core.DCVTXT {
		t.Errorf("ssl.wildcard default method = %q, %v", h2.SSL.Method, err)
	}
}

func TestCreateHostnameRefused(t *testing.T) {
	e := servicetest.New(t, func(c *service.Config) { c.DCVZone = "dcv.portico-dcv.net" })
	z, _ := e.Zone(t, saas)
	strict, _ := e.Zone(t, service.ZoneInput{Name: "strict-saas.com", CNAMETarget: "edge.strict-saas.com", NoWildcards: true})
	if _, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "taken.example-customer.com"}); err != nil {
		t.Fatal(err)
	}
	big := `{"k":"` + strings.Repeat("x", 4100) + `"}`
	for _, tc := range []struct {
		name   string
		zone   string
		in     service.HostnameInput
		kind   core.Kind
		reason string
		rule   string // the dnsname rule behind an invalid name
	}{
		{"empty", "", service.HostnameInput{}, core.KindInvalid, service.ReasonInvalidHostname, dnsname.ReasonEmpty},
		{"trailing dot", "", service.HostnameInput{Hostname: "shop.example-customer.com."}, core.KindInvalid, service.ReasonInvalidHostname, dnsname.ReasonTrailingDot},
		{"non ascii", "", service.HostnameInput{Hostname: "bücher.de"}, core.KindInvalid, service.ReasonInvalidHostname, dnsname.ReasonNonASCII},
		{"ip", "", service.HostnameInput{Hostname: "192.0.2.1"}, core.KindInvalid, service.ReasonInvalidHostname, dnsname.ReasonIPLiteral},
		{"zone name", "", service.HostnameInput{Hostname: "app.saasprovider.com"}, core.KindInvalid, service.ReasonInvalidHostname, dnsname.ReasonProviderZone},
		{"cname target domain", "", service.HostnameInput{Hostname: "x.saas-edge.net"}, core.KindInvalid, service.ReasonInvalidHostname, dnsname.ReasonProviderZone},
		{"dcv zone", "", service.HostnameInput{Hostname: "a.dcv.portico-dcv.net"}, core.KindInvalid, service.ReasonInvalidHostname, dnsname.ReasonProviderZone},
		{"wildcard in strict zone", strict.ID, service.HostnameInput{Hostname: "*.example-customer.com"}, core.KindInvalid, service.ReasonInvalidHostname, dnsname.ReasonWildcardNotAllowed},
		{"duplicate", "", service.HostnameInput{Hostname: "TAKEN.example-customer.com"}, core.KindConflict, service.ReasonDuplicateHostname, ""},
		{"email", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Method: ptr("email")}}, core.KindInvalid, service.ReasonMethodEmailUnsupported, ""},
		{"cname method", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Method: ptr("cname")}}, core.KindInvalid, service.ReasonInvalidMethod, ""},
		{"type ev", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Type: ptr("ev")}}, core.KindInvalid, service.ReasonInvalidType, ""},
		{"wildcard http", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Method: ptr("http"), Wildcard: ptr(true)}}, core.KindInvalid, service.ReasonWildcardRequiresTXT, ""},
		{"wildcard name http", "", service.HostnameInput{Hostname: "*.example-customer.com", SSL: &service.SSLInput{Method: ptr("http")}}, core.KindInvalid, service.ReasonWildcardRequiresTXT, ""},
		{"ssl.wildcard in strict zone", strict.ID, service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Wildcard: ptr(true)}}, core.KindInvalid, service.ReasonWildcardNotAllowed, ""},
		{"ca", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{CertificateAuthority: ptr("verisign")}}, core.KindInvalid, service.ReasonInvalidCA, ""},
		{"bundle", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{BundleMethod: ptr("best")}}, core.KindInvalid, service.ReasonInvalidBundleMethod, ""},
		{"csr", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{CustomCSRID: ptr("7b163417-1d2b-4c84-a38a-2fb7a0cd7752")}}, core.KindInvalid, service.ReasonCustomCSRUnsupported, ""},
		{"min tls", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Settings: &service.TLSSettingsInput{MinTLSVersion: ptr("1.4")}}}, core.KindInvalid, service.ReasonInvalidMinTLSVersion, ""},
		{"tls 1.3", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Settings: &service.TLSSettingsInput{TLS13: ptr("yes")}}}, core.KindInvalid, service.ReasonInvalidTLS13, ""},
		{"tls 1.3 off at min 1.3", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Settings: &service.TLSSettingsInput{MinTLSVersion: ptr("1.3"), TLS13: ptr("off")}}}, core.KindInvalid, service.ReasonInvalidTLS13, ""},
		{"http2", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Settings: &service.TLSSettingsInput{HTTP2: ptr("1")}}}, core.KindInvalid, service.ReasonInvalidHTTP2, ""},
		{"early hints", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Settings: &service.TLSSettingsInput{EarlyHints: ptr("maybe")}}}, core.KindInvalid, service.ReasonInvalidEarlyHints, ""},
		{"cipher", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Settings: &service.TLSSettingsInput{Ciphers: []string{"TLS_AES_128_GCM_SHA256"}}}}, core.KindInvalid, service.ReasonInvalidCiphers, ""},
		{"ciphers at 1.3", "", service.HostnameInput{Hostname: "a.example-customer.com", SSL: &service.SSLInput{Settings: &service.TLSSettingsInput{MinTLSVersion: ptr("1.3"), Ciphers: []string{"AES128-SHA"}}}}, core.KindInvalid, service.ReasonCiphersWithTLS13, ""},
		{"origin", "", service.HostnameInput{Hostname: "a.example-customer.com", CustomOriginServer: ptr("ftp://origin.saasprovider.com")}, core.KindInvalid, service.ReasonInvalidOrigin, dnsname.ReasonBadScheme},
		{"sni", "", service.HostnameInput{Hostname: "a.example-customer.com", CustomOriginSNI: ptr("bad sni")}, core.KindInvalid, service.ReasonInvalidOriginSNI, dnsname.ReasonControlOrSpace},
		{"metadata array", "", service.HostnameInput{Hostname: "a.example-customer.com", CustomMetadata: json.RawMessage(`[1]`)}, core.KindInvalid, service.ReasonInvalidMetadata, ""},
		{"metadata string", "", service.HostnameInput{Hostname: "a.example-customer.com", CustomMetadata: json.RawMessage(`"x"`)}, core.KindInvalid, service.ReasonInvalidMetadata, ""},
		{"metadata too large", "", service.HostnameInput{Hostname: "a.example-customer.com", CustomMetadata: json.RawMessage(big)}, core.KindInvalid, service.ReasonMetadataTooLarge, ""},
		{"metadata on wildcard", "", service.HostnameInput{Hostname: "*.example-customer.com", CustomMetadata: json.RawMessage(`{"a":"b"}`)}, core.KindInvalid, service.ReasonMetadataOnWildcard, ""},
		{"unknown zone", strings.Repeat("f", 32), service.HostnameInput{Hostname: "a.example-customer.com"}, core.KindNotFound, service.ReasonZoneNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zoneID := tc.zone
			if zoneID == "" {
				zoneID = z.ID
			}
			before := e.Count(t, zoneID)
			_, err := e.Svc.CreateHostname(ctx, zoneID, tc.in)
			wantErr(t, err, tc.kind, tc.reason)
			if got := service.NameErrorReason(err); got != tc.rule {
				t.Errorf("dnsname rule = %q, want %q", got, tc.rule)
			}
			if after := e.Count(t, zoneID); after != before {
				t.Errorf("a refused create changed the zone: %d -> %d hostnames", before, after)
			}
		})
	}
}

func TestGetListDeleteAndTenancy(t *testing.T) {
	e := servicetest.New(t, nil)
	a, _ := e.Zone(t, saas)
	b, _ := e.Zone(t, service.ZoneInput{Name: "other-saas.com", CNAMETarget: "edge.other-saas.com"})
	var ids []string
	for _, name := range []string{"b.example-customer.com", "a.example-customer.com", "shop.other-customer.org"} {
		e.Clock.Advance(1e9)
		h, err := e.Svc.CreateHostname(ctx, a.ID, service.HostnameInput{Hostname: name, SSL: &service.SSLInput{Method: ptr("txt")}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.ID)
	}
	if _, err := e.Svc.CreateHostname(ctx, b.ID, service.HostnameInput{Hostname: "a.example-customer.com"}); err != nil {
		t.Fatalf("the same name in another zone: %v", err)
	}
	names := func(l service.HostnameList) []string {
		var out []string
		for _, h := range l.Hostnames {
			out = append(out, h.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		opts  service.ListOptions
		want  []string
		total int
	}{
		{"all by creation", service.ListOptions{}, []string{"b.example-customer.com", "a.example-customer.com", "shop.other-customer.org"}, 3},
		{"page", service.ListOptions{Offset: 1, Limit: 1}, []string{"a.example-customer.com"}, 3},
		{"past the end", service.ListOptions{Offset: 10, Limit: 5}, nil, 3},
		{"exact, any case", service.ListOptions{Filter: service.HostnameFilter{NameExact: "A.Example-Customer.com"}}, []string{"a.example-customer.com"}, 1},
		{"contains", service.ListOptions{Filter: service.HostnameFilter{NameContains: "example"}}, []string{"b.example-customer.com", "a.example-customer.com"}, 2},
		{"starts with", service.ListOptions{Filter: service.HostnameFilter{NameStartsWith: "shop."}}, []string{"shop.other-customer.org"}, 1},
		{"id", service.ListOptions{Filter: service.HostnameFilter{ID: strings.ToUpper(ids[0])}}, []string{"b.example-customer.com"}, 1},
		{"ssl active", service.ListOptions{Filter: service.HostnameFilter{HasActiveSSL: ptr(true)}}, nil, 0},
		{"ssl status", service.ListOptions{Filter: service.HostnameFilter{SSLStatus: core.SSLInitializing}}, []string{"b.example-customer.com", "a.example-customer.com", "shop.other-customer.org"}, 3},
		{"desc", service.ListOptions{Desc: true, Limit: 2}, []string{"shop.other-customer.org", "a.example-customer.com"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := e.Svc.ListHostnames(ctx, a.ID, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, names(l)); diff != "" || l.Total != tc.total {
				t.Errorf("names (-want +got):\n%s\ntotal %d, want %d", diff, l.Total, tc.total)
			}
		})
	}
	_, err := e.Svc.ListHostnames(ctx, a.ID, service.ListOptions{Order: "size"})
	wantErr(t, err, core.KindInvalid, service.ReasonInvalidListQuery)

	// Zone B sees none of zone A's hostnames, by id or in lists.
	for _, id := range ids {
		_, err := e.Svc.GetHostname(ctx, b.ID, id)
		wantErr(t, err, core.KindNotFound, service.ReasonHostnameNotFound)
		_, err = e.Svc.EditHostname(ctx, b.ID, id, service.HostnamePatch{CustomOriginServer: ptr("evil.example-attacker.com")})
		wantErr(t, err, core.KindNotFound, service.ReasonHostnameNotFound)
		wantErr(t, e.Svc.DeleteHostname(ctx, b.ID, id), core.KindNotFound, service.ReasonHostnameNotFound)
	}
	l, err := e.Svc.ListHostnames(ctx, b.ID, service.ListOptions{Filter: service.HostnameFilter{ID: ids[0]}})
	if err != nil || l.Total != 0 {
		t.Errorf("zone B listing zone A's id: %v, %v", names(l), err)
	}

	e.Hooks.Take()
	if err := e.Svc.DeleteHostname(ctx, a.ID, ids[1]); err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.GetHostname(ctx, a.ID, ids[1])
	wantErr(t, err, core.KindNotFound, service.ReasonHostnameNotFound)
	wantErr(t, e.Svc.DeleteHostname(ctx, a.ID, ids[1]), core.KindNotFound, service.ReasonHostnameNotFound)
	if calls := e.Hooks.Take(); !cmp.Equal(calls, []string{"deleted " + ids[1]}) {
		t.Errorf("hooks = %v", calls)
	}
	ev := e.Logs.Records(map[string]string{"event": service.EventHostnameDeleted})
	if len(ev) != 1 || ev[0]["from"] != "pending" || ev[0]["to"] != "deleted" || ev[0]["hostname"] != "a.example-customer.com" {
		t.Errorf("delete audit = %v", ev)
	}
	if e.Count(t, a.ID) != 2 || e.Count(t, b.ID) != 1 {
		t.Errorf("counts after delete: %d, %d", e.Count(t, a.ID), e.Count(t, b.ID))
	}
}
