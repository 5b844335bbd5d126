package verify

import (
	"context"
	"strings"
	"testing"
	"time"

	"net/netip"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
)

// verdict is the part of a Result the tables compare.
type verdict struct {
	Outcome  Outcome
	Method   Method
	Pointing Pointing
	Status   DNSStatus
	Errors   []string
}

func verdictOf(r Result) verdict {
	return verdict{r.Outcome, r.Method, r.Pointing, r.DNSStatus, r.Errors}
}

const (
	shop    = "shop.acme-store.com"
	shopTXT = "_cf-custom-hostname.shop.acme-store.com"
	shopURL = "http://shop.acme-store.com" + tokenPath
	apex    = "acme-store.com"
	apexTXT = "_cf-custom-hostname.acme-store.com"
	apexURL = "http://acme-store.com" + tokenPath
)

var (
	msgNoCNAME  = "custom hostname does not CNAME to this zone: found no CNAME, expected customers.saasprovider.com"
	msgNoTXT    = "TXT record " + shopTXT + " not found"
	msgNoAddrs  = "HTTP token at " + shopURL + " could not be fetched: the name has no A or AAAA records"
	msg404      = "HTTP token at " + shopURL + " not found: status 404, expected 200 with the ownership token"
	msgApex404  = "HTTP token at " + apexURL + " not found: status 404, expected 200 with the ownership token"
	msgApexTXT  = "TXT record " + apexTXT + " not found"
	msgRefused  = "HTTP token at " + apexURL + " could not be fetched: connection refused"
	msgTXTUnav  = "could not check TXT record " + shopTXT + ": the DNS server answered SERVFAIL; it will be checked again"
	msgCNAMEUnv = "could not check the CNAME of " + shop + ": the DNS server answered SERVFAIL; it will be checked again"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		zone  core.Zone
		host  core.Hostname
		setup func(f *fixture)
		want  verdict
	}{
		{
			name:  "nothing published",
			host:  hostname(shop, shopToken),
			setup: func(f *fixture) {},
			want:  verdict{NotProven, "", PointingElsewhere, DNSInvalid, []string{msgNoCNAME, msgNoTXT, msgNoAddrs}},
		},
		{
			name:  "txt",
			host:  hostname(shop, shopToken),
			setup: func(f *fixture) { f.dns.SetTXT(shopTXT, shopToken) },
			want:  verdict{Proven, MethodTXT, PointingElsewhere, DNSValid, nil},
		},
		{
			name:  "cname to the target",
			host:  hostname(shop, shopToken),
			setup: func(f *fixture) { f.dns.SetCNAME(shop, zone.CNAMETarget) },
			want:  verdict{Proven, MethodCNAME, PointingAtUs, DNSValid, nil},
		},
		{
			name: "cname through the customer's own chain",
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetCNAME(shop, "www.acme-cdn.net")
				f.dns.SetCNAME("www.acme-cdn.net", zone.CNAMETarget)
			},
			want: verdict{Proven, MethodCNAME, PointingAtUs, DNSValid, nil},
		},
		{
			name: "target written in another case with a dot",
			zone: core.Zone{ID: zone.ID, CNAMETarget: "Customers.SaaSProvider.com."},
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetCNAME(shop, zone.CNAMETarget)
			},
			want: verdict{Proven, MethodCNAME, PointingAtUs, DNSValid, nil},
		},
		{
			// A2: the chain ends at our edge, but through another tenant's target.
			name:  "cname to another zone's target",
			host:  hostname(shop, shopToken),
			setup: func(f *fixture) { f.dns.SetCNAME(shop, otherZone.CNAMETarget) },
			want: verdict{NotProven, "", PointingElsewhere, DNSInvalid, []string{
				"custom hostname does not CNAME to this zone: found CNAME customers.rival-saas.net, expected customers.saasprovider.com",
				msgNoTXT, msg404,
			}},
		},
		{
			name: "cname loop",
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetCNAME(shop, "a.acme-store.com")
				f.dns.SetCNAME("a.acme-store.com", shop)
			},
			want: verdict{NotProven, "", PointingElsewhere, DNSInvalid, []string{
				"custom hostname does not CNAME to this zone: found a CNAME chain that loops (shop.acme-store.com -> a.acme-store.com -> shop.acme-store.com), expected customers.saasprovider.com",
				msgNoTXT,
				"HTTP token at " + shopURL + " could not be fetched: the name's CNAME chain loops",
			}},
		},
		{
			name: "cname chain too long, target beyond the bound",
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				prev := shop
				for _, l := range strings.Split("a b c d e f g h i", " ") {
					f.dns.SetCNAME(prev, l+".acme-store.com")
					prev = l + ".acme-store.com"
				}
				f.dns.SetCNAME(prev, zone.CNAMETarget)
			},
			want: verdict{NotProven, "", PointingElsewhere, DNSInvalid, []string{
				"custom hostname does not CNAME to this zone: found a CNAME chain that is too long (shop.acme-store.com -> a.acme-store.com -> b.acme-store.com -> c.acme-store.com -> d.acme-store.com -> e.acme-store.com -> f.acme-store.com -> g.acme-store.com -> h.acme-store.com -> i.acme-store.com), expected customers.saasprovider.com",
				msgNoTXT,
				"HTTP token at " + shopURL + " could not be fetched: the name's CNAME chain is too long",
			}},
		},
		{
			name:  "zone without a cname target",
			zone:  core.Zone{ID: zone.ID},
			host:  hostname(shop, shopToken),
			setup: func(f *fixture) {},
			want:  verdict{NotProven, "", PointingElsewhere, DNSInvalid, []string{msgNoTXT, msgNoAddrs}},
		},
		{
			name: "flattened cname: edge addresses point at us but prove nothing",
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetA(shop, "127.0.0.1")
				f.dns.SetAAAA(shop, "::1")
			},
			want: verdict{NotProven, "", PointingAtUs, DNSInvalid, []string{msgNoCNAME, msgNoTXT, msg404}},
		},
		// A6, F7: could not check is never "not there".
		{
			name: "txt servfail",
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetServfail(shopTXT, true)
			},
			want: verdict{Unknown, "", PointingElsewhere, DNSPending, []string{msgNoCNAME, msgTXTUnav, msgNoAddrs}},
		},
		{
			name: "everything servfail",
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetServfail(shopTXT, true)
				f.dns.SetServfail(shop, true)
			},
			want: verdict{Unknown, "", PointingUnknown, DNSPending, []string{
				msgCNAMEUnv, msgTXTUnav,
				"could not check the HTTP token at " + shopURL + ": the DNS server answered SERVFAIL; it will be checked again",
			}},
		},
		{
			name: "txt servfail, cname proves",
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetServfail(shopTXT, true)
				f.dns.SetCNAME(shop, zone.CNAMETarget)
			},
			want: verdict{Proven, MethodCNAME, PointingAtUs, DNSValid, nil},
		},
		{
			name: "cname servfail, txt proves",
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetServfail(shop, true)
				f.dns.SetTXT(shopTXT, shopToken)
			},
			want: verdict{Proven, MethodTXT, PointingUnknown, DNSValid, nil},
		},
		{
			name: "target's own servers failing after the customer's cname",
			host: hostname(shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetCNAME(shop, "lb.acme-store.com")
				f.dns.SetCNAME("lb.acme-store.com", zone.CNAMETarget)
				f.dns.SetServfail(zone.CNAMETarget, true)
			},
			want: verdict{Proven, MethodCNAME, PointingAtUs, DNSValid, nil},
		},
		// A3: an apex on shared edge addresses needs a token.
		{
			name: "apex on edge addresses without a token",
			host: hostname(apex, shopToken),
			setup: func(f *fixture) {
				f.dns.SetA(apex, "127.0.0.1")
			},
			want: verdict{NotProven, "", PointingAtUs, DNSInvalid, []string{apexMessage, msgApexTXT, msgApex404}},
		},
		{
			name: "apex on edge addresses with the txt token",
			host: hostname(apex, shopToken),
			setup: func(f *fixture) {
				f.dns.SetA(apex, "127.0.0.1")
				f.dns.SetTXT(apexTXT, shopToken)
			},
			want: verdict{Proven, MethodTXT, PointingAtUs, DNSValid, nil},
		},
		{
			name: "apex on edge addresses with the http token",
			host: hostname(apex, shopToken),
			setup: func(f *fixture) {
				f.dns.SetA(apex, "127.0.0.1")
				f.serveBody(apex, tokenPath, shopToken)
			},
			want: verdict{Proven, MethodHTTP, PointingAtUs, DNSValid, nil},
		},
		{
			name: "apex with one address elsewhere",
			host: hostname(apex, shopToken),
			setup: func(f *fixture) {
				f.dns.SetA(apex, "127.0.0.1")
				f.dns.SetAAAA(apex, "2001:db8::99")
			},
			want: verdict{NotProven, "", PointingElsewhere, DNSInvalid, []string{apexMessage, msgApexTXT, msgApex404}},
		},
		{
			name: "apex on someone else's address",
			host: hostname(apex, shopToken),
			setup: func(f *fixture) {
				f.dns.SetA(apex, "127.0.0.99") // nothing listens there: refused
			},
			want: verdict{NotProven, "", PointingElsewhere, DNSInvalid, []string{apexMessage, msgApexTXT, msgRefused}},
		},
		// Wildcards: the TXT record only.
		{
			name: "wildcard with the txt token",
			host: hostname("*."+shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetTXT(shopTXT, shopToken)
				f.dns.SetCNAME("*."+shop, zone.CNAMETarget)
			},
			want: verdict{Proven, MethodTXT, PointingAtUs, DNSValid, nil},
		},
		{
			name: "wildcard with only a cname",
			host: hostname("*."+shop, shopToken),
			setup: func(f *fixture) {
				f.dns.SetCNAME("*."+shop, zone.CNAMETarget)
				f.dns.SetCNAME(shop, zone.CNAMETarget)
				f.serveBody(shop, tokenPath, shopToken)
			},
			want: verdict{NotProven, "", PointingAtUs, DNSInvalid, []string{
				msgNoTXT, "a wildcard custom hostname can only be verified with the TXT record " + shopTXT,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			tt.setup(f)
			z := zone
			if tt.zone.ID != "" {
				z = tt.zone
			}
			got := f.checker.Check(context.Background(), z, tt.host)
			if diff := cmp.Diff(tt.want, verdictOf(got)); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
			if !got.CheckedAt.Equal(t0) {
				t.Errorf("CheckedAt %s, want the clock's %s", got.CheckedAt, t0)
			}
		})
	}
}

