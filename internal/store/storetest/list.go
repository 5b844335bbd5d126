package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// listFixture creates a zone with 34 hostnames whose attributes vary
// independently, and a second zone whose hostnames must never show. Three
// hostnames share each creation time, so ties are broken by id.
func listFixture(t *testing.T, s store.Store) (core.Zone, []core.Hostname) {
	t.Helper()
	z, noise := newZone(t, s), newZone(t, s)
	sslStatuses := []core.SSLStatus{core.SSLActive, core.SSLPendingValidation, core.SSLInitializing, core.SSLActive, core.SSLExpired}
	methods := []core.DCVMethod{core.DCVHTTP, core.DCVTXT, core.DCVEmail}
	cas := []string{"", "lets_encrypt", "google"}
	origins := []string{"", "a.origin.example", "b.origin.example"}
	var hs []core.Hostname
	add := func(i int, name string) {
		h := minimalHostname(z.ID, name)
		h.Status = core.HostnameStatuses[i%4]
		h.SSL.Status = sslStatuses[i%5]
		h.SSL.Method = methods[(i/2)%3]
		h.SSL.CertificateAuthority = cas[(i/3)%3]
		h.CustomOriginServer = origins[(i*7)%3]
		h.SSL.Wildcard = i%4 == 0
		h.CreatedAt = base.Add(time.Duration(i%10) * time.Second)
		hs = append(hs, createHostname(t, s, h))
	}
	prefixes := []string{"shop", "api", "www"}
	for i := range 30 {
		add(i, fmt.Sprintf("%s%02d.%s.example", prefixes[i%3], i, []string{"alpha", "beta"}[i%2]))
	}
	// Names with LIKE metacharacters, matched literally.
	for i, name := range []string{"a_b.special.example", "axb.special.example", "pct%.special.example", "*.wild.special.example"} {
		add(30+i, name)
	}
	for i := range 5 {
		createHostname(t, s, minimalHostname(noise.ID, fmt.Sprintf("shop%02d.alpha.example", i)))
	}
	return z, hs
}

