package cfapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

// seed creates n hostnames directly through the service (faster than HTTP),
// one second apart, and returns their ids in creation order.
func (s *server) seed(t *testing.T, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := range n {
		s.env.Clock.Advance(1e9)
		h, err := s.env.Svc.CreateHostname(ctx, s.zone.ID, service.HostnameInput{Hostname: fmt.Sprintf("h%03d.example-customer.com", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.ID)
	}
	return ids
}

func (s *server) listIDs(t *testing.T, query string) ([]string, reply) {
	t.Helper()
	r := s.do(t, http.MethodGet, s.zonePath(query), nil)
	var items []hostname
	r.ok(t, http.StatusOK, &items)
	if r.Env.ResultInfo == nil {
		t.Fatalf("no result_info: %s", r.Raw)
	}
	if r.Env.ResultInfo.Count != len(items) {
		t.Errorf("count %d for %d items", r.Env.ResultInfo.Count, len(items))
	}
	ids := make([]string, 0, len(items))
	for _, h := range items {
		ids = append(ids, h.ID)
	}
	return ids, r
}

// TestPaginationStopRules pages through 123 hostnames the three ways real
// clients stop, and checks that each sees every hostname exactly once and
// stops after a bounded number of requests.
func TestPaginationStopRules(t *testing.T) {
	s := newServer(t, nil)
	all := s.seed(t, 123)

	collect := func(t *testing.T, next func(page int, ri reply, n int) bool, perPage string) []string {
		t.Helper()
		var got []string
		for page, requests := 1, 0; ; page++ {
			requests++
			if requests > 200 {
				t.Fatal("the client never stopped")
			}
			q := "?page=" + fmt.Sprint(page) + perPage
			if page == 1 && perPage == "" {
				q = "" // v6's first request carries no page at all
			}
			ids, r := s.listIDs(t, q)
			if r.Env.ResultInfo.Page != page {
				t.Errorf("page %d echoed as %d", page, r.Env.ResultInfo.Page)
			}
			got = append(got, ids...)
			if !next(page, r, len(ids)) {
				return got
			}
		}
	}
	for _, tc := range []struct {
		name    string
		perPage string
		next    func(page int, r reply, n int) bool
	}{
		// v6 / Python / TS: stop on the first empty result.
		{"empty result", "", func(_ int, _ reply, n int) bool { return n > 0 }},
		// v0 Done() read on each reply: stop once the echoed page is past
		// total_pages, so it asks for one page past the end (a 200 with []).
		{"page past total_pages", "&per_page=50", func(_ int, r reply, _ int) bool {
			return !(r.Env.ResultInfo.Page > r.Env.ResultInfo.TotalPages)
		}},
		// Third-party: stop when page >= total_pages.
		{"page reaches total_pages", "&per_page=100", func(page int, r reply, _ int) bool { return page < r.Env.ResultInfo.TotalPages }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, tc.next, tc.perPage)
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("hostnames seen (-want +got):\n%s", diff)
			}
		})
	}

	for _, tc := range []struct {
		query                                   string
		page, perPage, count, total, totalPages int
	}{
		{"", 1, 20, 20, 123, 7},
		{"?page=0&per_page=50", 1, 50, 50, 123, 3},
		{"?page=-3", 1, 20, 20, 123, 7},
		{"?per_page=5000", 1, 1000, 123, 123, 1},
		{"?per_page=0", 1, 20, 20, 123, 7},
		{"?page=3&per_page=50", 3, 50, 23, 123, 3},
		{"?page=99&per_page=50", 99, 50, 0, 123, 3},
	} {
		t.Run("result_info "+tc.query, func(t *testing.T) {
			_, r := s.listIDs(t, tc.query)
			want := fmt.Sprintf(`{"page":%d,"per_page":%d,"count":%d,"total_count":%d,"total_pages":%d}`, tc.page, tc.perPage, tc.count, tc.total, tc.totalPages)
			var got struct {
				ResultInfo json.RawMessage `json:"result_info"`
			}
			_ = json.Unmarshal(r.Raw, &got)
			if string(got.ResultInfo) != want {
				t.Errorf("result_info %s, want %s", got.ResultInfo, want)
			}
			if tc.count == 0 && string(r.Env.Result) != "[]" {
				t.Errorf("result past the end is %s, want []", r.Env.Result)
			}
		})
	}

	empty := newServer(t, nil)
	_, r := empty.listIDs(t, "")
	if string(r.Env.Result) != "[]" || r.Env.ResultInfo.TotalPages != 0 || r.Env.ResultInfo.Page != 1 {
		t.Errorf("empty zone list: %s", r.Raw)
	}
}

