package storetest

import (
	"testing"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// The parts of store.Issuances beside the records: HTTP-01 responses, DCV
// values and labels, ACME accounts.

func testHTTPChallenges(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	const name = "shop.customer.example"
	expires := base.Add(time.Hour)
	get := func(t *testing.T, identifier, token string, now time.Time) (string, bool) {
		t.Helper()
		ka, ok, err := is.HTTPChallenge(ctx(t), identifier, token, now)
		wantErr(t, "HTTPChallenge", err, nil)
		return ka, ok
	}

	if _, ok := get(t, name, "tok", base); ok {
		t.Error("a response exists before it was put")
	}
	wantErr(t, "PutHTTPChallenge", is.PutHTTPChallenge(ctx(t), name, "tok", "tok.thumb", expires), nil)
	wantErr(t, "PutHTTPChallenge(second token)", is.PutHTTPChallenge(ctx(t), name, "tok2", "tok2.thumb", expires), nil)
	if ka, ok := get(t, name, "tok", base); !ok || ka != "tok.thumb" {
		t.Errorf("HTTPChallenge = %q, %v", ka, ok)
	}
	for _, tc := range []struct{ identifier, token string }{
		{"other.customer.example", "tok"}, {name, "TOK"}, {name, "tok.thumb"}, {"SHOP.customer.example", "tok"},
	} {
		if _, ok := get(t, tc.identifier, tc.token, base); ok {
			t.Errorf("HTTPChallenge(%s, %s) found a response", tc.identifier, tc.token)
		}
	}
	// Expiry: valid until just before expires.
	if _, ok := get(t, name, "tok", expires.Add(-time.Microsecond)); !ok {
		t.Error("response gone before it expired")
	}
	if _, ok := get(t, name, "tok", expires); ok {
		t.Error("response served at its expiry")
	}
	// Putting again replaces it.
	wantErr(t, "PutHTTPChallenge(replace)", is.PutHTTPChallenge(ctx(t), name, "tok", "tok.other", expires.Add(time.Hour)), nil)
	if ka, ok := get(t, name, "tok", expires); !ok || ka != "tok.other" {
		t.Errorf("after replace: %q, %v", ka, ok)
	}
	wantErr(t, "DeleteHTTPChallenge", is.DeleteHTTPChallenge(ctx(t), name, "tok"), nil)
	if _, ok := get(t, name, "tok", base); ok {
		t.Error("response served after delete")
	}
	wantErr(t, "DeleteHTTPChallenge again", is.DeleteHTTPChallenge(ctx(t), name, "tok"), nil)
	if ka, ok := get(t, name, "tok2", base); !ok || ka != "tok2.thumb" {
		t.Errorf("the other token after delete: %q, %v", ka, ok)
	}
}

func testDCVValues(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, fullHostname(z.ID, "dcv.customer.example"))
	label := h.SSL.DCVLabel
	expires := base.Add(time.Hour)
	values := func(t *testing.T, label string, now time.Time) ([]string, bool) {
		t.Helper()
		v, ok, err := is.DCVValues(ctx(t), label, now)
		wantErr(t, "DCVValues", err, nil)
		return v, ok
	}

	if v, ok := values(t, label, base); !ok || len(v) != 0 {
		t.Errorf("a label without values = %v, %v; want none, exists", v, ok)
	}
	if v, ok := values(t, ident.ZoneID(), base); ok || len(v) != 0 {
		t.Errorf("an unknown label = %v, %v; want none, NXDOMAIN", v, ok)
	}
	if _, ok := values(t, "", base); ok {
		t.Error("the empty label exists")
	}
	wantErr(t, "AddDCVValue under an unknown label", is.AddDCVValue(ctx(t), ident.ZoneID(), "v", expires), store.ErrNotFound)
	wantErr(t, "AddDCVValue under the empty label", is.AddDCVValue(ctx(t), "", "v", expires), store.ErrNotFound)

	wantErr(t, "AddDCVValue", is.AddDCVValue(ctx(t), label, "b-value", expires), nil)
	wantErr(t, "AddDCVValue", is.AddDCVValue(ctx(t), label, "a-value", expires.Add(time.Hour)), nil)
	v, ok := values(t, label, base)
	diff(t, "values", []string{"a-value", "b-value"}, v)
	if !ok {
		t.Error("label with values does not exist")
	}
	// Adding again only extends: an earlier expiry does not shorten it.
	wantErr(t, "AddDCVValue(extend)", is.AddDCVValue(ctx(t), label, "b-value", expires.Add(2*time.Hour)), nil)
	wantErr(t, "AddDCVValue(earlier)", is.AddDCVValue(ctx(t), label, "b-value", base), nil)
	v, _ = values(t, label, expires.Add(time.Hour))
	diff(t, "values after the first expiry", []string{"b-value"}, v)
	v, ok = values(t, label, expires.Add(2*time.Hour))
	diff(t, "values after every expiry", []string(nil), v)
	if !ok {
		t.Error("a label whose values expired stopped existing")
	}

	wantErr(t, "RemoveDCVValue", is.RemoveDCVValue(ctx(t), label, "b-value"), nil)
	wantErr(t, "RemoveDCVValue again", is.RemoveDCVValue(ctx(t), label, "b-value"), nil)
	wantErr(t, "RemoveDCVValue under an unknown label", is.RemoveDCVValue(ctx(t), ident.ZoneID(), "x"), nil)
	v, _ = values(t, label, base)
	diff(t, "values after remove", []string{"a-value"}, v)
}