// TestTXTExactMatch: every near miss is rejected (threat A9).
func TestTXTExactMatch(t *testing.T) {
	tests := []struct {
		name    string
		records [][]string
		token   string
		want    Outcome
	}{
		{"exact", [][]string{{shopToken}}, shopToken, Proven},
		{"split across strings", [][]string{{shopToken[:8], shopToken[8:20], shopToken[20:]}}, shopToken, Proven},
		{"one of several records", [][]string{{"v=spf1 -all"}, {shopToken}, {otherToken}}, shopToken, Proven},
		{"prefix", [][]string{{"x" + shopToken}}, shopToken, NotProven},
		{"suffix", [][]string{{shopToken + "x"}}, shopToken, NotProven},
		{"truncated", [][]string{{shopToken[:35]}}, shopToken, NotProven},
		{"upper case", [][]string{{strings.ToUpper(shopToken)}}, shopToken, NotProven},
		{"leading space", [][]string{{" " + shopToken}}, shopToken, NotProven},
		{"trailing space", [][]string{{shopToken + " "}}, shopToken, NotProven},
		{"trailing newline", [][]string{{shopToken + "\\010"}}, shopToken, NotProven},
		{"quoted", [][]string{{`\"` + shopToken + `\"`}}, shopToken, NotProven},
		{"split across records", [][]string{{shopToken[:18]}, {shopToken[18:]}}, shopToken, NotProven},
		{"another hostname's token", [][]string{{otherToken}}, shopToken, NotProven},
		{"empty record, empty token", [][]string{{""}}, "", NotProven},
		{"key=value form", [][]string{{"token=" + shopToken}}, shopToken, NotProven},
	}
	f := newFixture(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.dns.SetTXTStrings(shopTXT, tt.records...)
			got := f.checker.Check(context.Background(), zone, hostname(shop, tt.token))
			if got.Outcome != tt.want {
				t.Fatalf("Outcome %s, want %s; errors %q", got.Outcome, tt.want, got.Errors)
			}
			if tt.want == NotProven && !containsPrefix(got.Errors, "found TXT ") {
				t.Errorf("errors %q do not say what was found", got.Errors)
			}
			for _, e := range got.Errors {
				if tt.token != "" && strings.Contains(e, tt.token) && !strings.Contains(strings.Join(tt.records[0], ""), tt.token) {
					t.Errorf("error %q reveals the expected token", e)
				}
			}
		})
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestTXTMessageQuotesHostileValues(t *testing.T) {
	f := newFixture(t, nil)
	f.dns.SetTXTStrings(shopTXT, []string{"\\027[31mred"}, []string{strings.Repeat("z", 200)}, []string{"b"}, []string{"c"})
	got := f.checker.Check(context.Background(), zone, hostname(shop, shopToken))
	want := `found TXT "\x1b[31mred", "` + strings.Repeat("z", 64) + `…", "b", and 1 more at ` + shopTXT + `, expected the ownership token`
	if len(got.Errors) < 2 || got.Errors[1] != want {
		t.Errorf("errors %q\nwant second %q", got.Errors, want)
	}
}

