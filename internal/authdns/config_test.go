package authdns

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func TestConfigRefused(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no zone", Config{}},
		{"uppercase zone", Config{Zone: "DCV.saasprovider.com"}},
		{"trailing dot", Config{Zone: "dcv.saasprovider.com."}},
		{"single label", Config{Zone: "dcv"}},
		{"bad character", Config{Zone: "dcv_.saasprovider.com"}},
		{"too long", Config{Zone: strings.Repeat("a.", 110) + "com"}},
		{"bad nameserver", Config{Zone: testZone, NS: []string{"a..b"}}},
		{"deep in-zone nameserver", Config{Zone: testZone, NS: []string{"a.b." + testZone}}},
		{"address for unknown nameserver", Config{Zone: testZone,
			NSAddrs: map[string][]netip.Addr{"ns2." + testZone: {netip.MustParseAddr("192.0.2.1")}}}},
		{"address for out-of-zone nameserver", Config{Zone: testZone, NS: []string{"ns.example.net"},
			NSAddrs: map[string][]netip.Addr{"ns.example.net": {netip.MustParseAddr("192.0.2.1")}}}},
		{"invalid address", Config{Zone: testZone, NSAddrs: map[string][]netip.Addr{"ns1." + testZone: {{}}}}},
		{"bad hostmaster", Config{Zone: testZone, Hostmaster: "nobody"}},
		{"TTL too short", Config{Zone: testZone, TTL: time.Millisecond}},
		{"negative TTL too long", Config{Zone: testZone, NegativeTTL: 48 * time.Hour}},
		{"negative query timeout", Config{Zone: testZone, QueryTimeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, &MemRecords{}, nil); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
	if _, err := New(Config{Zone: testZone}, nil, nil); err == nil {
		t.Error("New accepted nil Records")
	}
}

func TestConfigDefaults(t *testing.T) {
	srv, err := New(Config{Zone: testZone}, &MemRecords{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := srv.cfg
	got.countRcode = nil
	want := settings{
		zone: testZone + ".", zoneLabels: 3, listen: ":53",
		ns:      []string{"ns1." + testZone + "."},
		nsHosts: map[string][]netip.Addr{"ns1": nil},
		mbox:    "hostmaster." + testZone + ".",
		ttl:     60, negTTL: 60, timeout: 500 * time.Millisecond,
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(settings{})); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestStartShutdown(t *testing.T) {
	srv, err := New(Config{Zone: testZone, Listen: "127.0.0.1:0"}, &MemRecords{}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if srv.Addr() != "" {
		t.Errorf("Addr before Start = %q", srv.Addr())
	}
	ctx := context.Background()
	must(t, srv.Start(ctx))
	if err := srv.Start(ctx); err == nil {
		t.Error("second Start succeeded")
	}
	// The port is taken now, for UDP and TCP both.
	other, err := New(Config{Zone: testZone, Listen: srv.Addr()}, &MemRecords{}, nil)
	must(t, err)
	if err := other.Start(ctx); err == nil {
		t.Error("second server bound the same port")
		_ = other.Shutdown(ctx)
	}
	must(t, srv.Shutdown(ctx))
	must(t, srv.Shutdown(ctx))
	if err := srv.Start(ctx); err == nil {
		t.Error("Start after Shutdown succeeded")
	}
	never, err := New(Config{Zone: testZone}, &MemRecords{}, nil)
	must(t, err)
	must(t, never.Shutdown(ctx))
}

func TestCountQuery(t *testing.T) {
	counts := make(chan string, 10)
	recs := &MemRecords{}
	must(t, recs.Set("one", "v"))
	srv := startServer(t, recs, func(c *Config) { c.CountQuery = func(rcode string) { counts <- rcode } })
	for _, q := range []string{fqdn("one"), fqdn("nope"), "example.com."} {
		exchange(t, "udp", srv.Addr(), query(q, dns.TypeTXT))
	}
	var got []string
	for range 3 {
		got = append(got, <-counts)
	}
	slices.Sort(got) // counted after the answer is sent: order is not promised
	if diff := cmp.Diff([]string{"NOERROR", "NXDOMAIN", "REFUSED"}, got); diff != "" {
		t.Errorf("counted rcodes (-want +got):\n%s", diff)
	}
}
