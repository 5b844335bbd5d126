package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// testEdge checks the store.EdgeSource contract: the names index, the
// lookups by name and id, and the change feed that triggers write.
func testEdge(t *testing.T, open opener) {
	t.Run("names and routes", func(t *testing.T) { testEdgeRoutes(t, edgeSource(t, open)) })
	t.Run("feed", func(t *testing.T) { testEdgeFeed(t, edgeSource(t, open)) })
	t.Run("feed paging", func(t *testing.T) { testEdgeFeedPaging(t, edgeSource(t, open)) })
}

type edgeStore interface {
	store.Store
	store.EdgeSource
}

func edgeSource(t *testing.T, open opener) edgeStore {
	t.Helper()
	s := open(t)
	es, ok := s.(edgeStore)
	if !ok {
		t.Fatalf("%T does not implement store.EdgeSource", s)
	}
	return es
}

func setStatus(t *testing.T, s store.Store, h core.Hostname, from, to core.HostnameStatus) {
	t.Helper()
	if err := s.SetHostnameStatus(ctx(t), h.ZoneID, h.ID, from, to, base.Add(time.Minute)); err != nil {
		t.Fatalf("SetHostnameStatus(%s, %s -> %s): %v", h.Name, from, to, err)
	}
}

func testEdgeRoutes(t *testing.T, s edgeStore) {
	a, b := newZone(t, s), newZone(t, s)
	fo := core.FallbackOrigin{Origin: "fallback.saas.example", Status: core.FallbackActive, CreatedAt: base, UpdatedAt: base}
	wantErr(t, "SetFallbackOrigin", s.SetFallbackOrigin(ctx(t), a.ID, &fo), nil)

	full := createHostname(t, s, fullHostname(a.ID, "shop.customer.example"))
	setStatus(t, s, full, core.HostnamePending, core.HostnameActive)
	// The same name in zone b, still pending, updated later.
	other := createHostname(t, s, minimalHostname(b.ID, "shop.customer.example"))
	if err := s.SetHostnameStatus(ctx(t), b.ID, other.ID, core.HostnamePending, core.HostnameMoved, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wild := createHostname(t, s, minimalHostname(b.ID, "*.wild.customer.example"))
	setStatus(t, s, wild, core.HostnamePending, core.HostnameActive)
	redeploy := createHostname(t, s, minimalHostname(b.ID, "redeploy.customer.example"))
	setStatus(t, s, redeploy, core.HostnamePending, core.HostnameActive)
	setStatus(t, s, redeploy, core.HostnameActive, core.HostnameActiveRedeploying)
	createHostname(t, s, minimalHostname(a.ID, "pending.customer.example"))
	// Active in both zones: one name in the index.
	twice := createHostname(t, s, minimalHostname(a.ID, "twice.customer.example"))
	setStatus(t, s, twice, core.HostnamePending, core.HostnameActive)
	twice2 := createHostname(t, s, minimalHostname(b.ID, "twice.customer.example"))
	setStatus(t, s, twice2, core.HostnamePending, core.HostnameActive)

	t.Run("ActiveNames", func(t *testing.T) {
		all := []string{"*.wild.customer.example", "redeploy.customer.example", "shop.customer.example", "twice.customer.example"}
		got, err := s.ActiveNames(ctx(t), "", 100)
		wantErr(t, "ActiveNames", err, nil)
		diff(t, "active names", all, got)
		got, err = s.ActiveNames(ctx(t), "", 2)
		wantErr(t, "ActiveNames page 1", err, nil)
		diff(t, "page 1", all[:2], got)
		got, err = s.ActiveNames(ctx(t), got[1], 2)
		wantErr(t, "ActiveNames page 2", err, nil)
		diff(t, "page 2", all[2:], got)
		got, err = s.ActiveNames(ctx(t), all[3], 2)
		wantErr(t, "ActiveNames past the end", err, nil)
		diff(t, "past the end", []string(nil), got)
	})
	t.Run("EdgeRoutes", func(t *testing.T) {
		got, err := s.EdgeRoutes(ctx(t), "shop.customer.example")
		wantErr(t, "EdgeRoutes", err, nil)
		want := []store.EdgeRoute{{
			HostnameID: other.ID, ZoneID: b.ID, Name: other.Name, Status: core.HostnameMoved, Version: 2,
			UpdatedAt: base.Add(time.Hour), OwnershipToken: other.OwnershipToken,
		}, {
			HostnameID: full.ID, ZoneID: a.ID, Name: full.Name, Status: core.HostnameActive, Version: 2,
			UpdatedAt: base.Add(time.Minute), OwnershipToken: full.OwnershipToken,
			CustomOriginServer: full.CustomOriginServer, CustomOriginSNI: full.CustomOriginSNI,
			CustomMetadata: full.CustomMetadata, Settings: full.SSL.Settings, FallbackOrigin: fo.Origin,
		}}
		diff(t, "routes, newest first", want, got)
		if len(got) == 2 && !json.Valid(got[1].CustomMetadata) {
			t.Errorf("metadata %q is not JSON", got[1].CustomMetadata)
		}
		got, err = s.EdgeRoutes(ctx(t), "nothing.customer.example")
		wantErr(t, "EdgeRoutes of an unknown name", err, nil)
		diff(t, "unknown name", []store.EdgeRoute(nil), got)
	})
	t.Run("EdgeRoute", func(t *testing.T) {
		got, err := s.EdgeRoute(ctx(t), wild.ID)
		wantErr(t, "EdgeRoute", err, nil)
		if got.Name != wild.Name || got.ZoneID != b.ID || got.Status != core.HostnameActive || got.FallbackOrigin != "" {
			t.Errorf("EdgeRoute = %+v", got)
		}
		_, err = s.EdgeRoute(ctx(t), ident.UUID())
		wantErr(t, "EdgeRoute of an unknown id", err, store.ErrNotFound)
	})
	t.Run("EdgeCertificates", func(t *testing.T) {
		older, newer := certificate(full.ID, base), certificate(full.ID, base.Add(time.Hour))
		wantErr(t, "PutCertificate", s.PutCertificate(ctx(t), a.ID, older), nil)
		wantErr(t, "PutCertificate", s.PutCertificate(ctx(t), a.ID, newer), nil)
		got, err := s.EdgeCertificates(ctx(t), full.ID)
		wantErr(t, "EdgeCertificates", err, nil)
		diff(t, "certificates, newest first", []core.Certificate{newer, older}, got)
		got, err = s.EdgeCertificates(ctx(t), ident.UUID())
		wantErr(t, "EdgeCertificates of an unknown hostname", err, nil)
		diff(t, "none", []core.Certificate(nil), got)
	})
}

// feedEntry is what the feed tests compare: a change without its cursor.
type feedEntry struct {
	Kind       store.ChangeKind
	HostnameID string
	Name       string
	Status     core.HostnameStatus
}

func readFeed(t *testing.T, s edgeStore, from store.ChangeCursor) ([]feedEntry, store.ChangeCursor) {
	t.Helper()
	got, err := s.ChangesSince(ctx(t), from, 1000)
	wantErr(t, "ChangesSince", err, nil)
	var out []feedEntry
	cur := from
	for _, c := range got {
		if !cur.Less(c.Cursor) {
			t.Errorf("change cursor %v does not follow %v", c.Cursor, cur)
		}
		cur = c.Cursor
		out = append(out, feedEntry{c.Kind, c.HostnameID, c.Name, c.Status})
	}
	return out, cur
}

// feedEnd is the cursor of the feed's last change now: what a reader
// reads from it is only what comes after. (LatestChange alone may replay
// earlier changes; see the end of testEdgeFeed.)
func feedEnd(t *testing.T, s store.EdgeSource) store.ChangeCursor {
	t.Helper()
	cur, err := s.LatestChange(ctx(t))
	wantErr(t, "LatestChange", err, nil)
	for {
		page, err := s.ChangesSince(ctx(t), cur, 1000)
		wantErr(t, "ChangesSince", err, nil)
		if len(page) == 0 {
			return cur
		}
		cur = page[len(page)-1].Cursor
	}
}

func testEdgeFeed(t *testing.T, s edgeStore) {
	z := newZone(t, s)
	start, err := s.LatestChange(ctx(t))
	wantErr(t, "LatestChange", err, nil)
	got, cur := readFeed(t, s, start)
	diff(t, "feed of an empty store", []feedEntry(nil), got)

	h := createHostname(t, s, minimalHostname(z.ID, "feed.customer.example"))
	hostEntry := func(status core.HostnameStatus) feedEntry {
		return feedEntry{store.ChangeHostname, h.ID, h.Name, status}
	}
	steps := []struct {
		name  string
		write func() error
		want  []feedEntry
	}{
		{"create", func() error { return nil }, []feedEntry{hostEntry(core.HostnamePending)}},
		{"activate", func() error {
			return s.SetHostnameStatus(ctx(t), z.ID, h.ID, core.HostnamePending, core.HostnameActive, base)
		}, []feedEntry{hostEntry(core.HostnameActive)}},
		{"certificate", func() error { return s.PutCertificate(ctx(t), z.ID, certificate(h.ID, base)) },
			// The version bump and the certificate row, in either order.
			nil},
		{"fallback origin", func() error {
			return s.SetFallbackOrigin(ctx(t), z.ID, &core.FallbackOrigin{Origin: "o.saas.example", Status: core.FallbackActive})
		}, []feedEntry{{Kind: store.ChangeZone}}},
		{"another hostname counts, the zone is not reloaded", func() error {
			return s.CreateHostname(ctx(t), minimalHostname(z.ID, "second.customer.example"))
		}, nil},
		{"delete", func() error { return s.DeleteHostname(ctx(t), z.ID, h.ID) }, []feedEntry{hostEntry("")}},
	}
	seen := map[feedEntry]bool{}
	for _, st := range steps {
		wantErr(t, st.name, st.write(), nil)
		var entries []feedEntry
		entries, cur = readFeed(t, s, cur)
		for _, e := range entries {
			seen[e] = true
		}
		switch st.name {
		case "certificate":
			kinds := map[store.ChangeKind]int{}
			for _, e := range entries {
				kinds[e.Kind]++
				if e.HostnameID != h.ID || e.Status != core.HostnameActive {
					t.Errorf("certificate step: entry %+v", e)
				}
			}
			diff(t, "certificate step kinds", map[store.ChangeKind]int{store.ChangeHostname: 1, store.ChangeCertificate: 1}, kinds)
		case "another hostname counts, the zone is not reloaded":
			if len(entries) != 1 || entries[0].Kind != store.ChangeHostname || entries[0].Name != "second.customer.example" {
				t.Errorf("%s: feed = %+v, want one hostname entry", st.name, entries)
			}
		default:
			diff(t, st.name, st.want, entries)
		}
	}
	// LatestChange is where a new reader starts. It may be conservative
	// (PostgreSQL starts before any transaction still open anywhere in the
	// cluster, which other tests' databases hold), so a reader may replay
	// changes it already applied, which is harmless; it must never start
	// past a change it has not seen.
	latest, err := s.LatestChange(ctx(t))
	wantErr(t, "LatestChange", err, nil)
	after, _ := readFeed(t, s, latest)
	for _, e := range after {
		if !seen[e] {
			t.Errorf("change after LatestChange that the feed never showed: %+v", e)
		}
	}
}

func testEdgeFeedPaging(t *testing.T, s edgeStore) {
	z := newZone(t, s)
	start, err := s.LatestChange(ctx(t))
	wantErr(t, "LatestChange", err, nil)
	const n = 7
	for i := range n {
		createHostname(t, s, minimalHostname(z.ID, hostnameName(i)))
	}
	var seen []string
	cur := start
	for range n + 1 {
		page, err := s.ChangesSince(ctx(t), cur, 3)
		wantErr(t, "ChangesSince", err, nil)
		if len(page) > 3 {
			t.Fatalf("page of %d changes, limit 3", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			seen = append(seen, c.Name)
			cur = c.Cursor
		}
	}
	want := make([]string, n)
	for i := range want {
		want[i] = hostnameName(i)
	}
	diff(t, "names through pages of 3", want, seen)
}
