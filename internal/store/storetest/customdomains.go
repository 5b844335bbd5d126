package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// testCustomDomains checks the store.CustomDomains contract: upstreams,
// custom domain records created with their hostnames in one transaction,
// the www companion, the outbox of instruction emails and what the edge
// reads of them.
func testCustomDomains(t *testing.T, open opener) {
	t.Run("upstreams", func(t *testing.T) { testUpstreams(t, domainStore(t, open)) })
	t.Run("create and list", func(t *testing.T) { testDomainCreateList(t, domainStore(t, open)) })
	t.Run("delete", func(t *testing.T) { testDomainDelete(t, domainStore(t, open)) })
	t.Run("outbox", func(t *testing.T) { testOutbox(t, domainStore(t, open)) })
	t.Run("edge", func(t *testing.T) { testDomainEdge(t, domainStore(t, open)) })
}

type cdStore interface {
	store.Store
	store.CustomDomains
	store.EdgeSource
}

func domainStore(t *testing.T, open opener) cdStore {
	t.Helper()
	s := open(t)
	cs, ok := s.(cdStore)
	if !ok {
		t.Fatalf("%T does not implement store.CustomDomains", s)
	}
	return cs
}

func newUpstream(t *testing.T, s cdStore, zoneID, host string) core.Upstream {
	t.Helper()
	u := core.Upstream{ID: ident.UUID(), ZoneID: zoneID, Host: host, Port: 443, TLS: true, PrependPath: "/app",
		CreatedAt: base, UpdatedAt: base}
	wantErr(t, "CreateUpstream", s.CreateUpstream(ctx(t), u), nil)
	return u
}

// newDomain creates name (and, with www, its companion) bound to u.
func newDomain(t *testing.T, s cdStore, u core.Upstream, name string, www bool, recipient string) (core.Hostname, core.CustomDomain) {
	t.Helper()
	h := minimalHostname(u.ZoneID, name)
	d := core.CustomDomain{HostnameID: h.ID, ZoneID: u.ZoneID, UpstreamID: u.ID, RedirectToWWW: www,
		InstructionsRecipient: recipient, CreatedAt: h.CreatedAt, UpdatedAt: h.CreatedAt}
	hs, ds := []core.Hostname{h}, []core.CustomDomain{d}
	if www {
		w := minimalHostname(u.ZoneID, "www."+name)
		hs = append(hs, w)
		ds = append(ds, core.CustomDomain{HostnameID: w.ID, ZoneID: u.ZoneID, UpstreamID: u.ID, ApexHostnameID: h.ID,
			CreatedAt: w.CreatedAt, UpdatedAt: w.CreatedAt})
	}
	wantErr(t, "CreateCustomDomain("+name+")", s.CreateCustomDomain(ctx(t), hs, ds), nil)
	got, err := s.GetCustomDomain(ctx(t), u.ZoneID, h.ID)
	wantErr(t, "GetCustomDomain", err, nil)
	return h, got
}

