package cfclients

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	cf0 "github.com/cloudflare/cloudflare-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestV0Lifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		zone := e.a.ZoneID

		// Create as v0 sends it: empty ownership objects and ssl.settings.
		resp, err := e.v0.CreateCustomHostname(ctx, zone, cf0.CustomHostname{
			Hostname:       "Shop.Example-Customer.com",
			SSL:            &cf0.CustomHostnameSSL{Method: "http", Type: "dv"},
			CustomMetadata: &cf0.CustomMetadata{"customer_id": "12345", "n": 1},
		})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		h := resp.Result
		if h.Hostname != "shop.example-customer.com" || h.Status != cf0.PENDING || len(h.ID) != 36 {
			t.Fatalf("created %+v", h)
		}
		if h.SSL == nil || h.SSL.Status != "initializing" || h.SSL.Method != "http" || len(h.SSL.ID) != 36 {
			t.Fatalf("created ssl %+v", h.SSL)
		}
		if h.OwnershipVerification.Name != "_cf-custom-hostname.shop.example-customer.com" || h.OwnershipVerification.Type != "txt" ||
			len(h.OwnershipVerification.Value) < 32 {
			t.Errorf("ownership_verification %+v", h.OwnershipVerification)
		}
		if want := "http://shop.example-customer.com/.well-known/cf-custom-hostname-challenge/" + h.ID; h.OwnershipVerificationHTTP.HTTPUrl != want ||
			h.OwnershipVerificationHTTP.HTTPBody != h.OwnershipVerification.Value {
			t.Errorf("ownership_verification_http %+v", h.OwnershipVerificationHTTP)
		}
		if h.CreatedAt == nil || time.Since(*h.CreatedAt) > time.Minute {
			t.Errorf("created_at %v", h.CreatedAt)
		}

		got, err := e.v0.CustomHostname(ctx, zone, h.ID)
		if err != nil || got.ID != h.ID || got.Hostname != h.Hostname {
			t.Fatalf("get: %+v %v", got, err)
		}
		// The create reply is what a GET shows afterwards, but for what the
		// immediate ownership check (running concurrently) may have added.
		if diff := cmp.Diff(h, got, cmpopts.IgnoreFields(cf0.CustomHostname{}, "VerificationErrors")); diff != "" {
			t.Errorf("create reply differs from GET (-create +get):\n%s", diff)
		}
		if (*got.CustomMetadata)["customer_id"] != "12345" {
			t.Errorf("custom_metadata %+v", got.CustomMetadata)
		}
		id, err := e.v0.CustomHostnameIDByName(ctx, zone, "shop.example-customer.com")
		if err != nil || id != h.ID {
			t.Fatalf("CustomHostnameIDByName = %q, %v", id, err)
		}

		// Same ssl object again: "validate again now"; still pending.
		up, err := e.v0.UpdateCustomHostnameSSL(ctx, zone, h.ID, &cf0.CustomHostnameSSL{Method: "http", Type: "dv"})
		if err != nil || up.Result.Status != cf0.PENDING {
			t.Fatalf("same-ssl PATCH: %+v %v", up, err)
		}
		// Custom origin on PATCH, metadata untouched.
		up, err = e.v0.UpdateCustomHostname(ctx, zone, h.ID, cf0.CustomHostname{
			CustomOriginServer: "origin.saas-origin.net", CustomOriginSNI: ":request_host_header:"})
		if err != nil || up.Result.CustomOriginServer != "origin.saas-origin.net" || up.Result.CustomOriginSNI != ":request_host_header:" {
			t.Fatalf("origin PATCH: %+v %v", up, err)
		}
		if (*up.Result.CustomMetadata)["customer_id"] != "12345" {
			t.Errorf("PATCH without metadata changed it: %+v", up.Result.CustomMetadata)
		}

		// Duplicate: 409 with code 1406, and no second row.
		_, err = e.v0.CreateCustomHostname(ctx, zone, cf0.CustomHostname{Hostname: "shop.example-customer.com", SSL: &cf0.CustomHostnameSSL{Method: "http", Type: "dv"}})
		var re *cf0.RequestError
		if !errors.As(err, &re) || !re.InternalErrorCodeIs(1406) {
			t.Fatalf("duplicate create: %v (%T)", err, err)
		}

		// Bad input: clear error, nothing stored.
		_, err = e.v0.CreateCustomHostname(ctx, zone, cf0.CustomHostname{Hostname: "shop.example-customer.com:443"})
		if !errors.As(err, &re) || !strings.Contains(strings.ToLower(re.Error()), "hostname") {
			t.Fatalf("bad hostname: %v", err)
		}
		list, ri, err := e.v0.CustomHostnames(ctx, zone, 1, cf0.CustomHostname{})
		if err != nil || len(list) != 1 || ri.Total != 1 {
			t.Fatalf("after bad input, list = %d rows (total %d), %v", len(list), ri.Total, err)
		}

		// Not found, and another zone's id.
		var nf *cf0.NotFoundError
		if _, err := e.v0.CustomHostname(ctx, zone, "0d89c70d-ad9f-4843-b99f-6cc0252067e9"); !errors.As(err, &nf) {
			t.Errorf("unknown id: %v", err)
		}
		if _, err := e.v0.CustomHostname(ctx, e.b.ZoneID, h.ID); !errors.As(err, &nf) {
			t.Errorf("zone b's zone id with zone a's token: %v", err)
		}

		if err := e.v0.DeleteCustomHostname(ctx, zone, h.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := e.v0.CustomHostname(ctx, zone, h.ID); !errors.As(err, &nf) {
			t.Errorf("get after delete: %v", err)
		}
		if err := e.v0.DeleteCustomHostname(ctx, zone, h.ID); !errors.As(err, &nf) {
			t.Errorf("second delete: %v", err)
		}
	})
}

