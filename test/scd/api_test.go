package scd

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/testkit/node"
)

// waitDomain polls GET path until cond holds (verification runs on the
// node's own goroutines), or fails after 15 s.
func (e *env) waitDomain(t *testing.T, ten node.Tenant, path, what string, cond func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d := e.must(t, http.StatusOK, ten.Token, "GET", path, nil)
		if cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened: %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cf calls the Cloudflare dialect as ten.
func (e *env) cf(t *testing.T, ten node.Tenant, method, path string, body any) reply {
	t.Helper()
	return e.do(t, ten.Token, method, "/client/v4/zones/"+ten.ZoneID+"/custom_hostnames"+path, body)
}

// uploadCertificate gives a hostname an uploaded certificate through the
// Cloudflare dialect, which makes its certificate active.
func (e *env) uploadCertificate(t *testing.T, ten node.Tenant, ca *servicetest.CA, id, name string) {
	t.Helper()
	cert, key := ca.Issue(t, "ecdsa", name)
	r := e.cf(t, ten, "PATCH", "/"+id, map[string]any{"ssl": map[string]any{
		"custom_certificate": cert, "custom_key": key, "bundle_method": "force"}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("uploading a certificate for %s: %d %s", name, r.Status, r.Body)
	}
}

// TestSeedExamples replays the vendor's examples (form bodies, as its curl
// -d sends them) and compares every reply with the example response:
// create, the wildcard dns01 retrieve, the list item once DNS points here
// and a certificate is deployed, the list page, verify_dns_records and
// delete.
func TestSeedExamples(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			up, u := e.upstream(t, e.a, form{"host": {"app.mysaas.com"}})
			if u["host"] != "app.mysaas.com" || u["port"] != float64(443) || u["tls"] != true || u["bubble_io"] != false ||
				u["prepend_path"] != nil {
				t.Errorf("upstream %v", u)
			}

			r := e.do(t, e.a.Token, "POST", up+"/custom_domains", form{"host": {"app.user.com"}})
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			matchFixture(t, "domain_create.json", r.Body)
			created := r.JSON(t)
			if created["upstream_uuid"] != u["uuid"] {
				t.Errorf("upstream_uuid %v, want %v", created["upstream_uuid"], u["uuid"])
			}
			path := up + "/custom_domains/" + created["uuid"].(string)

			// Checked at once: nothing is published yet.
			d := e.waitDomain(t, e.a, path, "the first check", func(d map[string]any) bool { return d["last_dns_check_at"] != nil })
			if d["status"] != "dns_records_not_found" {
				t.Errorf("status after a check finding nothing: %v", d["status"])
			}

			// The wildcard dns01 example.
			r = e.do(t, e.a.Token, "POST", up+"/custom_domains", form{"host": {"*.app.com"}, "challenge_type": {"dns01"}})
			if r.Status != http.StatusCreated {
				t.Fatalf("create wildcard: %d %s", r.Status, r.Body)
			}
			wpath := up + "/custom_domains/" + r.JSON(t)["uuid"].(string)
			w := e.waitDomain(t, e.a, wpath, "the wildcard's first check", func(d map[string]any) bool { return d["last_dns_check_at"] != nil })
			raw := e.do(t, e.a.Token, "GET", wpath, nil).Body
			matchFixture(t, "domain_retrieve_wildcard.json", raw,
				"delegated_domain_control_validation_record_hostname", "delegated_domain_control_validation_record_value")
			if w["delegated_domain_control_validation_record_hostname"] != "_acme-challenge.app.com" ||
				!strings.HasSuffix(fmt.Sprint(w["delegated_domain_control_validation_record_value"]), "."+dcvZone) {
				t.Errorf("delegation %v -> %v", w["delegated_domain_control_validation_record_hostname"], w["delegated_domain_control_validation_record_value"])
			}

			// The customer points DNS here; a certificate is deployed.
			e.node.DNS.SetCNAME("app.user.com", "customers.saasprovider.com")
			r = e.do(t, e.a.Token, "POST", path+"/verify_dns_records", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("verify: %d %s", r.Status, r.Body)
			}
			matchFixture(t, "verify_dns_records.json", r.Body, "host")
			if h := r.JSON(t)["host"]; h != "app.user.com" {
				t.Errorf("verify host %v", h)
			}
			ca := servicetest.NewCA(t, clock.Real{})
			e.uploadCertificate(t, e.a, ca, hostnameID(created["uuid"].(string)), "app.user.com")

			list := e.do(t, e.a.Token, "GET", up+"/custom_domains?host=app.user.com", nil)
			if list.Status != http.StatusOK {
				t.Fatalf("list: %d %s", list.Status, list.Body)
			}
			page := list.JSON(t)
			data := page["data"].([]any)
			if len(data) != 1 || page["pagination"].(map[string]any)["count"] != float64(1) {
				t.Fatalf("list by host: %s", list.Body)
			}
			item := e.do(t, e.a.Token, "GET", path, nil).Body
			matchFixture(t, "domain_list_item.json", item)

			all := e.must(t, http.StatusOK, e.a.Token, "GET", up+"/custom_domains", nil)
			if got := all["data"].([]any); len(got) != 2 || got[0].(map[string]any)["host"] != "app.user.com" {
				t.Errorf("list: %v", all)
			}
			r = e.do(t, e.a.Token, "GET", up+"/custom_domains?page=7", nil)
			matchFixture(t, "domain_list_page.json", r.Body, "pagination")
			if p := r.JSON(t)["pagination"].(map[string]any); p["page"] != float64(7) || p["count"] != float64(2) {
				t.Errorf("page 7: %s", r.Body)
			}
			r = e.do(t, e.a.Token, "GET", up+"/custom_domains?per_page=1&page=2", nil)
			if got := r.JSON(t)["data"].([]any); len(got) != 1 || got[0].(map[string]any)["host"] != "*.app.com" {
				t.Errorf("per_page=1&page=2: %s", r.Body)
			}

			r = e.do(t, e.a.Token, "DELETE", path, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			matchFixture(t, "domain_delete.json", r.Body, "message")
			if msg, want := r.JSON(t)["message"], "Custom domain "+created["uuid"].(string)+" (app.user.com) deleted."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
			e.must(t, http.StatusNotFound, e.a.Token, "GET", path, nil)
		})
	}
}

