package cfclients

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	cf7 "github.com/cloudflare/cloudflare-go/v7"
	ch "github.com/cloudflare/cloudflare-go/v7/custom_hostnames"
	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/shared"
)

func statusOf(err error) int {
	var apierr *cf7.Error
	if errors.As(err, &apierr) {
		return apierr.StatusCode
	}
	return 0
}

func TestV7Lifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		zone := cf7.F(e.a.ZoneID)
		created, err := e.v7.CustomHostnames.New(ctx, ch.CustomHostnameNewParams{
			ZoneID:             zone,
			Hostname:           cf7.F("app.example-customer.com"),
			CustomMetadata:     cf7.F(map[string]string{"plan": "pro"}),
			CustomOriginServer: cf7.F("origin.saas-origin.net"),
			SSL: cf7.F(ch.CustomHostnameNewParamsSSL{
				Method:               cf7.F(ch.DCVMethodTXT),
				Type:                 cf7.F(ch.DomainValidationTypeDv),
				BundleMethod:         cf7.F(ch.BundleMethodUbiquitous),
				CertificateAuthority: cf7.F(shared.CertificateCALetsEncrypt),
				Settings: cf7.F(ch.CustomHostnameNewParamsSSLSettings{
					HTTP2:         cf7.F(ch.CustomHostnameNewParamsSSLSettingsHTTP2On),
					MinTLSVersion: cf7.F(ch.CustomHostnameNewParamsSSLSettingsMinTLSVersion1_2),
					TLS1_3:        cf7.F(ch.CustomHostnameNewParamsSSLSettingsTLS1_3On),
					Ciphers:       cf7.F([]string{"ECDHE-ECDSA-AES128-GCM-SHA256"}),
				}),
			}),
		})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if created.Status != "pending" || created.SSL.Status != "initializing" || created.SSL.Method != "txt" ||
			created.SSL.Settings.MinTLSVersion != "1.2" || created.CustomOriginServer != "origin.saas-origin.net" {
			t.Fatalf("created %+v", created)
		}

		got, err := e.v7.CustomHostnames.Get(ctx, created.ID, ch.CustomHostnameGetParams{ZoneID: zone})
		if err != nil || got.Hostname != "app.example-customer.com" || got.CustomMetadata["plan"] != "pro" {
			t.Fatalf("get: %+v %v", got, err)
		}

		edited, err := e.v7.CustomHostnames.Edit(ctx, created.ID, ch.CustomHostnameEditParams{
			ZoneID: zone, CustomMetadata: cf7.F(map[string]string{"plan": "enterprise"}), CustomOriginSNI: cf7.F(":request_host_header:")})
		if err != nil || edited.CustomMetadata["plan"] != "enterprise" || edited.CustomOriginSNI != ":request_host_header:" {
			t.Fatalf("edit: %+v %v", edited, err)
		}

		// Filters the newest clients send (dot-nested hostname.*).
		page, err := e.v7.CustomHostnames.List(ctx, ch.CustomHostnameListParams{ZoneID: zone,
			Hostname: cf7.F(ch.CustomHostnameListParamsHostname{Contain: cf7.F("example-customer")})})
		if err != nil || len(page.Result) != 1 {
			t.Fatalf("hostname.contain: %+v %v", page, err)
		}
		page, err = e.v7.CustomHostnames.List(ctx, ch.CustomHostnameListParams{ZoneID: zone, ID: cf7.F(created.ID)})
		if err != nil || len(page.Result) != 1 || page.Result[0].ID != created.ID {
			t.Fatalf("id filter: %+v %v", page, err)
		}
		page, err = e.v7.CustomHostnames.List(ctx, ch.CustomHostnameListParams{ZoneID: zone, SSLStatus: cf7.F(ch.CustomHostnameListParamsSSLStatusActive)})
		if err != nil || len(page.Result) != 0 {
			t.Fatalf("ssl_status=active: %+v %v", page, err)
		}

		// The second zone's token sees nothing of zone a, not even a 403.
		if _, err := e.v7b.CustomHostnames.Get(ctx, created.ID, ch.CustomHostnameGetParams{ZoneID: zone}); statusOf(err) != http.StatusNotFound {
			t.Errorf("zone b token on zone a: %v", err)
		}
		if _, err := e.v7b.CustomHostnames.Get(ctx, created.ID, ch.CustomHostnameGetParams{ZoneID: cf7.F(e.b.ZoneID)}); statusOf(err) != http.StatusNotFound {
			t.Errorf("zone b token, zone a hostname id: %v", err)
		}
		if _, err := e.v7b.CustomHostnames.Delete(ctx, created.ID, ch.CustomHostnameDeleteParams{ZoneID: cf7.F(e.b.ZoneID)}); statusOf(err) != http.StatusNotFound {
			t.Errorf("zone b deleting zone a's hostname: %v", err)
		}

		quota, err := e.v7.CustomHostnames.Quota.Get(ctx, ch.QuotaGetParams{ZoneID: zone})
		if err != nil || quota.Used != 1 {
			t.Fatalf("quota: %+v %v", quota, err)
		}

		del, err := e.v7.CustomHostnames.Delete(ctx, created.ID, ch.CustomHostnameDeleteParams{ZoneID: zone})
		if err != nil || del.ID != created.ID {
			t.Fatalf("delete: %+v %v", del, err)
		}
		if _, err := e.v7.CustomHostnames.Get(ctx, created.ID, ch.CustomHostnameGetParams{ZoneID: zone}); statusOf(err) != http.StatusNotFound {
			t.Errorf("get after delete: %v", err)
		}
	})
}