// model is the reference implementation of a query over hs: what the store
// must return, computed in Go.
func model(hs []core.Hostname, q store.HostnameQuery) (page []core.Hostname, total int) {
	var match []core.Hostname
	for _, h := range hs {
		if matches(h, q) {
			match = append(match, h)
		}
	}
	slices.SortFunc(match, func(a, b core.Hostname) int {
		c := 0
		switch q.Order {
		case store.OrderSSL:
			c = cmp.Compare(a.SSL.Method, b.SSL.Method)
		case store.OrderSSLStatus:
			c = cmp.Compare(a.SSL.Status, b.SSL.Status)
		case store.OrderHostname:
			c = cmp.Compare(a.Name, b.Name)
		}
		if c == 0 {
			c = a.CreatedAt.Compare(b.CreatedAt)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	total = len(match)
	lo := min(max(q.Offset, 0), total)
	hi := total
	if q.Limit > 0 {
		hi = min(lo+q.Limit, total)
	}
	return match[lo:hi], total
}

func matches(h core.Hostname, q store.HostnameQuery) bool {
	return (q.ID == "" || h.ID == q.ID) &&
		(q.NameExact == "" || h.Name == q.NameExact) &&
		(q.NameContains == "" || strings.Contains(h.Name, q.NameContains)) &&
		(q.NameStartsWith == "" || strings.HasPrefix(h.Name, q.NameStartsWith)) &&
		(q.HostnameStatus == "" || h.Status == q.HostnameStatus) &&
		(q.SSLStatus == "" || h.SSL.Status == q.SSLStatus) &&
		(q.CertificateAuth == "" || h.SSL.CertificateAuthority == q.CertificateAuth) &&
		(q.CustomOriginServer == "" || h.CustomOriginServer == q.CustomOriginServer) &&
		(q.Wildcard == nil || h.SSL.Wildcard == *q.Wildcard) &&
		(q.HasActiveSSL == nil || (h.SSL.Status == core.SSLActive) == *q.HasActiveSSL)
}

func testList(t *testing.T, open opener) {
	s := open(t)
	z, hs := listFixture(t, s)
	list := func(t *testing.T, q store.HostnameQuery) store.HostnamePage {
		t.Helper()
		page, err := s.ListHostnames(ctx(t), z.ID, q)
		if err != nil {
			t.Fatalf("ListHostnames(%+v): %v", q, err)
		}
		return page
	}

	t.Run("literal filters", func(t *testing.T) {
		// Hand-written expectations, so that a mistake shared by the model
		// and the store cannot hide.
		tests := []struct {
			name string
			q    store.HostnameQuery
			want []string
		}{
			{"contains underscore", store.HostnameQuery{NameContains: "a_b"}, []string{"a_b.special.example"}},
			{"contains percent", store.HostnameQuery{NameContains: "%"}, []string{"pct%.special.example"}},
			{"contains lone underscore", store.HostnameQuery{NameContains: "_"}, []string{"a_b.special.example"}},
			{"starts with underscore", store.HostnameQuery{NameStartsWith: "a_"}, []string{"a_b.special.example"}},
			{"starts with percent", store.HostnameQuery{NameStartsWith: "%"}, nil},
			{"contains asterisk", store.HostnameQuery{NameContains: "*."}, []string{"*.wild.special.example"}},
			{"exact", store.HostnameQuery{NameExact: "axb.special.example"}, []string{"axb.special.example"}},
			{"exact is not a pattern", store.HostnameQuery{NameExact: "a_b.special.exampl%"}, nil},
			{"exact is case-sensitive", store.HostnameQuery{NameExact: "AXB.special.example"}, nil},
			{"invalid utf-8", store.HostnameQuery{NameContains: "\xff"}, nil},
			{"nul byte", store.HostnameQuery{NameStartsWith: "a\x00"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page := list(t, tt.q)
				diff(t, "names", tt.want, names(page.Hostnames))
				if page.Total != len(tt.want) {
					t.Errorf("Total = %d, want %d", page.Total, len(tt.want))
				}
			})
		}
	})

	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			name string
			q    store.HostnameQuery
		}{
			{"none", store.HostnameQuery{}},
			{"id", store.HostnameQuery{ID: hs[7].ID}},
			{"missing id", store.HostnameQuery{ID: "00000000-0000-4000-8000-000000000000"}},
			{"exact name", store.HostnameQuery{NameExact: hs[12].Name}},
			{"exact name past the end", store.HostnameQuery{NameExact: hs[12].Name, Offset: 1, Limit: 5}},
			{"exact name, negative offset", store.HostnameQuery{NameExact: hs[12].Name, Offset: -3, Limit: 5}},
			{"id and exact name disagree", store.HostnameQuery{ID: hs[7].ID, NameExact: hs[12].Name}},
			{"contains", store.HostnameQuery{NameContains: "alpha"}},
			{"starts with", store.HostnameQuery{NameStartsWith: "shop"}},
			{"starts with, ends a name", store.HostnameQuery{NameStartsWith: hs[4].Name}},
			{"hostname status", store.HostnameQuery{HostnameStatus: core.HostnameMoved}},
			{"ssl status", store.HostnameQuery{SSLStatus: core.SSLExpired}},
			{"certificate authority", store.HostnameQuery{CertificateAuth: "google"}},
			{"custom origin", store.HostnameQuery{CustomOriginServer: "b.origin.example"}},
			{"wildcard", store.HostnameQuery{Wildcard: ptr(true)}},
			{"not wildcard", store.HostnameQuery{Wildcard: ptr(false)}},
			{"active ssl", store.HostnameQuery{HasActiveSSL: ptr(true)}},
			{"inactive ssl", store.HostnameQuery{HasActiveSSL: ptr(false)}},
			{"combined", store.HostnameQuery{NameContains: "beta", HostnameStatus: core.HostnamePending, HasActiveSSL: ptr(false)}},
			{"nothing matches", store.HostnameQuery{NameStartsWith: "zzz"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want, total := model(hs, tt.q)
				if tt.name != "none" && tt.name != "missing id" && tt.name != "nothing matches" &&
					tt.name != "id and exact name disagree" &&
					(total == 0 || total == len(hs)) {
					t.Fatalf("fixture gives the filter %d of %d rows: it tests nothing", total, len(hs))
				}
				page := list(t, tt.q)
				diff(t, "page", want, page.Hostnames)
				if page.Total != total {
					t.Errorf("Total = %d, want %d", page.Total, total)
				}
			})
		}
	})

	t.Run("order and paging", func(t *testing.T) {
		orders := []store.HostnameOrder{store.OrderCreated, store.OrderSSL, store.OrderSSLStatus, store.OrderHostname}
		filters := map[string]store.HostnameQuery{
			"all":    {},
			"active": {HostnameStatus: core.HostnameActive},
			"alpha":  {NameContains: ".alpha."},
		}
		for _, o := range orders {
			for _, desc := range []bool{false, true} {
				for fname, f := range filters {
					t.Run(fmt.Sprintf("%s/desc=%v/%s", cmp.Or(string(o), "created"), desc, fname), func(t *testing.T) {
						for _, offset := range []int{0, 1, 7, 11, 16, 17, 18, 20, 29, 33, 34, 35, 1000} {
							for _, limit := range []int{0, 1, 7, 20, 50} {
								q := f
								q.Order, q.Desc, q.Offset, q.Limit = o, desc, offset, limit
								want, total := model(hs, q)
								page := list(t, q)
								if page.Total != total {
									t.Errorf("offset %d limit %d: Total = %d, want %d", offset, limit, page.Total, total)
								}
								diff(t, fmt.Sprintf("offset %d limit %d", offset, limit), names(want), names(page.Hostnames))
							}
						}
					})
				}
			}
		}
	})

	t.Run("ties by created_at then id", func(t *testing.T) {
		page := list(t, store.HostnameQuery{})
		for i := 1; i < len(page.Hostnames); i++ {
			a, b := page.Hostnames[i-1], page.Hostnames[i]
			if a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID >= b.ID {
				t.Errorf("%s (%v, %s) listed before %s (%v, %s)", a.Name, a.CreatedAt, a.ID, b.Name, b.CreatedAt, b.ID)
			}
		}
	})

	t.Run("count", func(t *testing.T) {
		mustCount(t, s, z.ID, len(hs))
		wantErr(t, "DeleteHostname", s.DeleteHostname(ctx(t), z.ID, hs[0].ID), nil)
		mustCount(t, s, z.ID, len(hs)-1)
		page := list(t, store.HostnameQuery{Offset: 1000, Limit: 5})
		if len(page.Hostnames) != 0 || page.Total != len(hs)-1 {
			t.Errorf("page past the end: %d hostnames of %d, want 0 of %d", len(page.Hostnames), page.Total, len(hs)-1)
		}
	})

	t.Run("empty and missing zones", func(t *testing.T) {
		empty := newZone(t, s)
		for _, zoneID := range []string{empty.ID, "0123456789abcdef0123456789abcdef"} {
			page, err := s.ListHostnames(ctx(t), zoneID, store.HostnameQuery{Limit: 20})
			wantErr(t, "ListHostnames", err, nil)
			if len(page.Hostnames) != 0 || page.Total != 0 {
				t.Errorf("zone %s: %d hostnames of %d, want none", zoneID, len(page.Hostnames), page.Total)
			}
			mustCount(t, s, zoneID, 0)
		}
	})
}
