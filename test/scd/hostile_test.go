package scd

import (
	"net/http"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/testkit/node"
)

// TestHostileInput: every refusal is the dialect's JSON error with a code
// and a message that says what is wrong, and changes nothing.
func TestHostileInput(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil)
			acct := account(e.a)
			up, _ := e.upstream(t, e.a, form{"host": {"app.mysaas.com"}})
			dpath, _ := e.domain(t, e.a, up, form{"host": {"taken.example-customer.com"}})
			huge := `{"host":"` + strings.Repeat("a", 2<<20) + `"}`
			for _, tc := range []struct {
				name         string
				token        string
				method, path string
				body         any
				status       int
				code         string
				msg          string // a part of the message
			}{
				{"no token", "-", "GET", acct + "/upstreams", nil, 401, "unauthorized", "Bearer"},
				{"bad token", "ptk_nope_nope", "GET", acct + "/upstreams", nil, 401, "unauthorized", "Invalid API token"},
				{"unknown route", "", "GET", "/api/v1/nothing", nil, 404, "not_found", "No route"},
				{"wrong method", "", "PATCH", up + "/custom_domains", nil, 405, "method_not_allowed", "GET, POST"},
				{"bad JSON", "", "POST", up + "/custom_domains", `{"host": `, 400, "invalid_request_body", "JSON"},
				{"JSON array", "", "POST", up + "/custom_domains", `["x"]`, 400, "invalid_request_body", "object"},
				{"host not a string", "", "POST", up + "/custom_domains", `{"host": 42}`, 422, "invalid_parameter", "host must be a string"},
				{"huge body", "", "POST", up + "/custom_domains", huge, 413, "request_body_too_large", "larger than"},
				{"no host", "", "POST", up + "/custom_domains", form{}, 422, "host_blank", "host is required"},
				{"bad host", "", "POST", up + "/custom_domains", form{"host": {"https://shop.example.com/x"}}, 422, "host_invalid", "invalid hostname"},
				{"IP host", "", "POST", up + "/custom_domains", form{"host": {"10.0.0.1"}}, 422, "host_invalid", ""},
				{"provider's own name", "", "POST", up + "/custom_domains", form{"host": {"x.saasprovider.com"}}, 422, "host_invalid", ""},
				{"taken", "", "POST", up + "/custom_domains", form{"host": {"TAKEN.example-customer.com"}}, 422, "host_taken", "taken.example-customer.com"},
				{"bad challenge", "", "POST", up + "/custom_domains", form{"host": {"a.example-customer.com"}, "challenge_type": {"email"}}, 422, "invalid_parameter", "challenge_type"},
				{"wildcard http01", "", "POST", up + "/custom_domains", form{"host": {"*.example-customer.com"}, "challenge_type": {"http01"}}, 422, "invalid_parameter", "dns01"},
				{"www of a wildcard", "", "POST", up + "/custom_domains", form{"host": {"*.w.example-customer.com"}, "redirect_to_www": {"true"}}, 422, "invalid_parameter", "redirect_to_www"},
				{"bad boolean", "", "POST", up + "/custom_domains", form{"host": {"b.example-customer.com"}, "redirect_to_www": {"yes please"}}, 422, "invalid_parameter", "true or false"},
				{"email without SMTP", "", "POST", up + "/custom_domains", form{"host": {"c.example-customer.com"}, "instructions_recipient": {"owner@example-customer.com"}}, 422, "instructions_email_unavailable", "--smtp-url"},
				{"unknown upstream", "", "POST", acct + "/upstreams/upstream_0123456789abcdef0123456789abcdef/custom_domains", form{"host": {"d.example-customer.com"}}, 404, "not_found", "Upstream not found"},
				{"malformed upstream uuid", "", "GET", acct + "/upstreams/upstream_3f43d84c/custom_domains", nil, 404, "not_found", "Upstream not found"},
				{"malformed domain uuid", "", "GET", up + "/custom_domains/" + "4e30e873", nil, 404, "not_found", "Custom domain not found"},
				{"unknown domain", "", "DELETE", up + "/custom_domains/domain_0123456789abcdef0123456789abcdef", nil, 404, "not_found", "Custom domain not found"},
				{"unknown account", "", "GET", "/api/v1/accounts/0123456789abcdef0123456789abcdef/upstreams", nil, 404, "not_found", "Account not found"},
				{"bad page", "", "GET", up + "/custom_domains?page=x", nil, 422, "invalid_parameter", "page"},
				{"zero per_page", "", "GET", up + "/custom_domains?per_page=0", nil, 422, "invalid_parameter", "per_page"},
				{"upstream without host", "", "POST", acct + "/upstreams", form{"port": {"80"}}, 422, "host_blank", ""},
				{"upstream bad host", "", "POST", acct + "/upstreams", form{"host": {"app mysaas com"}}, 422, "host_invalid", ""},
				{"upstream port 0", "", "POST", acct + "/upstreams", form{"host": {"x.mysaas.com"}, "port": {"0"}}, 422, "invalid_parameter", "port"},
				{"upstream port text", "", "POST", acct + "/upstreams", form{"host": {"x.mysaas.com"}, "port": {"eighty"}}, 422, "invalid_parameter", "integer"},
				{"upstream port conflict", "", "POST", acct + "/upstreams", form{"host": {"x.mysaas.com:81"}, "port": {"82"}}, 422, "invalid_parameter", "port"},
				{"upstream scheme conflict", "", "POST", acct + "/upstreams", map[string]any{"host": "https://x.mysaas.com", "tls": false}, 422, "host_invalid", "tls"},
				{"upstream dot segments", "", "POST", acct + "/upstreams", form{"host": {"x.mysaas.com"}, "prepend_path": {"/a/../admin"}}, 422, "invalid_parameter", "prepend_path"},
				{"upstream relative path", "", "POST", acct + "/upstreams", form{"host": {"x.mysaas.com"}, "prepend_path": {"app"}}, 422, "invalid_parameter", "start with /"},
				{"upstream escaped path", "", "POST", acct + "/upstreams", form{"host": {"x.mysaas.com"}, "prepend_path": {"/a%2F..%2Fb"}}, 422, "invalid_parameter", "prepend_path"},
				{"upstream query", "", "POST", acct + "/upstreams", form{"host": {"x.mysaas.com"}, "prepend_path": {"/a?b=c"}}, 422, "invalid_parameter", "prepend_path"},
				{"bubble_io", "", "POST", acct + "/upstreams", form{"host": {"x.mysaas.com"}, "bubble_io": {"true"}}, 422, "invalid_parameter", "bubble_io"},
				{"multipart", "", "POST", acct + "/upstreams", nil, 400, "invalid_request_body", "multipart"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					token := e.a.Token
					switch tc.token {
					case "-":
						token = ""
					case "":
					default:
						token = tc.token
					}
					var r reply
					if tc.name == "multipart" {
						r = e.doRaw(t, token, tc.method, tc.path, "multipart/form-data; boundary=x", "--x--\r\n")
					} else {
						r = e.do(t, token, tc.method, tc.path, tc.body)
					}
					got := r.JSON(t)
					if r.Status != tc.status || got["error_code"] != tc.code || !strings.Contains(got["message"].(string), tc.msg) {
						t.Errorf("%d %s, want %d %s with %q", r.Status, r.Body, tc.status, tc.code, tc.msg)
					}
					if len(got) != 2 {
						t.Errorf("the error has other keys: %s", r.Body)
					}
					if strings.Contains(string(r.Body), strings.Repeat("a", 100)) {
						t.Error("the reply echoes the body")
					}
				})
			}
			// Nothing was created by the refusals.
			list := e.must(t, http.StatusOK, e.a.Token, "GET", up+"/custom_domains", nil)
			if n := list["pagination"].(map[string]any)["count"]; n != float64(1) {
				t.Errorf("%v domains after the refusals, want 1", n)
			}
			ups := e.must(t, http.StatusOK, e.a.Token, "GET", acct+"/upstreams", nil)
			if n := ups["pagination"].(map[string]any)["count"]; n != float64(1) {
				t.Errorf("%v upstreams after the refusals, want 1", n)
			}
			e.must(t, http.StatusOK, e.a.Token, "GET", dpath, nil)
			if strings.Contains(string(e.node.Logs.Bytes()), e.a.Token) {
				t.Error("a token was logged")
			}
		})
	}
}
