package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

func testHostnames(t *testing.T, open opener) {
	s := open(t)
	z := newZone(t, s)
	wildcard := fullHostname(z.ID, "*.wild.customer.example")
	scalarMeta := minimalHostname(z.ID, "meta.customer.example")
	scalarMeta.CustomMetadata = json.RawMessage(`{"n":1e3,"list":[1,"two",false],"s":"\u00e9\n"}`)
	local := minimalHostname(z.ID, "local.customer.example")
	// A non-UTC time with nanoseconds comes back in UTC, cut to microseconds.
	local.CreatedAt = time.Date(2030, 1, 2, 3, 4, 5, 678901234, time.FixedZone("X", -7*3600))
	local.UpdatedAt = time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	tests := []struct {
		name string
		h    core.Hostname
	}{
		{"every field", fullHostname(z.ID, "full.customer.example")},
		{"wildcard", wildcard},
		{"only required fields", minimalHostname(z.ID, "min.customer.example")},
		{"metadata with non-string values", scalarMeta},
		{"idn a-label", minimalHostname(z.ID, "xn--bcher-kva.customer.example")},
		{"times", local},
	}
	for _, tt := range tests {
		t.Run("round trip/"+tt.name, func(t *testing.T) {
			in := tt.h
			in.Version = 42 // ignored: a new hostname is version 1
			wantErr(t, "CreateHostname", s.CreateHostname(ctx(t), in), nil)
			got := getHostname(t, s, z.ID, tt.h.ID)
			want := tt.h
			want.Version = 1
			want.CreatedAt = want.CreatedAt.Truncate(time.Microsecond)
			want.UpdatedAt = want.UpdatedAt.Truncate(time.Microsecond)
			diff(t, "GetHostname", want, got)
			if string(got.CustomMetadata) != string(want.CustomMetadata) {
				t.Errorf("CustomMetadata = %s, want it verbatim: %s", got.CustomMetadata, want.CustomMetadata)
			}
			for _, tm := range []time.Time{got.CreatedAt, got.UpdatedAt} {
				if tm.Location() != time.UTC {
					t.Errorf("time %v is in %v, want UTC", tm, tm.Location())
				}
			}
		})
	}
	t.Run("get missing", func(t *testing.T) {
		_, err := s.GetHostname(ctx(t), z.ID, ident.UUID())
		wantErr(t, "GetHostname of a missing id", err, store.ErrNotFound)
	})
	t.Run("create in missing zone", func(t *testing.T) {
		err := s.CreateHostname(ctx(t), minimalHostname(ident.ZoneID(), "orphan.customer.example"))
		wantErr(t, "CreateHostname in a missing zone", err, store.ErrNotFound)
	})
	t.Run("count", func(t *testing.T) {
		mustCount(t, s, z.ID, len(tests))
		mustCount(t, s, ident.ZoneID(), 0)
	})
}

