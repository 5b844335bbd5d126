package service

import (
	"testing"

	"github.com/porticohq/portico/internal/core"
)

func TestCleanPrependPath(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true}, {"/", "", true}, {"/app", "/app", true}, {"/app/", "/app", true},
		{"/tenant/7/v1", "/tenant/7/v1", true}, {"/a-b_c.d~e/f:g@h", "/a-b_c.d~e/f:g@h", true},
		{"app", "", false}, {"//app", "", false}, {"/a//b", "", false}, {"/a/../b", "", false}, {"/./a", "", false},
		{"/a%2Fb", "", false}, {"/a?b", "", false}, {"/a#b", "", false}, {"/a b", "", false}, {"/ü", "", false},
		{"/" + string(make([]byte, MaxPrependPath)), "", false},
	} {
		got, err := cleanPrependPath(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("cleanPrependPath(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && core.AsError(err).Reason != ReasonInvalidPrependPath {
			t.Errorf("%q: reason %q", tc.in, core.AsError(err).Reason)
		}
	}
}

func TestApplyUpstream(t *testing.T) {
	s := func(v string) *string { return &v }
	i := func(v int) *int { return &v }
	b := func(v bool) *bool { return &v }
	for _, tc := range []struct {
		name   string
		in     UpstreamInput
		want   core.Upstream
		reason string
	}{
		{"defaults", UpstreamInput{Host: s("App.Example.com")}, core.Upstream{Host: "app.example.com", Port: 443, TLS: true}, ""},
		{"plain HTTP defaults to 80", UpstreamInput{Host: s("app.example.com"), TLS: b(false)}, core.Upstream{Host: "app.example.com", Port: 80}, ""},
		{"scheme and port in host", UpstreamInput{Host: s("http://10.1.2.3:8080")}, core.Upstream{Host: "10.1.2.3", Port: 8080}, ""},
		{"https scheme", UpstreamInput{Host: s("https://app.example.com")}, core.Upstream{Host: "app.example.com", Port: 443, TLS: true}, ""},
		{"IPv6", UpstreamInput{Host: s("[2001:db8::1]:8443")}, core.Upstream{Host: "2001:db8::1", Port: 8443, TLS: true}, ""},
		{"same port twice", UpstreamInput{Host: s("app.example.com:81"), Port: i(81)}, core.Upstream{Host: "app.example.com", Port: 81, TLS: true}, ""},
		{"port conflict", UpstreamInput{Host: s("app.example.com:81"), Port: i(82)}, core.Upstream{}, ReasonInvalidUpstreamPort},
		{"scheme conflict", UpstreamInput{Host: s("http://app.example.com"), TLS: b(true)}, core.Upstream{}, ReasonInvalidUpstreamHost},
		{"port range", UpstreamInput{Host: s("app.example.com"), Port: i(70000)}, core.Upstream{}, ReasonInvalidUpstreamPort},
		{"path in host", UpstreamInput{Host: s("https://app.example.com/x")}, core.Upstream{}, ReasonInvalidUpstreamHost},
		{"wildcard host", UpstreamInput{Host: s("*.example.com")}, core.Upstream{}, ReasonInvalidUpstreamHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := core.Upstream{TLS: true}
			err := applyUpstream(&u, tc.in, true)
			if tc.reason != "" {
				if core.AsError(err).Reason != tc.reason {
					t.Fatalf("err %v, want reason %s", err, tc.reason)
				}
				return
			}
			if err != nil || u != tc.want {
				t.Errorf("got %+v, %v; want %+v", u, err, tc.want)
			}
		})
	}
	// An edit keeps what it is not given.
	u := core.Upstream{Host: "app.example.com", Port: 8443, TLS: true, PrependPath: "/a"}
	if err := applyUpstream(&u, UpstreamInput{TLS: b(false)}, false); err != nil || u.Port != 8443 || u.TLS || u.PrependPath != "/a" {
		t.Errorf("edit: %+v %v", u, err)
	}
}