func testUpstreams(t *testing.T, s cdStore) {
	a, b := newZone(t, s), newZone(t, s)
	u := newUpstream(t, s, a.ID, "app.saas.example")
	got, err := s.GetUpstream(ctx(t), a.ID, u.ID)
	wantErr(t, "GetUpstream", err, nil)
	diff(t, "upstream", u, got)
	_, err = s.GetUpstream(ctx(t), b.ID, u.ID)
	wantErr(t, "GetUpstream from another zone", err, store.ErrNotFound)

	dup := u
	dup.ID = ident.UUID()
	wantErr(t, "an upstream routing alike", s.CreateUpstream(ctx(t), dup), store.ErrConflict)
	dup.ZoneID = b.ID
	wantErr(t, "the same upstream in another zone", s.CreateUpstream(ctx(t), dup), nil)
	other := u
	other.ID, other.ZoneID = ident.UUID(), ident.ZoneID()
	wantErr(t, "an upstream of a missing zone", s.CreateUpstream(ctx(t), other), store.ErrNotFound)

	var all []core.Upstream
	all = append(all, u)
	for i := range 4 {
		v := core.Upstream{ID: ident.UUID(), ZoneID: a.ID, Host: fmt.Sprintf("u%d.saas.example", i), Port: 8080 + i,
			CreatedAt: base.Add(time.Duration(i+1) * time.Second), UpdatedAt: base}
		wantErr(t, "CreateUpstream", s.CreateUpstream(ctx(t), v), nil)
		all = append(all, v)
	}
	page, err := s.ListUpstreams(ctx(t), a.ID, store.UpstreamQuery{Offset: 1, Limit: 2})
	wantErr(t, "ListUpstreams", err, nil)
	diff(t, "page 2 of 3", store.UpstreamPage{Upstreams: all[1:3], Total: 5}, page)
	page, err = s.ListUpstreams(ctx(t), a.ID, store.UpstreamQuery{Host: "u3.saas.example"})
	wantErr(t, "ListUpstreams by host", err, nil)
	diff(t, "by host", store.UpstreamPage{Upstreams: all[4:5], Total: 1}, page)
	page, err = s.ListUpstreams(ctx(t), a.ID, store.UpstreamQuery{})
	wantErr(t, "ListUpstreams", err, nil)
	diff(t, "no limit", store.UpstreamPage{Upstreams: all, Total: 5}, page)

	u.Host, u.Port, u.TLS, u.PrependPath, u.UpdatedAt = "new.saas.example", 8443, false, "", base.Add(time.Hour)
	wantErr(t, "UpdateUpstream", s.UpdateUpstream(ctx(t), u), nil)
	got, _ = s.GetUpstream(ctx(t), a.ID, u.ID)
	diff(t, "updated upstream", u, got)
	clash := all[1]
	clash.Host, clash.Port, clash.TLS, clash.PrependPath = u.Host, u.Port, u.TLS, u.PrependPath
	wantErr(t, "an update that routes like another", s.UpdateUpstream(ctx(t), clash), store.ErrConflict)
	moved := u
	moved.ZoneID = b.ID
	wantErr(t, "UpdateUpstream in another zone", s.UpdateUpstream(ctx(t), moved), store.ErrNotFound)

	wantErr(t, "DeleteUpstream from another zone", s.DeleteUpstream(ctx(t), b.ID, u.ID), store.ErrNotFound)
	wantErr(t, "DeleteUpstream", s.DeleteUpstream(ctx(t), a.ID, u.ID), nil)
	wantErr(t, "DeleteUpstream again", s.DeleteUpstream(ctx(t), a.ID, u.ID), store.ErrNotFound)
}