// TestScope: a proof for shop.x.com proves nothing for x.com, *.x.com or
// a.shop.x.com (threat A8), even with the same token value.
func TestScope(t *testing.T) {
	f := newFixture(t, nil)
	f.dns.SetTXT(shopTXT, shopToken)
	f.dns.SetCNAME(shop, zone.CNAMETarget)
	f.serveBody(shop, tokenPath, shopToken)
	if got := f.checker.Check(context.Background(), zone, hostname(shop, shopToken)); got.Outcome != Proven {
		t.Fatalf("shop itself: %s %q", got.Outcome, got.Errors)
	}
	for _, name := range []string{apex, "*." + apex, "a." + shop, "*.a." + shop} {
		t.Run(name, func(t *testing.T) {
			got := f.checker.Check(context.Background(), zone, hostname(name, shopToken))
			if got.Outcome != NotProven {
				t.Errorf("Outcome %s (method %q), want not_proven", got.Outcome, got.Method)
			}
		})
	}
}

func TestWildcardProbeIsFresh(t *testing.T) {
	f := newFixture(t, nil)
	h := hostname("*."+shop, shopToken)
	f.checker.Check(context.Background(), zone, h)
	f.checker.Check(context.Background(), zone, h)
	var probes []string
	for _, q := range f.dns.Queries() {
		if q.Type == dns.TypeCNAME {
			probes = append(probes, q.Name)
		}
	}
	if len(probes) != 2 || probes[0] == probes[1] || !strings.HasSuffix(probes[0], "."+shop) {
		t.Errorf("probe names %q: want two different names under %s", probes, shop)
	}
}

