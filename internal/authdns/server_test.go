package authdns

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func TestAnswers(t *testing.T) {
	recs := &MemRecords{}
	long := strings.Repeat("x", 400)
	for label, values := range map[string][]string{
		"one":   {"value-1"},
		"two":   {"value-1", "value-2"},
		"long":  {long},
		"empty": nil,
	} {
		if err := recs.Set(label, values...); err != nil {
			t.Fatal(err)
		}
	}
	srv := startServer(t, recs, nil)
	apex := testZone + "."

	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		qclass uint16 // 0 means IN
		rcode  int
		aa     bool
		answer []string
		ns     []string
	}{
		{name: "apex SOA", qname: apex, qtype: dns.TypeSOA, aa: true, answer: []string{soaLine(apex)}},
		{name: "apex NS", qname: apex, qtype: dns.TypeNS, aa: true,
			answer: []string{apex + " 60 IN NS ns1.dcv.saasprovider.com."}},
		{name: "apex A is NODATA", qname: apex, qtype: dns.TypeA, aa: true, ns: []string{soaLine(apex)}},
		{name: "apex TXT is NODATA", qname: apex, qtype: dns.TypeTXT, aa: true, ns: []string{soaLine(apex)}},
		{name: "apex ANY is minimal", qname: apex, qtype: dns.TypeANY, aa: true,
			answer: []string{apex + ` 60 IN HINFO "RFC8482" ""`}},
		{name: "TXT one value", qname: fqdn("one"), qtype: dns.TypeTXT, aa: true,
			answer: []string{fqdn("one") + ` 60 IN TXT "value-1"`}},
		{name: "TXT two values", qname: fqdn("two"), qtype: dns.TypeTXT, aa: true,
			answer: []string{fqdn("two") + ` 60 IN TXT "value-1"`, fqdn("two") + ` 60 IN TXT "value-2"`}},
		{name: "TXT long value split in 255-byte strings", qname: fqdn("long"), qtype: dns.TypeTXT, aa: true,
			answer: []string{fqdn("long") + ` 60 IN TXT "` + long[:255] + `" "` + long[255:] + `"`}},
		{name: "label without values is NODATA", qname: fqdn("empty"), qtype: dns.TypeTXT, aa: true,
			ns: []string{soaLine(apex)}},
		{name: "label A is NODATA", qname: fqdn("one"), qtype: dns.TypeA, aa: true, ns: []string{soaLine(apex)}},
		{name: "label ANY is minimal", qname: fqdn("two"), qtype: dns.TypeANY, aa: true,
			answer: []string{fqdn("two") + ` 60 IN HINFO "RFC8482" ""`}},
		{name: "unknown label NXDOMAIN", qname: fqdn("nope"), qtype: dns.TypeTXT, rcode: dns.RcodeNameError,
			aa: true, ns: []string{soaLine(apex)}},
		{name: "unknown label ANY NXDOMAIN", qname: fqdn("nope"), qtype: dns.TypeANY, rcode: dns.RcodeNameError,
			aa: true, ns: []string{soaLine(apex)}},
		{name: "below a label NXDOMAIN", qname: "x." + fqdn("one"), qtype: dns.TypeTXT, rcode: dns.RcodeNameError,
			aa: true, ns: []string{soaLine(apex)}},
		{name: "non-LDH label NXDOMAIN", qname: fqdn("_x"), qtype: dns.TypeTXT, rcode: dns.RcodeNameError,
			aa: true, ns: []string{soaLine(apex)}},
		{name: "in-zone nameserver without address is NODATA", qname: fqdn("ns1"), qtype: dns.TypeA, aa: true,
			ns: []string{soaLine(apex)}},
		{name: "case preserved in answer", qname: "OnE.DcV.SaaSPrOvIdEr.CoM.", qtype: dns.TypeTXT, aa: true,
			answer: []string{`OnE.DcV.SaaSPrOvIdEr.CoM. 60 IN TXT "value-1"`}},
		{name: "case preserved in authority", qname: "NoPe.dCv.SAASprovider.com.", qtype: dns.TypeTXT,
			rcode: dns.RcodeNameError, aa: true, ns: []string{soaLine("dCv.SAASprovider.com.")}},
		{name: "out of zone", qname: "example.com.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "zone text without label boundary", qname: "evildcv.saasprovider.com.", qtype: dns.TypeTXT,
			rcode: dns.RcodeRefused},
		{name: "label under look-alike zone", qname: "one.evildcv.saasprovider.com.", qtype: dns.TypeTXT,
			rcode: dns.RcodeRefused},
		{name: "parent zone", qname: "saasprovider.com.", qtype: dns.TypeNS, rcode: dns.RcodeRefused},
		{name: "root", qname: ".", qtype: dns.TypeNS, rcode: dns.RcodeRefused},
		{name: "escaped dot is not a boundary", qname: `one\.dcv.saasprovider.com.`, qtype: dns.TypeTXT,
			rcode: dns.RcodeRefused},
		{name: "zone as a suffix of the last label", qname: "one.dcv.saasprovider.com.evil.", qtype: dns.TypeTXT,
			rcode: dns.RcodeRefused},
		{name: "CHAOS class", qname: "version.bind.", qtype: dns.TypeTXT, qclass: dns.ClassCHAOS,
			rcode: dns.RcodeRefused},
		{name: "CHAOS class in zone", qname: fqdn("one"), qtype: dns.TypeTXT, qclass: dns.ClassCHAOS,
			rcode: dns.RcodeRefused},
		{name: "zone transfer refused", qname: apex, qtype: dns.TypeAXFR, rcode: dns.RcodeRefused},
		{name: "incremental transfer refused", qname: apex, qtype: dns.TypeIXFR, rcode: dns.RcodeRefused},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				m := query(tt.qname, tt.qtype)
				if tt.qclass != 0 {
					m.Question[0].Qclass = tt.qclass
				}
				r := exchange(t, network, srv.Addr(), m)
				if r.Rcode != tt.rcode {
					t.Errorf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
				if r.Authoritative != tt.aa {
					t.Errorf("AA %v, want %v", r.Authoritative, tt.aa)
				}
				if r.RecursionAvailable || !r.RecursionDesired || r.Truncated {
					t.Errorf("RA %v RD %v TC %v, want false true false", r.RecursionAvailable, r.RecursionDesired, r.Truncated)
				}
				if diff := cmp.Diff(m.Question, r.Question); diff != "" {
					t.Errorf("question not echoed exactly (-sent +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.answer, rrLines(r.Answer)); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.ns, rrLines(r.Ns)); diff != "" {
					t.Errorf("authority (-want +got):\n%s", diff)
				}
				if extra := rrLines(r.Extra); len(extra) != 0 {
					t.Errorf("additional: %q, want none", extra)
				}
				if r.IsEdns0() != nil {
					t.Error("EDNS0 in the answer to a query without it")
				}
			})
		}
	}
}

