package service_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/porticohq/portico/internal/apitoken"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
)

var ctx = context.Background()

// saas is the zone of most tests, as in testdata/hostnames.jsonl.
var saas = service.ZoneInput{Name: "saasprovider.com", CNAMETarget: "customers.saas-edge.net"}

// wantErr checks err's kind and reason.
func wantErr(t *testing.T, err error, kind core.Kind, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", reason)
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %v (%T), want a *core.Error %s", err, err, reason)
	}
	if ce.Kind != kind || ce.Reason != reason {
		t.Fatalf("got kind %d reason %q (%v), want kind %d reason %q", ce.Kind, ce.Reason, err, kind, reason)
	}
	if ce.Public == "" {
		t.Errorf("error %q has no public message", reason)
	}
}

func TestCreateZone(t *testing.T) {
	e := servicetest.New(t, nil)
	z, err := e.Svc.CreateZone(ctx, service.ZoneInput{Name: "SaaSProvider.com", CNAMETarget: "Customers.SaaSProvider.com", FallbackOrigin: "https://Fallback.SaaSProvider.com:8443", NoWildcards: true})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(z.ID) {
		t.Errorf("zone id %q is not 32 hex", z.ID)
	}
	if z.Name != "saasprovider.com" || z.CNAMETarget != "customers.saasprovider.com" || !z.NoWildcards {
		t.Errorf("zone = %+v", z)
	}
	if z.Fallback == nil || z.Fallback.Status != core.FallbackActive || !z.CreatedAt.Equal(servicetest.Start.Truncate(1000)) {
		t.Errorf("fallback/created = %+v / %v", z.Fallback, z.CreatedAt)
	}
	got, err := e.Svc.GetZone(ctx, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(z, got); diff != "" {
		t.Errorf("GetZone differs (-created +read):\n%s", diff)
	}
	zones, err := e.Svc.ListZones(ctx)
	if err != nil || len(zones) != 1 {
		t.Fatalf("ListZones = %d zones, %v", len(zones), err)
	}
	if len(e.Logs.Records(map[string]string{"component": "audit", "event": service.EventZoneCreated, "zone_id": z.ID})) != 1 {
		t.Errorf("no zone_created audit event in:\n%s", e.Logs)
	}

	_, err = e.Svc.GetZone(ctx, strings.Repeat("0", 32))
	wantErr(t, err, core.KindNotFound, service.ReasonZoneNotFound)
}

func TestCreateZoneRefused(t *testing.T) {
	e := servicetest.New(t, nil)
	for _, tc := range []struct {
		name   string
		in     service.ZoneInput
		reason string
	}{
		{"empty name", service.ZoneInput{CNAMETarget: "customers.saas.com"}, service.ReasonInvalidZoneName},
		{"url as name", service.ZoneInput{Name: "https://saas.com", CNAMETarget: "customers.saas.com"}, service.ReasonInvalidZoneName},
		{"empty target", service.ZoneInput{Name: "saas.com"}, service.ReasonInvalidCNAMETarget},
		{"bad fallback", service.ZoneInput{Name: "saas.com", CNAMETarget: "customers.saas.com", FallbackOrigin: "ftp://x.saas.com"}, service.ReasonInvalidFallback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Svc.CreateZone(ctx, tc.in)
			wantErr(t, err, core.KindInvalid, tc.reason)
		})
	}
	if zones, _ := e.Svc.ListZones(ctx); len(zones) != 0 {
		t.Errorf("refused zones were stored: %d", len(zones))
	}
}

