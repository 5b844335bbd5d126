package cfapi_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/porticohq/portico/internal/service"
)

// TestTenancyMatrix sends zone B's token at every route and method with zone
// A's ids: in A's zone path (B's token may not use it) and in B's own zone
// path (A's hostname ids are not B's). Every answer is a 404, never a 403,
// and nothing of A's changes.
func TestTenancyMatrix(t *testing.T) {
	s := newServer(t, nil)
	const host = "victim.example-customer.com"
	cert, key := s.env.CA.Issue(t, "ecdsa", host)
	a := s.create(t, map[string]any{"hostname": host, "custom_metadata": map[string]string{"owner": "a"},
		"ssl": map[string]any{"custom_certificate": cert, "custom_key": key}})
	if _, err := s.env.Svc.SetFallbackOrigin(ctx, s.zone.ID, "fallback.saasprovider.com"); err != nil {
		t.Fatal(err)
	}
	zoneB, tokB := s.env.Zone(t, service.ZoneInput{Name: "attacker-saas.com", CNAMETarget: "edge.attacker-saas.com"})
	certID := a.SSL.Certificates[0].ID
	newCert, newKey := s.env.CA.Issue(t, "ecdsa", host)

	beforeA := s.snapshot(t, s.zone.ID)
	beforeZone, _ := s.env.Svc.GetZone(ctx, s.zone.ID)
	body := map[string]any{"hostname": "x.example-customer.com", "origin": "evil.example-attacker.com",
		"custom_origin_server": "evil.example-attacker.com", "custom_certificate": newCert, "custom_key": newKey,
		"ssl": map[string]any{"method": "txt", "type": "dv"}}

	routes := []struct {
		method, rest string
	}{
		{http.MethodGet, ""},
		{http.MethodPost, ""},
		{http.MethodGet, "/" + a.ID},
		{http.MethodPatch, "/" + a.ID},
		{http.MethodDelete, "/" + a.ID},
		{http.MethodGet, "/fallback_origin"},
		{http.MethodPut, "/fallback_origin"},
		{http.MethodDelete, "/fallback_origin"},
		{http.MethodGet, "/quota"},
		{http.MethodPut, "/" + a.ID + "/certificate_pack/" + a.SSL.ID + "/certificates/" + certID},
		{http.MethodDelete, "/" + a.ID + "/certificate_pack/" + a.SSL.ID + "/certificates/" + certID},
		{http.MethodGet, "?id=" + a.ID},
	}
	for _, rt := range routes {
		t.Run(rt.method+" A-zone"+rt.rest, func(t *testing.T) {
			var b any
			if rt.method != http.MethodGet && rt.method != http.MethodDelete {
				b = body
			}
			s.do(t, rt.method, "/client/v4/zones/"+s.zone.ID+"/custom_hostnames"+rt.rest, b, bearer(tokB)).
				fails(t, http.StatusNotFound, 7003)
		})
	}
	// In B's own zone, A's hostname ids do not exist.
	for _, rt := range routes {
		if rt.rest == "" || rt.rest == "/fallback_origin" || rt.rest == "/quota" || rt.rest[0] == '?' {
			continue
		}
		t.Run(rt.method+" B-zone"+rt.rest, func(t *testing.T) {
			var b any
			if rt.method != http.MethodGet && rt.method != http.MethodDelete {
				b = body
			}
			s.do(t, rt.method, "/client/v4/zones/"+zoneB.ID+"/custom_hostnames"+rt.rest, b, bearer(tokB)).
				fails(t, http.StatusNotFound, 1436)
		})
	}
	// B's lists never show A's rows, whatever the filter.
	for _, q := range []string{"", "?id=" + a.ID, "?hostname=" + host, "?hostname.contain=victim", "?ssl=1"} {
		r := s.do(t, http.MethodGet, "/client/v4/zones/"+zoneB.ID+"/custom_hostnames"+q, nil, bearer(tokB))
		r.ok(t, http.StatusOK, nil)
		if string(r.Env.Result) != "[]" || r.Env.ResultInfo.TotalCount != 0 {
			t.Errorf("zone B list %q: %s", q, r.Raw)
		}
	}

	unchanged(t, beforeA, s.snapshot(t, s.zone.ID))
	afterZone, _ := s.env.Svc.GetZone(ctx, s.zone.ID)
	if diff := cmp.Diff(beforeZone, afterZone); diff != "" {
		t.Errorf("zone A changed:\n%s", diff)
	}
	if n := len(s.snapshot(t, zoneB.ID)); n != 0 {
		t.Errorf("zone B has %d hostnames", n)
	}
	// A's own token still sees everything as before.
	var got hostname
	s.do(t, http.MethodGet, s.zonePath("/"+a.ID), nil).ok(t, http.StatusOK, &got)
	if got.CustomOriginServer != "" || len(got.SSL.Certificates) != 1 || got.SSL.Certificates[0].ID != certID {
		t.Errorf("zone A's hostname after the attack: %+v", got)
	}
}