// TestCrossDialect: one service layer, one row. A domain created here is
// the Cloudflare dialect's custom hostname with the same state, and the
// other way round; deleted in one, it is gone in the other.
func TestCrossDialect(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			up, _ := e.upstream(t, e.a, map[string]any{"host": "app.mysaas.com"})
			path, d := e.domain(t, e.a, up, map[string]any{"host": "shop.example-customer.com", "challenge_type": "dns01"})
			id := hostnameID(d["uuid"].(string))

			r := e.cf(t, e.a, "GET", "/"+id, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("the Cloudflare dialect does not see it: %d %s", r.Status, r.Body)
			}
			h := r.JSON(t)["result"].(map[string]any)
			ssl := h["ssl"].(map[string]any)
			if h["hostname"] != "shop.example-customer.com" || h["status"] != "pending" || ssl["method"] != "txt" {
				t.Errorf("via /client/v4: %v", h)
			}
			deleg := ssl["dcv_delegation_records"].([]any)[0].(map[string]any)
			if deleg["cname"] != d["delegated_domain_control_validation_record_hostname"] ||
				deleg["cname_target"] != d["delegated_domain_control_validation_record_value"] {
				t.Errorf("delegation differs: %v vs %v", deleg, d)
			}

			// Proven through this dialect: active in the other.
			e.node.DNS.SetCNAME("shop.example-customer.com", "customers.saasprovider.com")
			v := e.must(t, http.StatusOK, e.a.Token, "POST", path+"/verify_dns_records", nil)
			if v["dns_status"] != "valid" {
				t.Fatalf("verify: %v; CF: %s", v, e.cf(t, e.a, "GET", "/"+id, nil).Body)
			}
			if s := e.cf(t, e.a, "GET", "/"+id, nil).JSON(t)["result"].(map[string]any)["status"]; s != "active" {
				t.Errorf("Cloudflare status after verify: %v", s)
			}
			if s := e.must(t, http.StatusOK, e.a.Token, "GET", path, nil)["status"]; s != "dns_records_found" {
				t.Errorf("status after verify: %v", s)
			}

			// Created in the Cloudflare dialect: shown here by its uuid
			// under any upstream, with no upstream of its own; not listed.
			r = e.cf(t, e.a, "POST", "", map[string]any{"hostname": "cf.example-customer.com", "ssl": map[string]any{"method": "http", "type": "dv"}})
			if r.Status != http.StatusCreated {
				t.Fatalf("CF create: %d %s", r.Status, r.Body)
			}
			cfID := r.JSON(t)["result"].(map[string]any)["id"].(string)
			cfPath := up + "/custom_domains/domain_" + strings.ReplaceAll(cfID, "-", "")
			got := e.must(t, http.StatusOK, e.a.Token, "GET", cfPath, nil)
			if got["host"] != "cf.example-customer.com" || got["upstream_uuid"] != nil || got["challenge_type"] != "http01" {
				t.Errorf("a Cloudflare hostname here: %v", got)
			}
			list := e.must(t, http.StatusOK, e.a.Token, "GET", up+"/custom_domains", nil)
			if n := len(list["data"].([]any)); n != 1 {
				t.Errorf("the upstream lists %d domains, want 1", n)
			}

			// Deleted in one dialect, gone in the other.
			e.must(t, http.StatusOK, e.a.Token, "DELETE", path, nil)
			if r := e.cf(t, e.a, "GET", "/"+id, nil); r.Status != http.StatusNotFound {
				t.Errorf("CF GET after an SCD delete: %d", r.Status)
			}
			if r := e.cf(t, e.a, "DELETE", "/"+cfID, nil); r.Status != http.StatusOK {
				t.Fatalf("CF delete: %d %s", r.Status, r.Body)
			}
			e.must(t, http.StatusNotFound, e.a.Token, "GET", cfPath, nil)

			// A www redirect is two hostnames to the Cloudflare dialect, one
			// domain here; deleting it here removes both.
			wpath, wd := e.domain(t, e.a, up, form{"host": {"example-customer.com"}, "redirect_to_www": {"true"}})
			if wd["redirect_to_www"] != true {
				t.Errorf("redirect_to_www %v", wd["redirect_to_www"])
			}
			names := func() []string {
				r := e.cf(t, e.a, "GET", "?per_page=50", nil)
				var out []string
				for _, h := range r.JSON(t)["result"].([]any) {
					out = append(out, h.(map[string]any)["hostname"].(string))
				}
				return out
			}
			if got := fmt.Sprint(names()); got != "[example-customer.com www.example-customer.com]" {
				t.Errorf("Cloudflare hostnames %s", got)
			}
			// The companion is part of its domain here, not a domain.
			for _, h := range e.cf(t, e.a, "GET", "?hostname=www.example-customer.com", nil).JSON(t)["result"].([]any) {
				wwwPath := up + "/custom_domains/domain_" + strings.ReplaceAll(h.(map[string]any)["id"].(string), "-", "")
				e.must(t, http.StatusNotFound, e.a.Token, "GET", wwwPath, nil)
				e.must(t, http.StatusNotFound, e.a.Token, "DELETE", wwwPath, nil)
			}
			e.must(t, http.StatusOK, e.a.Token, "DELETE", wpath, nil)
			if got := names(); len(got) != 0 {
				t.Errorf("left after the delete: %v", got)
			}
		})
	}
}