func testDCVLabel(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	z := newZone(t, s)
	h := createHostname(t, s, fullHostname(z.ID, "label.customer.example"))
	later := base.Add(time.Hour)

	t.Run("unique", func(t *testing.T) {
		dup := fullHostname(z.ID, "dup-label.customer.example")
		dup.SSL.DCVLabel = h.SSL.DCVLabel
		wantErr(t, "CreateHostname with a taken label", s.CreateHostname(ctx(t), dup), store.ErrConflict)
		// Hostnames without a label do not collide.
		createHostname(t, s, minimalHostname(z.ID, "nolabel1.customer.example"))
		createHostname(t, s, minimalHostname(z.ID, "nolabel2.customer.example"))
	})
	t.Run("relabel drops the old label's values", func(t *testing.T) {
		wantErr(t, "AddDCVValue", is.AddDCVValue(ctx(t), h.SSL.DCVLabel, "v", later), nil)
		cur := getHostname(t, s, z.ID, h.ID)
		old := cur.SSL.DCVLabel
		cur.SSL.DCVLabel = ident.ZoneID()
		wantErr(t, "UpdateHostname(new label)", s.UpdateHostname(ctx(t), cur), nil)
		if v, ok, err := is.DCVValues(ctx(t), old, base); err != nil || ok || len(v) != 0 {
			t.Errorf("old label = %v, %v, %v; want NXDOMAIN", v, ok, err)
		}
		if v, ok, err := is.DCVValues(ctx(t), cur.SSL.DCVLabel, base); err != nil || !ok || len(v) != 0 {
			t.Errorf("new label = %v, %v, %v; want no values, exists", v, ok, err)
		}
		wantErr(t, "AddDCVValue", is.AddDCVValue(ctx(t), cur.SSL.DCVLabel, "v", later), nil)
		cur = getHostname(t, s, z.ID, h.ID)
		label := cur.SSL.DCVLabel
		cur.SSL.DCVLabel = ""
		wantErr(t, "UpdateHostname(no label)", s.UpdateHostname(ctx(t), cur), nil)
		if got := getHostname(t, s, z.ID, h.ID); got.SSL.DCVLabel != "" {
			t.Errorf("label = %q after clearing", got.SSL.DCVLabel)
		}
		if _, ok, err := is.DCVValues(ctx(t), label, base); err != nil || ok {
			t.Errorf("cleared label: %v, %v; want NXDOMAIN", ok, err)
		}
	})
}

func testAccounts(t *testing.T, open opener) {
	s := open(t)
	is := implements[store.Issuances](t, s)
	const dir = "https://acme.example/directory"
	_, err := is.GetAccount(ctx(t), "lets_encrypt", dir)
	wantErr(t, "GetAccount before create", err, acme.ErrNotFound)
	wantErr(t, "SetAccountURL before create", is.SetAccountURL(ctx(t), "lets_encrypt", dir, "u"), acme.ErrNotFound)

	a := acme.Account{CA: "lets_encrypt", DirectoryURL: dir, KeyCiphertext: []byte{0, 0xff, 1}, Email: "ops@saas.example", CreatedAt: base}
	wantErr(t, "CreateAccount", is.CreateAccount(ctx(t), a), nil)
	dup := a
	dup.KeyCiphertext = []byte("another key")
	wantErr(t, "CreateAccount again", is.CreateAccount(ctx(t), dup), acme.ErrConflict)
	got, err := is.GetAccount(ctx(t), a.CA, dir)
	wantErr(t, "GetAccount", err, nil)
	diff(t, "account (the first key wins)", a, got)

	// Another directory of the same CA, or another CA at the directory,
	// is another account.
	staging := acme.Account{CA: "lets_encrypt", DirectoryURL: dir + "/staging", KeyCiphertext: []byte{2}, CreatedAt: base}
	wantErr(t, "CreateAccount(other directory)", is.CreateAccount(ctx(t), staging), nil)
	wantErr(t, "CreateAccount(other CA)", is.CreateAccount(ctx(t), acme.Account{CA: "google", DirectoryURL: dir, KeyCiphertext: []byte{3}, CreatedAt: base}), nil)

	wantErr(t, "SetAccountURL", is.SetAccountURL(ctx(t), a.CA, dir, "https://acme.example/acct/1"), nil)
	a.URL = "https://acme.example/acct/1"
	got, err = is.GetAccount(ctx(t), a.CA, dir)
	wantErr(t, "GetAccount", err, nil)
	diff(t, "account with its URL", a, got)
	got, err = is.GetAccount(ctx(t), staging.CA, staging.DirectoryURL)
	wantErr(t, "GetAccount(staging)", err, nil)
	diff(t, "the other account is unchanged", staging, got)
}
