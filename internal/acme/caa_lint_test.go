package acme

import (
	"context"
	"testing"
)

func TestCAAAllows(t *testing.T) {
	ids := []string{"letsencrypt.org"}
	r := &fakeCAA{
		recs: map[string][]CAA{
			"ours.example":   {{Tag: "issue", Value: "letsencrypt.org"}},
			"theirs.example": {{Tag: "issue", Value: "pki.goog"}},
			"acct.example":   {{Tag: "issue", Value: "letsencrypt.org; accounturi=https://ca.example/acct/1"}},
		},
		fail: map[string]bool{"down.example": true},
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name, acct string
		allowed    bool
		forbidden  bool
	}{
		{name: "customers.ours.example", allowed: true},
		{name: "customers.theirs.example", forbidden: true},
		{name: "customers.acct.example", acct: "https://ca.example/acct/1", allowed: true},
		{name: "customers.acct.example", forbidden: true}, // no account yet: cannot be the one named
		{name: "customers.down.example"},
	} {
		err := CAAAllows(ctx, r, tc.name, ids, tc.acct, "http-01")
		if (err == nil) != tc.allowed || IsCAAForbidden(err) != tc.forbidden {
			t.Errorf("CAAAllows(%s, account %q) = %v; want allowed %v, forbidden %v", tc.name, tc.acct, err, tc.allowed, tc.forbidden)
		}
	}
}
