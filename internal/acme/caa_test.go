package acme

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/porticohq/portico/internal/testkit/dnstest"
)

// fakeCAA is a CAAResolver over a map; names in fail answer an error.
type fakeCAA struct {
	recs  map[string][]CAA
	fail  map[string]bool
	asked []string
}

func (f *fakeCAA) LookupCAA(_ context.Context, name string) ([]CAA, error) {
	f.asked = append(f.asked, name)
	if f.fail[name] {
		return nil, errors.New("SERVFAIL")
	}
	return f.recs[name], nil
}

func TestCheckCAA(t *testing.T) {
	const acct = "https://ca.example/acct/1"
	ids := []string{"letsencrypt.org"}
	issue := func(v string) CAA { return CAA{Tag: "issue", Value: v} }
	wild := func(v string) CAA { return CAA{Tag: "issuewild", Value: v} }
	for _, tc := range []struct {
		name    string
		recs    map[string][]CAA
		fail    []string
		ident   string
		method  string
		want    string // "" allowed, "forbidden", "lookup"
		wantAt  string
		wantAsk string // comma-joined names asked, when checked
	}{
		{name: "no CAA anywhere", ident: "a.b.example.com", want: "", wantAsk: "a.b.example.com,b.example.com,example.com,com"},
		{name: "our CA at the parent", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org")}}, ident: "shop.example.com"},
		{name: "case and trailing dot", recs: map[string][]CAA{"example.com": {issue(" LetsEncrypt.org. ")}}, ident: "shop.example.com"},
		{name: "another CA", recs: map[string][]CAA{"example.com": {issue("pki.goog")}}, ident: "shop.example.com", want: "forbidden", wantAt: "example.com"},
		{name: "the closest record wins", recs: map[string][]CAA{
			"shop.example.com": {issue("pki.goog")}, "example.com": {issue("letsencrypt.org")}},
			ident: "shop.example.com", want: "forbidden", wantAt: "shop.example.com", wantAsk: "shop.example.com"},
		{name: "empty issue forbids all", recs: map[string][]CAA{"example.com": {issue(";")}}, ident: "x.example.com", want: "forbidden"},
		{name: "one of several", recs: map[string][]CAA{"example.com": {issue("pki.goog"), issue("letsencrypt.org")}}, ident: "x.example.com"},
		{name: "only iodef", recs: map[string][]CAA{"example.com": {{Tag: "iodef", Value: "mailto:x@example.com"}}}, ident: "x.example.com"},
		{name: "unknown critical tag", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org"), {Flag: 128, Tag: "tbs", Value: "x"}}},
			ident: "x.example.com", want: "forbidden"},
		{name: "unknown non-critical tag ignored", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org"), {Tag: "tbs", Value: "x"}}},
			ident: "x.example.com"},
		{name: "wildcard uses issuewild", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org"), wild("pki.goog")}},
			ident: "*.example.com", want: "forbidden"},
		{name: "wildcard falls back to issue", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org")}}, ident: "*.example.com",
			wantAsk: "example.com"},
		{name: "issuewild does not apply to plain names", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org"), wild(";")}},
			ident: "www.example.com"},
		{name: "accounturi ours", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org; accounturi=" + acct)}}, ident: "x.example.com"},
		{name: "accounturi another", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org; accounturi=https://ca.example/acct/2")}},
			ident: "x.example.com", want: "forbidden"},
		{name: "validationmethods includes ours", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org; validationmethods=dns-01,http-01")}},
			ident: "x.example.com"},
		{name: "validationmethods excludes ours", recs: map[string][]CAA{"example.com": {issue("letsencrypt.org; validationmethods=dns-01")}},
			ident: "x.example.com", want: "forbidden"},
		{name: "lookup failure", fail: []string{"example.com"}, ident: "x.example.com", want: "lookup"},
		{name: "lookup failure above a decision is not reached", recs: map[string][]CAA{"x.example.com": {issue("letsencrypt.org")}},
			fail: []string{"example.com"}, ident: "x.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &fakeCAA{recs: tc.recs, fail: map[string]bool{}}
			for _, n := range tc.fail {
				r.fail[n] = true
			}
			method := tc.method
			if method == "" {
				method = "http-01"
			}
			err := checkCAA(context.Background(), r, tc.ident, ids, acct, method)
			var fb *caaForbidden
			var le *caaLookupError
			switch tc.want {
			case "":
				if err != nil {
					t.Fatalf("checkCAA: %v, want allowed", err)
				}
			case "forbidden":
				if !errors.As(err, &fb) {
					t.Fatalf("checkCAA: %v, want forbidden", err)
				}
				if !strings.HasPrefix(err.Error(), "caa_forbids: ") {
					t.Errorf("message %q", err)
				}
				if tc.wantAt != "" && fb.At != tc.wantAt {
					t.Errorf("decided at %s, want %s", fb.At, tc.wantAt)
				}
			case "lookup":
				if !errors.As(err, &le) {
					t.Fatalf("checkCAA: %v, want a lookup error", err)
				}
			}
			if tc.wantAsk != "" {
				if got := strings.Join(r.asked, ","); got != tc.wantAsk {
					t.Errorf("asked %s, want %s", got, tc.wantAsk)
				}
			}
		})
	}
}

// The DNS resolver against a real (loopback) server: records, CNAMEs
// followed, nothing and NXDOMAIN as no records, SERVFAIL as an error.
func TestDNSCAAResolver(t *testing.T) {
	srv := dnstest.New(t)
	srv.SetCAA("example.com", dnstest.CAA{Tag: "issue", Value: "letsencrypt.org"}, dnstest.CAA{Flag: 128, Tag: "issuewild", Value: ";"})
	srv.SetCNAME("alias.example.net", "example.com")
	srv.SetA("plain.example.com", "192.0.2.1")
	srv.SetServfail("broken.example.org", true)
	r, err := NewDNSCAAResolver([]string{srv.Addr()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		want    string
		wantErr bool
	}{
		{"example.com", "0 issue letsencrypt.org|128 issuewild ;", false},
		{"alias.example.net", "0 issue letsencrypt.org|128 issuewild ;", false},
		{"plain.example.com", "", false},
		{"nothing.example.com", "", false},
		{"broken.example.org", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := r.LookupCAA(t.Context(), tc.name)
			if (err != nil) != tc.wantErr {
				t.Fatalf("LookupCAA: %v", err)
			}
			var got []string
			for _, c := range recs {
				got = append(got, strings.Join([]string{itoa(c.Flag), c.Tag, c.Value}, " "))
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, "|"), tc.want)
			}
		})
	}
	if q := srv.Queries(); len(q) == 0 || q[0].Type != dns.TypeCAA {
		t.Errorf("queries %v", q)
	}
	if _, err := NewDNSCAAResolver([]string{"resolver.example"}, 0); err == nil {
		t.Error("a resolver given by name was accepted")
	}
}

func itoa(f uint8) string {
	if f == 0 {
		return "0"
	}
	return "128"
}