// TestV7DuplicateSentOnce: a 409 must carry x-should-retry: false, or v7
// resends the POST up to ten times.
func TestV7DuplicateSentOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client7(e.a.Token, option.WithMaxRetries(10))
		params := ch.CustomHostnameNewParams{ZoneID: cf7.F(e.a.ZoneID), Hostname: cf7.F("dup.example-customer.com"),
			SSL: cf7.F(ch.CustomHostnameNewParamsSSL{Method: cf7.F(ch.DCVMethodHTTP), Type: cf7.F(ch.DomainValidationTypeDv)})}
		if _, err := c.CustomHostnames.New(ctx, params); err != nil {
			t.Fatal(err)
		}
		path := "POST /client/v4/zones/" + e.a.ZoneID + "/custom_hostnames"
		before := e.rec.count(path)
		_, err := c.CustomHostnames.New(ctx, params)
		if statusOf(err) != http.StatusConflict {
			t.Fatalf("duplicate: %v", err)
		}
		if n := e.rec.count(path) - before; n != 1 {
			t.Errorf("duplicate POST sent %d times, want 1", n)
		}
		// Bad input is not retried either.
		before = e.rec.count(path)
		params.Hostname = cf7.F("bücher.example-customer.com")
		if _, err := c.CustomHostnames.New(ctx, params); statusOf(err) != http.StatusBadRequest {
			t.Fatalf("non-ASCII: %v", err)
		}
		if n := e.rec.count(path) - before; n != 1 {
			t.Errorf("bad POST sent %d times, want 1", n)
		}
	})
}

func TestV7AutoPaging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const n = 121
		for i := 0; i < n; i++ {
			if _, err := e.v7.CustomHostnames.New(ctx, ch.CustomHostnameNewParams{ZoneID: cf7.F(e.a.ZoneID),
				Hostname: cf7.F(fmt.Sprintf("p%03d.example-customer.com", i))}); err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
		}
		// Rule 1: stop on the first empty result.
		iter := e.v7.CustomHostnames.ListAutoPaging(ctx, ch.CustomHostnameListParams{ZoneID: cf7.F(e.a.ZoneID), PerPage: cf7.F(50.0)})
		seen := map[string]bool{}
		for iter.Next() {
			seen[iter.Current().ID] = true
			if len(seen) > 2*n {
				t.Fatal("auto-paging does not end")
			}
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		if len(seen) != n {
			t.Fatalf("auto-paging saw %d, want %d", len(seen), n)
		}
		// Descending by ssl status, the pages are still complete and disjoint.
		ordered := map[string]bool{}
		for page, want := range map[float64]int{1: 100, 2: n - 100} {
			res, err := e.v7.CustomHostnames.List(ctx, ch.CustomHostnameListParams{ZoneID: cf7.F(e.a.ZoneID),
				Order: cf7.F(ch.CustomHostnameListParamsOrderSSLStatus), Direction: cf7.F(ch.CustomHostnameListParamsDirectionDesc),
				PerPage: cf7.F(100.0), Page: cf7.F(page)})
			if err != nil || len(res.Result) != want {
				t.Fatalf("ordered page %v: %d rows, want %d (%v)", page, len(res.Result), want, err)
			}
			for _, h := range res.Result {
				if ordered[h.ID] || !seen[h.ID] {
					t.Errorf("ordered page %v: %s repeated or unknown", page, h.ID)
				}
				ordered[h.ID] = true
			}
		}
		if len(ordered) != n {
			t.Errorf("ordered pages hold %d hostnames, want %d", len(ordered), n)
		}
	})
}

