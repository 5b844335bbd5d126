package listing

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/store"
)

func TestPagePlan(t *testing.T) {
	tests := []struct {
		name                 string
		total, offset, limit int
		want                 Plan
	}{
		{"first page", 100, 0, 20, Plan{Offset: 0, Limit: 20}},
		{"middle stays forward", 100, 50, 20, Plan{Offset: 50, Limit: 20}},
		{"past middle reverses", 100, 51, 20, Plan{Offset: 29, Limit: 20, Reverse: true}},
		{"last full page", 100, 80, 20, Plan{Offset: 0, Limit: 20, Reverse: true}},
		{"last partial page", 100, 95, 20, Plan{Offset: 0, Limit: 5, Reverse: true}},
		{"no limit from start", 100, 0, 0, Plan{Offset: 0, Limit: 100}},
		{"no limit deep", 100, 90, 0, Plan{Offset: 0, Limit: 10, Reverse: true}},
		{"offset at end", 100, 100, 20, Plan{Empty: true}},
		{"offset past end", 100, 1000, 20, Plan{Empty: true}},
		{"empty set", 0, 0, 20, Plan{Empty: true}},
		{"negative offset", 10, -5, 3, Plan{Offset: 0, Limit: 3}},
		{"million last page", 1000000, 999980, 50, Plan{Offset: 0, Limit: 20, Reverse: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, PagePlan(tt.total, tt.offset, tt.limit)); diff != "" {
				t.Errorf("PagePlan(%d, %d, %d) (-want +got):\n%s", tt.total, tt.offset, tt.limit, diff)
			}
		})
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"abc", "abd", true},
		{"a.", "a/", true},
		{"é", "ê", true},
		{"a\U0010FFFF", "b", true},
		{"\U0010FFFF", "", false},
		{"\uD7FF", "\uE000", true},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := PrefixEnd(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("PrefixEnd(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && !(tt.in < got) {
			t.Errorf("PrefixEnd(%q) = %q is not greater", tt.in, got)
		}
		if ok && strings.HasPrefix(got, tt.in) {
			t.Errorf("PrefixEnd(%q) = %q still has the prefix", tt.in, got)
		}
	}
}

func TestOrderBy(t *testing.T) {
	tests := []struct {
		q       store.HostnameQuery
		reverse bool
		want    string
	}{
		{store.HostnameQuery{}, false, "created_at ASC, id ASC"},
		{store.HostnameQuery{Desc: true}, false, "created_at DESC, id DESC"},
		{store.HostnameQuery{}, true, "created_at DESC, id DESC"},
		{store.HostnameQuery{Desc: true}, true, "created_at ASC, id ASC"},
		{store.HostnameQuery{Order: store.OrderSSL}, false, "ssl_method ASC, created_at ASC, id ASC"},
		{store.HostnameQuery{Order: store.OrderSSLStatus, Desc: true}, false, "ssl_status DESC, created_at DESC, id DESC"},
		{store.HostnameQuery{Order: store.OrderHostname}, false, "name ASC"},
	}
	for _, tt := range tests {
		if got := OrderBy(tt.q, tt.reverse); got != tt.want {
			t.Errorf("OrderBy(%+v, %v) = %q, want %q", tt.q, tt.reverse, got, tt.want)
		}
	}
}

func TestWhere(t *testing.T) {
	yes := true
	d := Dialect{ParamPrefix: "$", Contains: func(c, p string) string { return "strpos(" + c + ", " + p + ") > 0" }}
	got, args := Where(d, "z", store.HostnameQuery{NameStartsWith: "ab", NameContains: "%_", HasActiveSSL: &yes})
	want := "zone_id = $1 AND name >= $2 AND name < $3 AND strpos(name, $4) > 0 AND ssl_status = $5"
	if got != want {
		t.Errorf("Where = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]any{"z", "ab", "ac", "%_", "active"}, args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
}