func testUpdate(t *testing.T, open opener) {
	s := open(t)
	z := newZone(t, s)
	orig := createHostname(t, s, minimalHostname(z.ID, "update.customer.example"))

	t.Run("writes every mutable field and bumps the version", func(t *testing.T) {
		u := fullHostname(z.ID, "ignored-new-name.customer.example")
		u.ID = orig.ID
		u.CreatedAt = base.Add(time.Hour) // ignored
		u.UpdatedAt = base.Add(2 * time.Hour)
		u.Version = orig.Version
		wantErr(t, "UpdateHostname", s.UpdateHostname(ctx(t), u), nil)
		want := u
		want.Name, want.CreatedAt, want.Version = orig.Name, orig.CreatedAt, orig.Version+1
		diff(t, "after UpdateHostname", want, getHostname(t, s, z.ID, orig.ID))
	})
	t.Run("clears fields", func(t *testing.T) {
		cur := getHostname(t, s, z.ID, orig.ID)
		u := minimalHostname(z.ID, orig.Name)
		u.ID, u.Version, u.CreatedAt = orig.ID, cur.Version, orig.CreatedAt
		wantErr(t, "UpdateHostname", s.UpdateHostname(ctx(t), u), nil)
		want := u
		want.Version = cur.Version + 1
		diff(t, "after clearing UpdateHostname", want, getHostname(t, s, z.ID, orig.ID))
	})

	before := getHostname(t, s, z.ID, orig.ID)
	stale := before
	stale.Version--
	stale.Status = core.HostnameActive
	missing := before
	missing.ID = ident.UUID()
	otherZone := before
	otherZone.ZoneID = newZone(t, s).ID
	tests := []struct {
		name string
		h    core.Hostname
		err  error
	}{
		{"stale version", stale, store.ErrStale},
		{"future version", func() core.Hostname { h := stale; h.Version = before.Version + 5; return h }(), store.ErrStale},
		{"missing", missing, store.ErrNotFound},
		{"other zone", otherZone, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, "UpdateHostname", s.UpdateHostname(ctx(t), tt.h), tt.err)
			diff(t, "row after a refused update", before, getHostname(t, s, z.ID, orig.ID))
		})
	}
}

func testStatusCAS(t *testing.T, open opener) {
	s := open(t)
	z := newZone(t, s)
	other := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "cas.customer.example"))
	at := base.Add(time.Minute)

	type step struct {
		name    string
		zoneID  string
		id      string
		ssl     bool
		from    string
		to      string
		err     error
		applies bool
	}
	steps := []step{
		{"hostname pending to active", z.ID, h.ID, false, "pending", "active", nil, true},
		{"hostname wrong from", z.ID, h.ID, false, "pending", "moved", store.ErrStale, false},
		{"hostname other zone", other.ID, h.ID, false, "active", "moved", store.ErrNotFound, false},
		{"hostname missing", z.ID, ident.UUID(), false, "active", "moved", store.ErrNotFound, false},
		{"ssl initializing to pending_validation", z.ID, h.ID, true, "initializing", "pending_validation", nil, true},
		{"ssl wrong from", z.ID, h.ID, true, "initializing", "active", store.ErrStale, false},
		{"ssl other zone", other.ID, h.ID, true, "pending_validation", "active", store.ErrNotFound, false},
		{"ssl missing", z.ID, ident.UUID(), true, "pending_validation", "active", store.ErrNotFound, false},
		{"ssl pending_validation to active", z.ID, h.ID, true, "pending_validation", "active", nil, true},
	}
	want := getHostname(t, s, z.ID, h.ID)
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			stepAt := at.Add(time.Duration(i) * time.Second)
			var err error
			if st.ssl {
				err = s.SetSSLStatus(ctx(t), st.zoneID, st.id, core.SSLStatus(st.from), core.SSLStatus(st.to), stepAt)
			} else {
				err = s.SetHostnameStatus(ctx(t), st.zoneID, st.id, core.HostnameStatus(st.from), core.HostnameStatus(st.to), stepAt)
			}
			wantErr(t, "status change", err, st.err)
			if st.applies {
				if st.ssl {
					want.SSL.Status = core.SSLStatus(st.to)
				} else {
					want.Status = core.HostnameStatus(st.to)
				}
				want.Version++
				want.UpdatedAt = stepAt
			}
			diff(t, "row after the status change", want, getHostname(t, s, z.ID, h.ID))
		})
	}
}