// TestCheckTimeout: a resolver that never answers gives Unknown within the
// configured timeouts.
func TestCheckTimeout(t *testing.T) {
	f := newFixture(t, nil)
	f.dns.SetDelay(shopTXT, 5*time.Second)
	f.dns.SetDelay(shop, 5*time.Second)
	start := time.Now()
	got := f.checker.Check(context.Background(), zone, hostname(shop, shopToken))
	if got.Outcome != Unknown || got.Pointing != PointingUnknown || got.DNSStatus != DNSPending {
		t.Errorf("got %s/%s/%s, want unknown/unknown/pending; errors %q", got.Outcome, got.Pointing, got.DNSStatus, got.Errors)
	}
	if d := time.Since(start); d > 10*testTimeout {
		t.Errorf("check took %s", d)
	}
}

func TestNewCheckerRejects(t *testing.T) {
	r, _ := NewDNSResolver([]string{"127.0.0.1"}, DNSOptions{})
	clk := clock.NewFake(t0)
	bad := []Config{
		{EdgeIPv4: []netip.Addr{netip.MustParseAddr("2001:db8::1")}},
		{EdgeIPv6: []netip.Addr{netip.MustParseAddr("192.0.2.1")}},
		{HTTPTimeout: -1},
		{HTTPPort: 70000},
	}
	for _, cfg := range bad {
		if _, err := NewChecker(r, clk, cfg); err == nil {
			t.Errorf("NewChecker(%+v) accepted", cfg)
		}
	}
	if _, err := NewChecker(nil, clk, Config{}); err == nil {
		t.Error("nil resolver accepted")
	}
}
