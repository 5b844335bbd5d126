package config

import (
	"flag"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEdgeDefaults(t *testing.T) {
	var e Edge
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	e.Register(fs)
	if e.HTTPSAddr() != ":443" || e.HTTPAddr() != ":80" || !e.Enabled() || !e.OnDefaultPorts() || !e.AccessLog {
		t.Errorf("defaults: %+v", e)
	}
	if err := fs.Parse([]string{"--https-listen", "off", "--http-listen", "127.0.0.1:8080"}); err != nil {
		t.Fatal(err)
	}
	if e.HTTPSAddr() != "" || e.HTTPAddr() != "127.0.0.1:8080" || e.OnDefaultPorts() {
		t.Errorf("after flags: https %q http %q default %v", e.HTTPSAddr(), e.HTTPAddr(), e.OnDefaultPorts())
	}
	if (Edge{}).Enabled() {
		t.Error("the zero Edge (tests, API-only) is enabled")
	}
}

func TestEdgeValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    Edge
		want string // "" = valid
	}{
		{"zero", Edge{}, ""},
		{"off", Edge{HTTPSListen: "off", HTTPListen: "off"}, ""},
		{"bad address", Edge{HTTPSListen: "443"}, "--https-listen"},
		{"bad proxy", Edge{TrustedProxies: "10.0.0.0/8, lb.example"}, "--trusted-proxies"},
		{"cert without key", Edge{DefaultCertFile: "c.pem"}, "--edge-default-key"},
		{"bad header", Edge{MetadataHeader: "X Meta"}, "--edge-metadata-header"},
		{"negative cache", Edge{CacheSize: -1}, "--edge-cache-size"},
	} {
		err := tc.e.Validate()
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	got, err := Edge{TrustedProxies: "10.0.0.0/8, 192.0.2.7,2001:db8::/32, 10.1.2.3/8"}.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("10.0.0.0/8")}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("Proxies (-want +got):\n%s", d)
	}
}