func testDomainCreateList(t *testing.T, s cdStore) {
	a, b := newZone(t, s), newZone(t, s)
	u := newUpstream(t, s, a.ID, "app.saas.example")
	u2 := newUpstream(t, s, a.ID, "other.saas.example")
	ub := newUpstream(t, s, b.ID, "app.saas.example")

	apex, d := newDomain(t, s, u, "customer.example", true, "owner@customer.example")
	if d.WWWHostnameID == "" || d.ApexHostnameID != "" || !d.RedirectToWWW || d.InstructionsRecipient != "owner@customer.example" ||
		d.UpstreamID != u.ID || !d.InstructionsEmailSentAt.IsZero() {
		t.Fatalf("apex record %+v", d)
	}
	www, err := s.GetCustomDomain(ctx(t), a.ID, d.WWWHostnameID)
	wantErr(t, "GetCustomDomain(www)", err, nil)
	if www.ApexHostnameID != apex.ID || www.RedirectToWWW || www.InstructionsRecipient != "" {
		t.Fatalf("companion record %+v", www)
	}
	wh := getHostname(t, s, a.ID, d.WWWHostnameID)
	if wh.Name != "www.customer.example" {
		t.Errorf("companion %q", wh.Name)
	}
	mustCount(t, s, a.ID, 2)
	_, err = s.GetCustomDomain(ctx(t), b.ID, apex.ID)
	wantErr(t, "GetCustomDomain from another zone", err, store.ErrNotFound)
	plain := createHostname(t, s, minimalHostname(a.ID, "plain.customer.example"))
	_, err = s.GetCustomDomain(ctx(t), a.ID, plain.ID)
	wantErr(t, "GetCustomDomain of a hostname without a record", err, store.ErrNotFound)

	// All or nothing: a duplicate second name leaves no first one behind.
	h1, h2 := minimalHostname(a.ID, "new.customer.example"), minimalHostname(a.ID, "plain.customer.example")
	rec := func(h core.Hostname, up core.Upstream) core.CustomDomain {
		return core.CustomDomain{HostnameID: h.ID, ZoneID: h.ZoneID, UpstreamID: up.ID, CreatedAt: base, UpdatedAt: base}
	}
	err = s.CreateCustomDomain(ctx(t), []core.Hostname{h1, h2}, []core.CustomDomain{rec(h1, u), rec(h2, u)})
	wantErr(t, "CreateCustomDomain with a taken name", err, store.ErrConflict)
	_, err = s.GetHostname(ctx(t), a.ID, h1.ID)
	wantErr(t, "the first hostname of a failed create", err, store.ErrNotFound)
	// An upstream of another zone, or none, is not found; nothing is left.
	err = s.CreateCustomDomain(ctx(t), []core.Hostname{h1}, []core.CustomDomain{rec(h1, ub)})
	wantErr(t, "CreateCustomDomain on another zone's upstream", err, store.ErrNotFound)
	err = s.CreateCustomDomain(ctx(t), []core.Hostname{h1}, []core.CustomDomain{rec(h1, core.Upstream{ID: ident.UUID()})})
	wantErr(t, "CreateCustomDomain on a missing upstream", err, store.ErrNotFound)
	_, err = s.GetHostname(ctx(t), a.ID, h1.ID)
	wantErr(t, "the hostname of a failed create", err, store.ErrNotFound)
	mustCount(t, s, a.ID, 3)

	// Listing: oldest first, the companion left out, per upstream.
	var want []string
	want = append(want, apex.ID)
	for i := range 5 {
		h := minimalHostname(a.ID, fmt.Sprintf("d%d.customer.example", i))
		h.CreatedAt = base.Add(time.Duration(i+1) * time.Second)
		r := rec(h, u)
		r.CreatedAt = h.CreatedAt
		wantErr(t, "CreateCustomDomain", s.CreateCustomDomain(ctx(t), []core.Hostname{h}, []core.CustomDomain{r}), nil)
		want = append(want, h.ID)
	}
	newDomain(t, s, u2, "elsewhere.customer.example", false, "")
	ids := func(p store.DomainPage) []string {
		var out []string
		for _, r := range p.Domains {
			if r.Domain.HostnameID != r.Hostname.ID {
				t.Errorf("row of %s carries the record of %s", r.Hostname.ID, r.Domain.HostnameID)
			}
			out = append(out, r.Hostname.ID)
		}
		return out
	}
	page, err := s.ListCustomDomains(ctx(t), a.ID, u.ID, store.DomainQuery{})
	wantErr(t, "ListCustomDomains", err, nil)
	diff(t, "all domains of the upstream", want, ids(page))
	if page.Total != 6 {
		t.Errorf("total %d, want 6", page.Total)
	}
	if r := page.Domains[0]; r.Hostname.Name != "customer.example" || r.Domain.WWWHostnameID != d.WWWHostnameID ||
		r.DNSStatus != "" || !r.LastCheckAt.IsZero() {
		t.Errorf("first row %+v", r)
	}
	page, err = s.ListCustomDomains(ctx(t), a.ID, u.ID, store.DomainQuery{Offset: 2, Limit: 3})
	wantErr(t, "ListCustomDomains page", err, nil)
	diff(t, "a page", want[2:5], ids(page))
	page, err = s.ListCustomDomains(ctx(t), a.ID, u.ID, store.DomainQuery{Name: "d3.customer.example"})
	wantErr(t, "ListCustomDomains by name", err, nil)
	diff(t, "by name", want[4:5], ids(page))
	page, err = s.ListCustomDomains(ctx(t), a.ID, u.ID, store.DomainQuery{Name: "www.customer.example"})
	wantErr(t, "ListCustomDomains of a companion", err, nil)
	if page.Total != 0 || len(page.Domains) != 0 {
		t.Errorf("a companion is listed: %+v", page)
	}
	page, err = s.ListCustomDomains(ctx(t), b.ID, u.ID, store.DomainQuery{})
	wantErr(t, "ListCustomDomains from another zone", err, nil)
	if page.Total != 0 {
		t.Errorf("another zone lists %d domains", page.Total)
	}

	// The check state comes with the row.
	checks := implements[store.Checks](t, s)
	got, err := checks.ClaimCheck(ctx(t), a.ID, want[1], base.Add(time.Minute), "w", time.Minute, false)
	wantErr(t, "ClaimCheck", err, nil)
	wantErr(t, "RecordCheck", checks.RecordCheck(ctx(t), store.CheckRecord{ZoneID: a.ID, HostnameID: want[1],
		LeaseToken: got.LeaseToken, CheckedAt: base.Add(time.Minute), DNSStatus: "invalid"}), nil)
	page, _ = s.ListCustomDomains(ctx(t), a.ID, u.ID, store.DomainQuery{Name: "d0.customer.example"})
	if r := page.Domains[0]; r.DNSStatus != "invalid" || !r.LastCheckAt.Equal(base.Add(time.Minute)) {
		t.Errorf("check state %q %v", r.DNSStatus, r.LastCheckAt)
	}
}