func TestV7FallbackOrigin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		zone := cf7.F(e.a.ZoneID)
		up, err := e.v7.CustomHostnames.FallbackOrigin.Update(ctx, ch.FallbackOriginUpdateParams{ZoneID: zone, Origin: cf7.F("fallback.saas-origin.net")})
		if err != nil || up.Origin != "fallback.saas-origin.net" {
			t.Fatalf("update: %+v %v", up, err)
		}
		got, err := e.v7.CustomHostnames.FallbackOrigin.Get(ctx, ch.FallbackOriginGetParams{ZoneID: zone})
		if err != nil || got.Origin != "fallback.saas-origin.net" || got.Status == "" || got.CreatedAt.IsZero() {
			t.Fatalf("get: %+v %v", got, err)
		}
		if _, err := e.v7b.CustomHostnames.FallbackOrigin.Get(ctx, ch.FallbackOriginGetParams{ZoneID: zone}); statusOf(err) != http.StatusNotFound {
			t.Errorf("zone b reading zone a's fallback: %v", err)
		}
		if _, err := e.v7.CustomHostnames.FallbackOrigin.Delete(ctx, ch.FallbackOriginDeleteParams{ZoneID: zone}); err != nil {
			t.Fatalf("delete: %v", err)
		}
	})
}