func TestListFilters(t *testing.T) {
	s := newServer(t, nil)
	mk := func(body string) string { return s.create(t, body).ID }
	s.env.Clock.Advance(1e9)
	shop := mk(`{"hostname":"shop.example-customer.com","ssl":{"method":"txt","certificate_authority":"google"}}`)
	s.env.Clock.Advance(1e9)
	myshop := mk(`{"hostname":"myshop.example-customer.com","custom_origin_server":"origin.saasprovider.com"}`)
	s.env.Clock.Advance(1e9)
	wild := mk(`{"hostname":"app.other-customer.org","ssl":{"method":"txt","wildcard":true}}`)
	if err := s.env.Svc.SetSSLStatus(ctx, s.zone.ID, myshop, core.SSLInitializing, core.SSLActive); err != nil {
		t.Fatal(err)
	}
	if err := s.env.Svc.SetHostnameStatus(ctx, s.zone.ID, wild, core.HostnamePending, core.HostnameActive); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{shop, myshop, wild}},
		{"?hostname=shop.example-customer.com", []string{shop}}, // legacy filter: exact
		{"?hostname=SHOP.Example-Customer.com", []string{shop}},
		{"?hostname=example-customer.com", nil},
		{"?hostname.exact=myshop.example-customer.com", []string{myshop}},
		{"?hostname.contain=shop", []string{shop, myshop}},
		{"?hostname.startsWith=my", []string{myshop}},
		{"?id=" + strings.ToUpper(wild), []string{wild}},
		{"?id=" + strings.ReplaceAll(wild, "-", ""), []string{wild}}, // the 32-hex spelling of a UUID
		{"?ssl=1", []string{myshop}},
		{"?ssl=0", []string{shop, wild}},
		{"?ssl_status=active", []string{myshop}},
		{"?hostname_status=active", []string{wild}},
		{"?hostname_status=pending", []string{shop, myshop}},
		{"?certificate_authority=google", []string{shop}},
		{"?custom_origin_server=origin.saasprovider.com", []string{myshop}},
		{"?wildcard=true", []string{wild}},
		{"?wildcard=false", []string{shop, myshop}},
		{"?direction=desc", []string{wild, myshop, shop}},
		{"?order=ssl_status", []string{myshop, shop, wild}},         // active < initializing
		{"?order=ssl&direction=desc", []string{wild, shop, myshop}}, // ties reverse too
	} {
		t.Run(tc.query, func(t *testing.T) {
			got, r := s.listIDs(t, tc.query)
			if diff := cmp.Diff(tc.want, got, cmpNilEmpty); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if r.Env.ResultInfo.TotalCount != len(tc.want) {
				t.Errorf("total_count %d, want %d", r.Env.ResultInfo.TotalCount, len(tc.want))
			}
		})
	}
}

var cmpNilEmpty = cmp.Transformer("nilEmpty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

func TestFallbackRoutes(t *testing.T) {
	s := newServer(t, nil)
	var fo struct {
		Origin    string   `json:"origin"`
		Status    string   `json:"status"`
		Errors    []string `json:"errors"`
		CreatedAt string   `json:"created_at"`
		UpdatedAt string   `json:"updated_at"`
	}
	s.do(t, http.MethodGet, s.zonePath("/fallback_origin"), nil).fails(t, http.StatusNotFound, 1551)
	s.do(t, http.MethodPut, s.zonePath("/fallback_origin"), `{"origin":"Fallback.SaaSProvider.com"}`).ok(t, http.StatusOK, &fo)
	if fo.Origin != "fallback.saasprovider.com" || fo.Status != "active" || fo.Errors == nil || !timeRE.MatchString(fo.CreatedAt) {
		t.Errorf("put %+v", fo)
	}
	s.do(t, http.MethodGet, s.zonePath("/fallback_origin"), nil).ok(t, http.StatusOK, &fo)
	if fo.Origin != "fallback.saasprovider.com" {
		t.Errorf("get %+v", fo)
	}
	s.do(t, http.MethodDelete, s.zonePath("/fallback_origin"), nil).ok(t, http.StatusOK, &fo)
	if fo.Origin != "fallback.saasprovider.com" || fo.Status != "pending_deletion" {
		t.Errorf("delete %+v", fo)
	}
	s.do(t, http.MethodGet, s.zonePath("/fallback_origin"), nil).fails(t, http.StatusNotFound, 1551)
	s.do(t, http.MethodDelete, s.zonePath("/fallback_origin"), nil).ok(t, http.StatusOK, nil)
}