func testDomainDelete(t *testing.T, s cdStore) {
	a, b := newZone(t, s), newZone(t, s)
	u := newUpstream(t, s, a.ID, "app.saas.example")
	apex, d := newDomain(t, s, u, "customer.example", true, "")
	wantErr(t, "DeleteUpstream in use", s.DeleteUpstream(ctx(t), a.ID, u.ID), store.ErrInUse)

	_, err := s.DeleteCustomDomain(ctx(t), b.ID, apex.ID)
	wantErr(t, "DeleteCustomDomain from another zone", err, store.ErrNotFound)
	ids, err := s.DeleteCustomDomain(ctx(t), a.ID, apex.ID)
	wantErr(t, "DeleteCustomDomain", err, nil)
	diff(t, "deleted ids", []string{apex.ID, d.WWWHostnameID}, ids)
	for _, id := range ids {
		_, err := s.GetHostname(ctx(t), a.ID, id)
		wantErr(t, "a deleted hostname", err, store.ErrNotFound)
		_, err = s.GetCustomDomain(ctx(t), a.ID, id)
		wantErr(t, "a deleted record", err, store.ErrNotFound)
	}
	_, err = s.DeleteCustomDomain(ctx(t), a.ID, apex.ID)
	wantErr(t, "DeleteCustomDomain again", err, store.ErrNotFound)
	mustCount(t, s, a.ID, 0)
	if page, _ := s.ListCustomDomains(ctx(t), a.ID, u.ID, store.DomainQuery{}); page.Total != 0 {
		t.Errorf("the upstream still counts %d domains", page.Total)
	}

	// Deleting only the apex hostname (the other dialect) makes its
	// companion a domain of its own.
	apex, d = newDomain(t, s, u, "second.example", true, "")
	wantErr(t, "DeleteHostname(apex)", s.DeleteHostname(ctx(t), a.ID, apex.ID), nil)
	www, err := s.GetCustomDomain(ctx(t), a.ID, d.WWWHostnameID)
	wantErr(t, "GetCustomDomain(companion)", err, nil)
	if www.ApexHostnameID != "" {
		t.Errorf("the companion still names its deleted apex %s", www.ApexHostnameID)
	}
	page, _ := s.ListCustomDomains(ctx(t), a.ID, u.ID, store.DomainQuery{})
	if page.Total != 1 || page.Domains[0].Hostname.Name != "www.second.example" {
		t.Errorf("the orphaned companion is not listed: %+v", page)
	}
	ids, err = s.DeleteCustomDomain(ctx(t), a.ID, d.WWWHostnameID)
	wantErr(t, "DeleteCustomDomain(orphan)", err, nil)
	diff(t, "deleted ids", []string{d.WWWHostnameID}, ids)
	wantErr(t, "DeleteUpstream once unused", s.DeleteUpstream(ctx(t), a.ID, u.ID), nil)
}

