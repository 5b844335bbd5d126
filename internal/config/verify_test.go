package config

import (
	"flag"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVerifyFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ []string
		wantErr string // substring; "" means valid
		check   func(t *testing.T, v Verify)
	}{
		{name: "defaults", check: func(t *testing.T, v Verify) {
			if v.VerifyWorkers != 4 || v.VerifyHTTPPort != 80 || v.VerifyAllowPrivate || v.Resolver != "" {
				t.Errorf("defaults %+v", v)
			}
		}},
		{name: "resolver list", args: []string{"--resolver", "127.0.0.1:5353, 10.0.0.1"}, check: func(t *testing.T, v Verify) {
			got, _ := v.ResolverServers()
			if diff := cmp.Diff([]string{"127.0.0.1:5353", "10.0.0.1"}, got); diff != "" {
				t.Errorf("servers (-want +got):\n%s", diff)
			}
		}},
		{name: "resolver from env", environ: []string{"PORTICO_RESOLVER=127.0.0.1:53", "PORTICO_VERIFY_ALLOW_PRIVATE=true"},
			check: func(t *testing.T, v Verify) {
				if v.Resolver != "127.0.0.1:53" || !v.VerifyAllowPrivate {
					t.Errorf("from env: %+v", v)
				}
			}},
		{name: "edge addresses", args: []string{"--edge-ipv4", "192.0.2.1,192.0.2.2", "--edge-ipv6", "2001:db8::1"},
			check: func(t *testing.T, v Verify) {
				v4, v6, _ := v.EdgeAddrs()
				if len(v4) != 2 || len(v6) != 1 || v6[0] != netip.MustParseAddr("2001:db8::1") {
					t.Errorf("edge %v %v", v4, v6)
				}
			}},
		{name: "resolver name refused", args: []string{"--resolver", "dns.example.com:53"}, wantErr: "--resolver"},
		{name: "ipv6 in ipv4 list", args: []string{"--edge-ipv4", "2001:db8::1"}, wantErr: "--edge-ipv4"},
		{name: "ipv4 in ipv6 list", args: []string{"--edge-ipv6", "192.0.2.1"}, wantErr: "--edge-ipv6"},
		{name: "negative workers", args: []string{"--verify-workers", "-1"}, wantErr: "--verify-workers"},
		{name: "bad port", args: []string{"--verify-http-port", "70000"}, wantErr: "--verify-http-port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Verify
			parseValidate(t, &v, tt.args, tt.environ, tt.wantErr)
			if tt.check != nil {
				tt.check(t, v)
			}
		})
	}
	// The zero value (a Serve built in code, as tests do) is valid.
	if err := (Verify{}).Validate(); err != nil {
		t.Errorf("zero Verify: %v", err)
	}
}

// parseValidate registers c's flags, parses args and environ into c, and
// checks Validate's error: none when wantErr is "", else one that mentions
// wantErr.
func parseValidate(t *testing.T, c interface {
	Register(*flag.FlagSet)
	Validate() error
}, args, environ []string, wantErr string) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Register(fs)
	if _, err := Parse(fs, args, environ); err != nil {
		t.Fatal(err)
	}
	err := c.Validate()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("Validate: %v", err)
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Fatalf("Validate = %v, want an error about %s", err, wantErr)
	}
}