// TestTenancy: another account's objects, by any route, are 404 like
// objects that do not exist.
func TestTenancy(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			upA, _ := e.upstream(t, e.a, form{"host": {"a.mysaas.com"}})
			dA, _ := e.domain(t, e.a, upA, form{"host": {"shop.a-customer.com"}})
			upB, _ := e.upstream(t, e.b, form{"host": {"b.mysaas.com"}})
			dB, _ := e.domain(t, e.b, upB, form{"host": {"shop.b-customer.com"}})

			upAID := upA[strings.LastIndex(upA, "/")+1:]
			dAID := dA[strings.LastIndex(dA, "/")+1:]
			for _, tc := range []struct {
				method, path string
			}{
				// B's token on A's account.
				{"GET", account(e.a) + "/upstreams"},
				{"POST", account(e.a) + "/upstreams"},
				{"GET", upA},
				{"PATCH", upA},
				{"DELETE", upA},
				{"GET", upA + "/custom_domains"},
				{"POST", upA + "/custom_domains"},
				{"GET", dA},
				{"DELETE", dA},
				{"POST", dA + "/verify_dns_records"},
				// A's ids inside B's own account.
				{"GET", account(e.b) + "/upstreams/" + upAID},
				{"GET", account(e.b) + "/upstreams/" + upAID + "/custom_domains"},
				{"GET", upB + "/custom_domains/" + dAID},
				{"DELETE", upB + "/custom_domains/" + dAID},
				{"POST", upB + "/custom_domains/" + dAID + "/verify_dns_records"},
			} {
				r := e.do(t, e.b.Token, tc.method, tc.path, form{"host": {"x.b-customer.com"}})
				if r.Status != http.StatusNotFound || r.JSON(t)["error_code"] != "not_found" {
					t.Errorf("%s %s as B: %d %s", tc.method, tc.path, r.Status, r.Body)
				}
			}
			// A's domain under A's other upstream is not that upstream's.
			upA2, _ := e.upstream(t, e.a, form{"host": {"a2.mysaas.com"}})
			e.must(t, http.StatusNotFound, e.a.Token, "GET", upA2+"/custom_domains/"+dAID, nil)
			// Nothing of A's changed.
			e.must(t, http.StatusOK, e.a.Token, "GET", dA, nil)
			e.must(t, http.StatusOK, e.b.Token, "GET", dB, nil)
		})
	}
}