func testOutbox(t *testing.T, s cdStore) {
	z := newZone(t, s)
	u := newUpstream(t, s, z.ID, "app.saas.example")
	h1, _ := newDomain(t, s, u, "one.customer.example", false, "one@customer.example")
	h2, _ := newDomain(t, s, u, "two.customer.example", true, "two@customer.example")
	newDomain(t, s, u, "none.customer.example", false, "")
	lease := 5 * time.Minute
	claim := func(now time.Time) []string {
		t.Helper()
		got, err := s.ClaimInstructionEmails(ctx(t), now, 10, lease)
		wantErr(t, "ClaimInstructionEmails", err, nil)
		var out []string
		for _, m := range got {
			if m.ZoneID != z.ID || m.Recipient == "" {
				t.Errorf("claimed %+v", m)
			}
			out = append(out, m.Recipient)
		}
		slices.Sort(out)
		return out
	}
	if got := claim(base.Add(-time.Second)); len(got) != 0 {
		t.Errorf("claimed before due: %v", got)
	}
	diff(t, "first claim", []string{"one@customer.example", "two@customer.example"}, claim(base))
	if got := claim(base.Add(time.Minute)); len(got) != 0 {
		t.Errorf("claimed again while leased: %v", got)
	}
	// A lease that ends (a crashed sender) makes the email due again.
	diff(t, "after the lease", []string{"one@customer.example", "two@customer.example"}, claim(base.Add(lease)))

	sentAt := base.Add(10 * time.Minute)
	wantErr(t, "InstructionEmailSent", s.InstructionEmailSent(ctx(t), z.ID, h1.ID, sentAt), nil)
	d1, _ := s.GetCustomDomain(ctx(t), z.ID, h1.ID)
	if !d1.InstructionsEmailSentAt.Equal(sentAt) || !d1.UpdatedAt.Equal(sentAt) {
		t.Errorf("sent at %v, updated %v", d1.InstructionsEmailSentAt, d1.UpdatedAt)
	}
	retry := base.Add(20 * time.Minute)
	wantErr(t, "InstructionEmailFailed", s.InstructionEmailFailed(ctx(t), z.ID, h2.ID, 1, retry, "451 try later"), nil)
	if got := claim(retry.Add(-time.Second)); len(got) != 0 {
		t.Errorf("claimed before the retry: %v", got)
	}
	got, err := s.ClaimInstructionEmails(ctx(t), retry, 10, lease)
	wantErr(t, "ClaimInstructionEmails", err, nil)
	if len(got) != 1 || got[0].HostnameID != h2.ID || got[0].Attempts != 1 {
		t.Fatalf("retry claim %+v", got)
	}
	wantErr(t, "InstructionEmailFailed (give up)", s.InstructionEmailFailed(ctx(t), z.ID, h2.ID, 2, time.Time{}, "550 no such user"), nil)
	if got := claim(retry.Add(24 * time.Hour)); len(got) != 0 {
		t.Errorf("claimed after giving up: %v", got)
	}
	wantErr(t, "InstructionEmailFailed of a sent email", s.InstructionEmailFailed(ctx(t), z.ID, h1.ID, 1, retry, "x"), store.ErrNotFound)
	wantErr(t, "InstructionEmailSent in another zone", s.InstructionEmailSent(ctx(t), ident.ZoneID(), h2.ID, sentAt), store.ErrNotFound)

	// A deleted domain's email leaves the outbox with it.
	h3, _ := newDomain(t, s, u, "three.customer.example", false, "three@customer.example")
	wantErr(t, "DeleteHostname", s.DeleteHostname(ctx(t), z.ID, h3.ID), nil)
	if got := claim(retry.Add(48 * time.Hour)); len(got) != 0 {
		t.Errorf("a deleted domain's email is claimed: %v", got)
	}
}

func testDomainEdge(t *testing.T, s cdStore) {
	z := newZone(t, s)
	u := newUpstream(t, s, z.ID, "app.saas.example")
	apex, d := newDomain(t, s, u, "customer.example", true, "")
	plain := createHostname(t, s, minimalHostname(z.ID, "plain.customer.example"))

	r, err := s.EdgeRoute(ctx(t), apex.ID)
	wantErr(t, "EdgeRoute", err, nil)
	want := &store.EdgeUpstream{Host: "app.saas.example", Port: 443, TLS: true, PrependPath: "/app"}
	diff(t, "apex upstream", want, r.Upstream)
	if !r.RedirectToWWW {
		t.Error("the apex does not redirect")
	}
	rs, err := s.EdgeRoutes(ctx(t), "www.customer.example")
	wantErr(t, "EdgeRoutes", err, nil)
	if len(rs) != 1 || rs[0].HostnameID != d.WWWHostnameID || rs[0].RedirectToWWW {
		t.Fatalf("companion routes %+v", rs)
	}
	diff(t, "companion upstream", want, rs[0].Upstream)
	r, err = s.EdgeRoute(ctx(t), plain.ID)
	wantErr(t, "EdgeRoute(plain)", err, nil)
	if r.Upstream != nil || r.RedirectToWWW {
		t.Errorf("a hostname without a record routes to %+v", r.Upstream)
	}

	// Changing the upstream puts every hostname bound to it on the feed.
	// From the end of the feed as it is now: LatestChange alone may replay
	// earlier changes, such as plain's creation.
	from := feedEnd(t, s)
	u.Port, u.UpdatedAt = 8443, base.Add(time.Hour)
	wantErr(t, "UpdateUpstream", s.UpdateUpstream(ctx(t), u), nil)
	entries, _ := readFeed(t, s, from)
	var got []string
	for _, e := range entries {
		if e.Kind == store.ChangeHostname {
			got = append(got, e.HostnameID)
		}
	}
	slices.Sort(got)
	wantIDs := []string{apex.ID, d.WWWHostnameID}
	slices.Sort(wantIDs)
	diff(t, "feed entries of an upstream change", wantIDs, got)
	r, _ = s.EdgeRoute(ctx(t), apex.ID)
	if r.Upstream == nil || r.Upstream.Port != 8443 {
		t.Errorf("route after the change: %+v", r.Upstream)
	}
}