func TestTokens(t *testing.T) {
	e := servicetest.New(t, nil)
	z, tok := e.Zone(t, saas)
	got, err := e.Svc.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.ZoneID != z.ID {
		t.Errorf("token zone = %s, want %s", got.ZoneID, z.ID)
	}
	other, _ := e.Zone(t, service.ZoneInput{Name: "other-saas.com", CNAMETarget: "edge.other-saas.com"})
	tok2, _, err := e.Svc.CreateToken(ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A token with another token's id but a wrong secret, a token of the
	// right shape that was never issued, garbage: one and the same error.
	id2, _, _ := apitoken.Parse(tok2)
	id1, _, _ := apitoken.Parse(tok)
	forged := strings.Replace(tok, id1, id2, 1)
	fresh, _, _ := apitoken.New()
	for name, bad := range map[string]string{"forged": forged, "never issued": fresh, "garbage": "hello", "empty": "", "prefix only": "ptk_"} {
		t.Run(name, func(t *testing.T) {
			_, err := e.Svc.Authenticate(ctx, bad)
			wantErr(t, err, core.KindUnauthorized, service.ReasonUnauthorized)
			if core.AsError(err).Public != "Invalid API token." {
				t.Errorf("public message %q differs between failures", core.AsError(err).Public)
			}
		})
	}
	_, _, err = e.Svc.CreateToken(ctx, strings.Repeat("a", 32))
	wantErr(t, err, core.KindNotFound, service.ReasonZoneNotFound)

	if m := regexp.MustCompile(apitoken.Pattern).FindString(e.Logs.String()); m != "" {
		t.Errorf("a token was logged")
	}
}

func TestFallbackOrigin(t *testing.T) {
	e := servicetest.New(t, nil)
	z, _ := e.Zone(t, saas)
	_, err := e.Svc.GetFallbackOrigin(ctx, z.ID)
	wantErr(t, err, core.KindNotFound, service.ReasonFallbackOriginNotFound)

	fo, err := e.Svc.SetFallbackOrigin(ctx, z.ID, "Fallback.SaaSProvider.com")
	if err != nil {
		t.Fatal(err)
	}
	if fo.Origin != "fallback.saasprovider.com" || fo.Status != core.FallbackActive {
		t.Errorf("set = %+v", fo)
	}
	e.Clock.Advance(3600e9)
	fo2, err := e.Svc.SetFallbackOrigin(ctx, z.ID, "http://origin.saasprovider.com:8080")
	if err != nil {
		t.Fatal(err)
	}
	if !fo2.CreatedAt.Equal(fo.CreatedAt) || !fo2.UpdatedAt.After(fo.UpdatedAt) {
		t.Errorf("replacing kept created_at %v->%v, updated_at %v->%v", fo.CreatedAt, fo2.CreatedAt, fo.UpdatedAt, fo2.UpdatedAt)
	}
	got, err := e.Svc.GetFallbackOrigin(ctx, z.ID)
	if err != nil || got.Origin != "http://origin.saasprovider.com:8080" {
		t.Errorf("get = %+v, %v", got, err)
	}
	_, err = e.Svc.SetFallbackOrigin(ctx, z.ID, "not a host")
	wantErr(t, err, core.KindInvalid, service.ReasonInvalidFallback)

	del, err := e.Svc.DeleteFallbackOrigin(ctx, z.ID)
	if err != nil || del.Status != core.FallbackPendingDeletion {
		t.Errorf("delete = %+v, %v", del, err)
	}
	_, err = e.Svc.GetFallbackOrigin(ctx, z.ID)
	wantErr(t, err, core.KindNotFound, service.ReasonFallbackOriginNotFound)
	if _, err := e.Svc.DeleteFallbackOrigin(ctx, z.ID); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if n := len(e.Logs.Records(map[string]string{"component": "audit", "event": service.EventFallbackOriginSet})); n != 2 {
		t.Errorf("%d fallback_origin_set events, want 2", n)
	}
}

func TestQuota(t *testing.T) {
	e := servicetest.New(t, func(c *service.Config) { c.QuotaPerZone = 2 })
	z, _ := e.Zone(t, saas)
	for _, h := range []string{"a.example-customer.com", "b.example-customer.com"} {
		if _, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: h}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.Svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "c.example-customer.com"})
	wantErr(t, err, core.KindForbidden, service.ReasonQuotaExceeded)
	q, err := e.Svc.Quota(ctx, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(service.Quota{Limit: 2, Used: 2}, q); diff != "" || !q.Exceeded() {
		t.Errorf("quota (-want +got):\n%s", diff)
	}
	if e.Count(t, z.ID) != 2 {
		t.Errorf("quota overshot")
	}

	e2 := servicetest.New(t, nil)
	z2, _ := e2.Zone(t, saas)
	q, err = e2.Svc.Quota(ctx, z2.ID)
	if err != nil || !q.Unlimited || q.Exceeded() {
		t.Errorf("unlimited quota = %+v, %v", q, err)
	}
}