// TestUpstreams: the upstream CRUD, its defaults, host forms, paging, the
// host filter, updates and the delete of an upstream in use.
func TestUpstreams(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			acct := account(e.a)
			for _, tc := range []struct {
				body    any
				host    string
				port    float64
				tls     bool
				prepend any
			}{
				{form{"host": {"app.mysaas.com"}}, "app.mysaas.com", 443, true, nil},
				{form{"host": {"App.MySaaS.com"}, "tls": {"false"}}, "app.mysaas.com", 80, false, nil},
				{map[string]any{"host": "http://10.0.0.5:8080", "prepend_path": "/tenant/7/"}, "10.0.0.5", 8080, false, "/tenant/7"},
				{map[string]any{"host": "app.mysaas.com", "port": "8443", "tls": true, "bubble_io": false}, "app.mysaas.com", 8443, true, nil},
			} {
				_, u := e.upstream(t, e.a, tc.body)
				if u["host"] != tc.host || u["port"] != tc.port || u["tls"] != tc.tls || u["prepend_path"] != tc.prepend {
					t.Errorf("%v: got %v", tc.body, u)
				}
			}
			r := e.do(t, e.a.Token, "POST", acct+"/upstreams", form{"host": {"app.mysaas.com"}})
			if r.Status != http.StatusUnprocessableEntity || r.JSON(t)["error_code"] != "host_taken" {
				t.Errorf("a duplicate upstream: %d %s", r.Status, r.Body)
			}

			list := e.must(t, http.StatusOK, e.a.Token, "GET", acct+"/upstreams?per_page=3", nil)
			if len(list["data"].([]any)) != 3 || list["pagination"].(map[string]any)["count"] != float64(4) {
				t.Errorf("list: %v", list)
			}
			list = e.must(t, http.StatusOK, e.a.Token, "GET", acct+"/upstreams?host=APP.mysaas.com", nil)
			if list["pagination"].(map[string]any)["count"] != float64(3) {
				t.Errorf("by host: %v", list)
			}

			up, u := e.upstream(t, e.a, form{"host": {"edit.mysaas.com"}})
			got := e.must(t, http.StatusOK, e.a.Token, "PATCH", up, map[string]any{"port": 9443, "prepend_path": "/v2"})
			if got["host"] != "edit.mysaas.com" || got["port"] != float64(9443) || got["prepend_path"] != "/v2" || got["created_at"] != u["created_at"] {
				t.Errorf("PATCH: %v", got)
			}
			got = e.must(t, http.StatusOK, e.a.Token, "PUT", up, form{"tls": {"0"}, "prepend_path": {""}})
			if got["tls"] != false || got["port"] != float64(9443) || got["prepend_path"] != nil {
				t.Errorf("PUT: %v", got)
			}
			if g := e.must(t, http.StatusOK, e.a.Token, "GET", up, nil); fmt.Sprint(g) != fmt.Sprint(got) {
				t.Errorf("GET %v differs from the update's reply %v", g, got)
			}

			d, _ := e.domain(t, e.a, up, form{"host": {"shop.example-customer.com"}})
			r = e.do(t, e.a.Token, "DELETE", up, nil)
			if r.Status != http.StatusConflict || r.JSON(t)["error_code"] != "upstream_in_use" {
				t.Errorf("deleting an upstream in use: %d %s", r.Status, r.Body)
			}
			e.must(t, http.StatusOK, e.a.Token, "DELETE", d, nil)
			del := e.must(t, http.StatusOK, e.a.Token, "DELETE", up, nil)
			if del["message"] != "Upstream "+u["uuid"].(string)+" (edit.mysaas.com) deleted." {
				t.Errorf("delete message %v", del)
			}
			e.must(t, http.StatusNotFound, e.a.Token, "GET", up, nil)
		})
	}
}