func testDelete(t *testing.T, open opener) {
	s := open(t)
	z := newZone(t, s)
	keep := createHostname(t, s, minimalHostname(z.ID, "keep.customer.example"))
	h := createHostname(t, s, minimalHostname(z.ID, "gone.customer.example"))
	for i := range 3 {
		wantErr(t, "PutCertificate", s.PutCertificate(ctx(t), z.ID, certificate(h.ID, base.Add(time.Duration(i)*time.Hour))), nil)
	}
	keepCert := certificate(keep.ID, base)
	wantErr(t, "PutCertificate", s.PutCertificate(ctx(t), z.ID, keepCert), nil)
	mustCount(t, s, z.ID, 2)

	wantErr(t, "DeleteHostname", s.DeleteHostname(ctx(t), z.ID, h.ID), nil)
	_, err := s.GetHostname(ctx(t), z.ID, h.ID)
	wantErr(t, "GetHostname after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteHostname again", s.DeleteHostname(ctx(t), z.ID, h.ID), store.ErrNotFound)
	mustCount(t, s, z.ID, 1)

	// Its certificates went with it: recreating the hostname under the same
	// id shows none, and the other hostname keeps its own.
	wantErr(t, "CreateHostname again", s.CreateHostname(ctx(t), h), nil)
	if got := getHostname(t, s, z.ID, h.ID); len(got.SSL.Certificates) != 0 {
		t.Errorf("recreated hostname has %d certificates, want 0", len(got.SSL.Certificates))
	}
	diff(t, "other hostname's certificates", []core.Certificate{keepCert}, getHostname(t, s, z.ID, keep.ID).SSL.Certificates)
	page, err := s.ListHostnames(ctx(t), z.ID, store.HostnameQuery{})
	wantErr(t, "ListHostnames", err, nil)
	if page.Total != 2 || len(page.Hostnames) != 2 {
		t.Errorf("ListHostnames = %d of %d, want 2 of 2", len(page.Hostnames), page.Total)
	}
	mustCount(t, s, z.ID, 2)
}

// testTenancy checks that nothing of zone A is visible or changeable
// through zone B.
func testTenancy(t *testing.T, open opener) {
	s := open(t)
	a, b := newZone(t, s), newZone(t, s)
	h := createHostname(t, s, fullHostname(a.ID, "tenant.customer.example"))
	cert := certificate(h.ID, base)
	wantErr(t, "PutCertificate", s.PutCertificate(ctx(t), a.ID, cert), nil)
	before := getHostname(t, s, a.ID, h.ID)

	moved := before
	moved.ZoneID = b.ID
	tests := []struct {
		name string
		do   func() error
	}{
		{"get", func() error { _, err := s.GetHostname(ctx(t), b.ID, h.ID); return err }},
		{"update", func() error { return s.UpdateHostname(ctx(t), moved) }},
		{"set status", func() error {
			return s.SetHostnameStatus(ctx(t), b.ID, h.ID, before.Status, core.HostnameActive, base)
		}},
		{"set ssl status", func() error {
			return s.SetSSLStatus(ctx(t), b.ID, h.ID, before.SSL.Status, core.SSLPendingIssuance, base)
		}},
		{"delete", func() error { return s.DeleteHostname(ctx(t), b.ID, h.ID) }},
		{"put certificate", func() error { return s.PutCertificate(ctx(t), b.ID, certificate(h.ID, base)) }},
		{"replace certificate", func() error {
			c := cert
			c.Issuer = "evil"
			return s.PutCertificate(ctx(t), b.ID, c)
		}},
		{"delete certificate", func() error { return s.DeleteCertificate(ctx(t), b.ID, h.ID, cert.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.name+" through the other zone", tt.do(), store.ErrNotFound)
			diff(t, "hostname after the attempt", before, getHostname(t, s, a.ID, h.ID))
		})
	}
	t.Run("list", func(t *testing.T) {
		for _, q := range []store.HostnameQuery{{}, {ID: h.ID}, {NameExact: h.Name}, {NameContains: "tenant"}} {
			page, err := s.ListHostnames(ctx(t), b.ID, q)
			wantErr(t, "ListHostnames", err, nil)
			if page.Total != 0 || len(page.Hostnames) != 0 {
				t.Errorf("zone B lists %v (total %d) for %+v, want nothing", names(page.Hostnames), page.Total, q)
			}
		}
		mustCount(t, s, b.ID, 0)
	})
}