func TestV0FallbackOrigin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		zone := e.a.ZoneID
		if _, err := e.v0.UpdateCustomHostnameFallbackOrigin(ctx, zone, cf0.CustomHostnameFallbackOrigin{Origin: "fallback.saas-origin.net"}); err != nil {
			t.Fatalf("set: %v", err)
		}
		fo, err := e.v0.CustomHostnameFallbackOrigin(ctx, zone)
		if err != nil || fo.Origin != "fallback.saas-origin.net" || fo.Status == "" {
			t.Fatalf("get: %+v %v", fo, err)
		}
		var re *cf0.RequestError
		if _, err := e.v0.UpdateCustomHostnameFallbackOrigin(ctx, zone, cf0.CustomHostnameFallbackOrigin{Origin: "not a host/"}); !errors.As(err, &re) {
			t.Errorf("bad origin: %v", err)
		}
		if err := e.v0.DeleteCustomHostnameFallbackOrigin(ctx, zone); err != nil {
			t.Fatalf("delete: %v", err)
		}
		var nf *cf0.NotFoundError
		if _, err := e.v0.CustomHostnameFallbackOrigin(ctx, zone); !errors.As(err, &nf) {
			t.Errorf("get after delete: %v", err)
		}
	})
}

// TestV0Paging walks 123 hostnames the three ways real clients stop.
func TestV0Paging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		zone := e.a.ZoneID
		const n = 123
		for i := 0; i < n; i++ {
			if _, err := e.v0.CreateCustomHostname(ctx, zone, cf0.CustomHostname{
				Hostname: fmt.Sprintf("h%03d.example-customer.com", i), SSL: &cf0.CustomHostnameSSL{Method: "http", Type: "dv"}}); err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
		}
		// Rule 2: v0 Done() (page > total_pages).
		seen := map[string]bool{}
		for page := 1; ; page++ {
			list, ri, err := e.v0.CustomHostnames(ctx, zone, page, cf0.CustomHostname{})
			if err != nil {
				t.Fatal(err)
			}
			if ri.PerPage != 50 || ri.Page != page || ri.Total != n || ri.TotalPages != 3 {
				t.Fatalf("page %d result_info %+v", page, ri)
			}
			for _, h := range list {
				seen[h.ID] = true
			}
			if !ri.HasMorePages() {
				break
			}
			if page > 10 {
				t.Fatal("pagination does not end")
			}
		}
		if len(seen) != n {
			t.Fatalf("saw %d distinct hostnames, want %d", len(seen), n)
		}
		// Past the end: 200 with an empty page.
		list, ri, err := e.v0.CustomHostnames(ctx, zone, 4, cf0.CustomHostname{})
		if err != nil || len(list) != 0 || !ri.Done() {
			t.Fatalf("page 4: %d rows, %+v, %v", len(list), ri, err)
		}
		// The legacy hostname filter.
		list, _, err = e.v0.CustomHostnames(ctx, zone, 1, cf0.CustomHostname{Hostname: "h042.example-customer.com"})
		if err != nil || len(list) != 1 || list[0].Hostname != "h042.example-customer.com" {
			t.Fatalf("hostname filter: %+v %v", list, err)
		}
		// Zone b sees none of them.
		v0b, _ := cf0.NewWithAPIToken(e.b.Token, cf0.BaseURL(e.base()), cf0.UsingRateLimit(1000))
		list, ri, err = v0b.CustomHostnames(ctx, e.b.ZoneID, 1, cf0.CustomHostname{})
		if err != nil || len(list) != 0 || ri.Total != 0 {
			t.Fatalf("zone b lists %d (total %d), %v", len(list), ri.Total, err)
		}
	})
}

// TestV0AuthSchemes: the same token through the three header schemes.
func TestV0AuthSchemes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		key, _ := cf0.New(e.a.Token, "ops@saasprovider.com", cf0.BaseURL(e.base()))
		svc, _ := cf0.NewWithUserServiceKey(e.a.Token, cf0.BaseURL(e.base()))
		for name, api := range map[string]*cf0.API{"x-auth-key": key, "user-service-key": svc} {
			if _, _, err := api.CustomHostnames(ctx, e.a.ZoneID, 1, cf0.CustomHostname{}); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		for name, token := range map[string]string{"garbage": "nope", "forged": e.a.Token[:len(e.a.Token)-2] + "xx", "empty-ish": " "} {
			api, _ := cf0.NewWithAPIToken(token, cf0.BaseURL(e.base()), cf0.UsingRetryPolicy(0, 0, 0))
			_, _, err := api.CustomHostnames(ctx, e.a.ZoneID, 1, cf0.CustomHostname{})
			var ae *cf0.AuthenticationError
			var az *cf0.AuthorizationError
			var re *cf0.RequestError
			if !errors.As(err, &ae) && !errors.As(err, &az) && !errors.As(err, &re) {
				t.Errorf("%s token: %v (%T)", name, err, err)
			}
		}
		// Raw: no credentials at all is an enveloped 4xx, never a 200 or a 5xx.
		req, _ := http.NewRequest("GET", e.base()+"/zones/"+e.a.ZoneID+"/custom_hostnames", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}
