package storetest

import (
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

func testBlocklist(t *testing.T, open opener) {
	s := open(t)
	bl := implements[store.Blocklist](t, s)
	c := implements[store.Checks](t, s)
	z := newZone(t, s)

	// Hostnames checked once and due in three hours, so that AddBlock's
	// rescheduling shows.
	names := []string{"brand.example", "shop.brand.example", "*.brand.example", "a.b.brand.example",
		"notbrand.example", "brand.example.net"}
	ids := map[string]string{}
	for i, n := range names {
		h := minimalHostname(z.ID, n)
		h.Status = core.HostnameActive
		h.CreatedAt = base.Add(time.Duration(i) * time.Second)
		ids[n] = createHostname(t, s, h).ID
	}
	for _, cs := range claim(t, c, base.Add(time.Minute), 100) {
		wantErr(t, "RecordCheck", c.RecordCheck(ctx(t), store.CheckRecord{ZoneID: cs.ZoneID, HostnameID: cs.HostnameID,
			LeaseToken: cs.LeaseToken, CheckedAt: base, NextCheckAt: base.Add(3 * time.Hour), Attempts: 1}), nil)
	}

	at := base.Add(time.Hour)
	added, n, err := bl.AddBlock(ctx(t), "brand.example", at)
	wantErr(t, "AddBlock", err, nil)
	if !added || n != 4 {
		t.Errorf("AddBlock = added %v, %d rescheduled; want true, 4", added, n)
	}
	for _, name := range names {
		covered := name != "notbrand.example" && name != "brand.example.net"
		got := getCheck(t, c, z.ID, ids[name]).NextCheckAt
		if want := base.Add(3 * time.Hour); covered {
			want = at
			if !got.Equal(want) {
				t.Errorf("%s: due %v after the block, want %v", name, got, want)
			}
		} else if !got.Equal(want) {
			t.Errorf("%s (not covered): due %v after the block, want %v", name, got, want)
		}
	}
	added, _, err = bl.AddBlock(ctx(t), "brand.example", at.Add(time.Hour))
	wantErr(t, "AddBlock again", err, nil)
	if added {
		t.Error("AddBlock of an existing entry reported it added")
	}
	_, _, err = bl.AddBlock(ctx(t), "evil.example", at)
	wantErr(t, "AddBlock", err, nil)

	matches := []struct{ name, want string }{
		{"brand.example", "brand.example"},
		{"shop.brand.example", "brand.example"},
		{"*.brand.example", "brand.example"},
		{"a.b.c.brand.example", "brand.example"},
		{"notbrand.example", ""},
		{"brand.example.net", ""},
		{"example", ""},
		{"shop.evil.example", "evil.example"},
	}
	for _, m := range matches {
		got, err := bl.MatchBlock(ctx(t), m.name)
		wantErr(t, "MatchBlock("+m.name+")", err, nil)
		if got != m.want {
			t.Errorf("MatchBlock(%q) = %q, want %q", m.name, got, m.want)
		}
	}

	list, err := bl.ListBlocks(ctx(t))
	wantErr(t, "ListBlocks", err, nil)
	diff(t, "ListBlocks", []store.Block{{Name: "brand.example", CreatedAt: at}, {Name: "evil.example", CreatedAt: at}}, list)

	wantErr(t, "RemoveBlock", bl.RemoveBlock(ctx(t), "evil.example"), nil)
	wantErr(t, "RemoveBlock again", bl.RemoveBlock(ctx(t), "evil.example"), store.ErrNotFound)
	if got, _ := bl.MatchBlock(ctx(t), "shop.evil.example"); got != "" {
		t.Errorf("MatchBlock after RemoveBlock = %q", got)
	}
}
