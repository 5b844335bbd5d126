package storetest

import (
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

func testZones(t *testing.T, open opener) {
	t.Run("create get list", func(t *testing.T) {
		s := open(t)
		if err := s.Ping(ctx(t)); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		zs, err := s.ListZones(ctx(t))
		wantErr(t, "ListZones on an empty store", err, nil)
		diff(t, "ListZones on an empty store", []core.Zone(nil), zs)

		a := core.Zone{ID: ident.ZoneID(), Name: "a.example", CNAMETarget: "c.a.example", CreatedAt: base.Add(1)}
		b := core.Zone{ID: ident.ZoneID(), Name: "b.example", CNAMETarget: "c.b.example", NoWildcards: true,
			CreatedAt: base.Add(-time.Microsecond)}
		for _, z := range []core.Zone{a, b} {
			wantErr(t, "CreateZone", s.CreateZone(ctx(t), z), nil)
		}
		got, err := s.GetZone(ctx(t), b.ID)
		wantErr(t, "GetZone", err, nil)
		diff(t, "GetZone", b, got)
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt location = %v, want UTC", got.CreatedAt.Location())
		}
		zs, err = s.ListZones(ctx(t))
		wantErr(t, "ListZones", err, nil)
		// Oldest first: b was created before a. a's nanosecond is dropped.
		a.CreatedAt = base
		diff(t, "ListZones", []core.Zone{b, a}, zs)
	})
	t.Run("not found", func(t *testing.T) {
		s := open(t)
		_, err := s.GetZone(ctx(t), ident.ZoneID())
		wantErr(t, "GetZone of a missing zone", err, store.ErrNotFound)
	})
	t.Run("duplicate id", func(t *testing.T) {
		s := open(t)
		z := newZone(t, s)
		z.Name = "other.example"
		wantErr(t, "CreateZone with a taken id", s.CreateZone(ctx(t), z), store.ErrConflict)
	})
	t.Run("created with fallback", func(t *testing.T) {
		s := open(t)
		z := core.Zone{ID: ident.ZoneID(), Name: "f.example", CNAMETarget: "c.f.example", CreatedAt: base,
			Fallback: &core.FallbackOrigin{Origin: "https://fallback.f.example:8443", Status: core.FallbackActive,
				CreatedAt: base, UpdatedAt: base.Add(time.Microsecond)}}
		wantErr(t, "CreateZone", s.CreateZone(ctx(t), z), nil)
		got, err := s.GetZone(ctx(t), z.ID)
		wantErr(t, "GetZone", err, nil)
		diff(t, "GetZone", z, got)
	})
}

func testFallbackOrigin(t *testing.T, open opener) {
	s := open(t)
	z := newZone(t, s)
	other := newZone(t, s)
	first := &core.FallbackOrigin{Origin: "fallback.saas.example", Status: core.FallbackInitializing,
		Errors: []string{"DNS lookup failed", "second"}, CreatedAt: base, UpdatedAt: base}
	second := &core.FallbackOrigin{Origin: "http://10.0.0.1:8080", Status: core.FallbackActive,
		CreatedAt: base, UpdatedAt: base.Add(3 * time.Microsecond)}
	steps := []struct {
		name string
		fo   *core.FallbackOrigin
	}{
		{"set", first},
		{"replace", second},
		{"remove", nil},
		{"remove again", nil},
		{"set after remove", first},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			wantErr(t, "SetFallbackOrigin", s.SetFallbackOrigin(ctx(t), z.ID, st.fo), nil)
			got, err := s.GetZone(ctx(t), z.ID)
			wantErr(t, "GetZone", err, nil)
			want := z
			want.Fallback = st.fo
			diff(t, "zone after SetFallbackOrigin", want, got)
			// The other zone is untouched.
			o, err := s.GetZone(ctx(t), other.ID)
			wantErr(t, "GetZone(other)", err, nil)
			diff(t, "other zone", other, o)
		})
	}
	t.Run("missing zone", func(t *testing.T) {
		wantErr(t, "SetFallbackOrigin on a missing zone", s.SetFallbackOrigin(ctx(t), ident.ZoneID(), first), store.ErrNotFound)
	})
}

func testTokens(t *testing.T, open opener) {
	s := open(t)
	z := newZone(t, s)
	tok := core.APIToken{ID: "tok" + ident.ZoneID()[:16], ZoneID: z.ID,
		SecretHash: []byte{0x00, 0x01, 0xfe, 0xff, 0x00, 0x7f}, CreatedAt: base}
	tests := []struct {
		name string
		tok  core.APIToken
		err  error
	}{
		{"create", tok, nil},
		{"duplicate id", core.APIToken{ID: tok.ID, ZoneID: z.ID, SecretHash: []byte{1}, CreatedAt: base}, store.ErrConflict},
		{"missing zone", core.APIToken{ID: "other", ZoneID: ident.ZoneID(), SecretHash: []byte{1}, CreatedAt: base}, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, "CreateToken", s.CreateToken(ctx(t), tt.tok), tt.err)
		})
	}
	t.Run("get", func(t *testing.T) {
		got, err := s.GetToken(ctx(t), tok.ID)
		wantErr(t, "GetToken", err, nil)
		diff(t, "GetToken", tok, got)
	})
	t.Run("not found", func(t *testing.T) {
		_, err := s.GetToken(ctx(t), "nope")
		wantErr(t, "GetToken of a missing token", err, store.ErrNotFound)
	})
}