func TestNameserverGlue(t *testing.T) {
	srv := startServer(t, &MemRecords{}, func(c *Config) {
		c.NS = []string{"ns1." + testZone, "ns.other-provider.net"}
		c.NSAddrs = map[string][]netip.Addr{
			"ns1." + testZone: {netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("2001:db8::53")},
		}
		c.Hostmaster = "dns.admin@saasprovider.com"
	})
	ns1 := fqdn("ns1")
	tests := []struct {
		name, qname       string
		qtype             uint16
		answer, extra, ns []string
	}{
		{name: "NS with glue", qname: testZone + ".", qtype: dns.TypeNS,
			answer: []string{testZone + ". 60 IN NS " + ns1, testZone + ". 60 IN NS ns.other-provider.net."},
			extra:  []string{ns1 + " 60 IN A 192.0.2.53", ns1 + " 60 IN AAAA 2001:db8::53"}},
		{name: "A", qname: ns1, qtype: dns.TypeA, answer: []string{ns1 + " 60 IN A 192.0.2.53"}},
		{name: "AAAA", qname: ns1, qtype: dns.TypeAAAA, answer: []string{ns1 + " 60 IN AAAA 2001:db8::53"}},
		{name: "TXT is NODATA", qname: ns1, qtype: dns.TypeTXT,
			ns: []string{testZone + `. 60 IN SOA ns1.dcv.saasprovider.com. dns\.admin.saasprovider.com. 1 86400 7200 3600000 60`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exchange(t, "udp", srv.Addr(), query(tt.qname, tt.qtype))
			if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
				t.Errorf("rcode %s AA %v, want NOERROR true", dns.RcodeToString[r.Rcode], r.Authoritative)
			}
			for _, sec := range []struct {
				name      string
				want, got []string
			}{{"answer", tt.answer, rrLines(r.Answer)}, {"additional", tt.extra, rrLines(r.Extra)}, {"authority", tt.ns, rrLines(r.Ns)}} {
				if diff := cmp.Diff(sec.want, sec.got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", sec.name, diff)
				}
			}
		})
	}
}