// TestV7CustomCertificate uploads a certificate on create, replaces it
// through the certificate pack, and deletes it; keys never come back.
func TestV7CustomCertificate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		zone := cf7.F(e.a.ZoneID)
		certPEM, keyPEM := e.leaf(t, "secure.example-customer.com")
		created, err := e.v7.CustomHostnames.New(ctx, ch.CustomHostnameNewParams{ZoneID: zone, Hostname: cf7.F("secure.example-customer.com"),
			SSL: cf7.F(ch.CustomHostnameNewParamsSSL{CustomCertificate: cf7.F(certPEM), CustomKey: cf7.F(keyPEM)})})
		if err != nil {
			t.Fatalf("create with custom cert: %v", err)
		}
		if created.SSL.Status != "active" || created.SSL.Issuer == "" || created.SSL.SerialNumber == "" || created.SSL.ExpiresOn.IsZero() ||
			len(created.SSL.Hosts) != 1 || created.SSL.CustomKey != "" {
			t.Fatalf("custom cert ssl: %+v", created.SSL)
		}
		// A certificate for another name is refused, and nothing changes.
		otherCert, otherKey := e.leaf(t, "elsewhere.example-customer.com")
		if _, err := e.v7.CustomHostnames.New(ctx, ch.CustomHostnameNewParams{ZoneID: zone, Hostname: cf7.F("mismatch.example-customer.com"),
			SSL: cf7.F(ch.CustomHostnameNewParamsSSL{CustomCertificate: cf7.F(otherCert), CustomKey: cf7.F(otherKey)})}); statusOf(err) != http.StatusBadRequest {
			t.Fatalf("mismatched cert: %v", err)
		}
		// A key that does not match.
		if _, err := e.v7.CustomHostnames.New(ctx, ch.CustomHostnameNewParams{ZoneID: zone, Hostname: cf7.F("keymix.example-customer.com"),
			SSL: cf7.F(ch.CustomHostnameNewParamsSSL{CustomCertificate: cf7.F(certPEM), CustomKey: cf7.F(otherKey)})}); statusOf(err) != http.StatusBadRequest {
			t.Fatalf("mismatched key: %v", err)
		}

		// Replace through the certificate pack.
		newCert, newKey := e.leaf(t, "secure.example-customer.com")
		got, err := e.v7.CustomHostnames.Get(ctx, created.ID, ch.CustomHostnameGetParams{ZoneID: zone})
		if err != nil {
			t.Fatal(err)
		}
		certID := certificateID(t, e, created.ID)
		if _, err := e.v7.CustomHostnames.CertificatePack.Certificates.Update(ctx, created.ID, got.SSL.ID, certID,
			ch.CertificatePackCertificateUpdateParams{ZoneID: zone, CustomCertificate: cf7.F(newCert), CustomKey: cf7.F(newKey)}); err != nil {
			t.Fatalf("replace: %v", err)
		}
		after, _ := e.v7.CustomHostnames.Get(ctx, created.ID, ch.CustomHostnameGetParams{ZoneID: zone})
		if after.SSL.SerialNumber == created.SSL.SerialNumber {
			t.Errorf("serial unchanged after replace")
		}
		// The pack's only certificate cannot be removed (as on Cloudflare).
		onlyID := certificateID(t, e, created.ID)
		if _, err := e.v7.CustomHostnames.CertificatePack.Certificates.Delete(ctx, created.ID, got.SSL.ID, onlyID,
			ch.CertificatePackCertificateDeleteParams{ZoneID: zone}); statusOf(err) != http.StatusBadRequest {
			t.Fatalf("deleting the only certificate: %v", err)
		}
		if _, err := e.v7b.CustomHostnames.CertificatePack.Certificates.Delete(ctx, created.ID, got.SSL.ID, onlyID,
			ch.CertificatePackCertificateDeleteParams{ZoneID: cf7.F(e.b.ZoneID)}); statusOf(err) != http.StatusNotFound {
			t.Errorf("zone b deleting zone a's certificate: %v", err)
		}

		// A bundle of one ECDSA and one RSA certificate; either may then go.
		ecCert, ecKey := e.leaf(t, "bundle.example-customer.com")
		rsaCert, rsaKey := e.leafRSA(t, "bundle.example-customer.com")
		bundled, err := e.v7.CustomHostnames.New(ctx, ch.CustomHostnameNewParams{ZoneID: zone, Hostname: cf7.F("bundle.example-customer.com"),
			SSL: cf7.F(ch.CustomHostnameNewParamsSSL{CustomCERTBundle: cf7.F([]ch.CustomHostnameNewParamsSSLCustomCERTBundle{
				{CustomCertificate: cf7.F(ecCert), CustomKey: cf7.F(ecKey)},
				{CustomCertificate: cf7.F(rsaCert), CustomKey: cf7.F(rsaKey)},
			})})})
		if err != nil {
			t.Fatalf("bundle create: %v", err)
		}
		h, err := e.v0.CustomHostname(ctx, e.a.ZoneID, bundled.ID)
		if err != nil || len(h.SSL.Certificates) != 2 {
			t.Fatalf("bundle has %+v, %v", h.SSL, err)
		}
		if _, err := e.v7.CustomHostnames.CertificatePack.Certificates.Delete(ctx, bundled.ID, bundled.SSL.ID, h.SSL.Certificates[1].ID,
			ch.CertificatePackCertificateDeleteParams{ZoneID: zone}); err != nil {
			t.Fatalf("deleting one of two certificates: %v", err)
		}
		if h, _ := e.v0.CustomHostname(ctx, e.a.ZoneID, bundled.ID); len(h.SSL.Certificates) != 1 {
			t.Fatalf("after delete: %d certificates", len(h.SSL.Certificates))
		}
	})
}

// certificateID reads ssl.certificates[0].id with the v0 client, whose
// struct exposes it.
func certificateID(t *testing.T, e *env, hostnameID string) string {
	t.Helper()
	h, err := e.v0.CustomHostname(context.Background(), e.a.ZoneID, hostnameID)
	if err != nil || h.SSL == nil || len(h.SSL.Certificates) == 0 {
		t.Fatalf("reading certificates: %+v %v", h.SSL, err)
	}
	return h.SSL.Certificates[0].ID
}
