package demo

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func TestCustomerDNS(t *testing.T) {
	s, err := startDNS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.SetCNAME("Shop.Example-Customer.com", "customers.saasprovider.com.")
	s.SetA("customers.saasprovider.com", netip.MustParseAddr("127.0.0.1"))
	s.SetTXT("_cf-custom-hostname.shop.example-customer.com", "token-1")
	s.SetCNAME("loop-a.example-customer.com", "loop-b.example-customer.com")
	s.SetCNAME("loop-b.example-customer.com", "loop-a.example-customer.com")
	s.SetCNAME("dangling.example-customer.com", "gone.saasprovider.com")
	s.SetA("*.wild.example", netip.MustParseAddr("192.0.2.1"))
	s.SetTXT("big.example-customer.com", strings.Repeat("x", 300))

	tests := []struct {
		name  string
		qname string
		qtype uint16
		rcode int
		want  []string
	}{
		{"CNAME followed to the target's A", "shop.example-customer.com", dns.TypeA, dns.RcodeSuccess,
			[]string{"shop.example-customer.com. CNAME customers.saasprovider.com.", "customers.saasprovider.com. A 127.0.0.1"}},
		{"names fold case", "SHOP.example-customer.COM.", dns.TypeA, dns.RcodeSuccess,
			[]string{"shop.example-customer.com. CNAME customers.saasprovider.com.", "customers.saasprovider.com. A 127.0.0.1"}},
		{"CNAME asked for itself", "shop.example-customer.com", dns.TypeCNAME, dns.RcodeSuccess,
			[]string{"shop.example-customer.com. CNAME customers.saasprovider.com."}},
		{"CNAME then no data of the type", "shop.example-customer.com", dns.TypeAAAA, dns.RcodeSuccess,
			[]string{"shop.example-customer.com. CNAME customers.saasprovider.com."}},
		{"TXT", "_cf-custom-hostname.shop.example-customer.com", dns.TypeTXT, dns.RcodeSuccess,
			[]string{`_cf-custom-hostname.shop.example-customer.com. TXT "token-1"`}},
		{"long TXT split into strings", "big.example-customer.com", dns.TypeTXT, dns.RcodeSuccess,
			[]string{`big.example-customer.com. TXT "` + strings.Repeat("x", 255) + `" "` + strings.Repeat("x", 45) + `"`}},
		{"unknown name is NXDOMAIN", "nothing.example-customer.com", dns.TypeA, dns.RcodeNameError, nil},
		{"unknown TXT is NXDOMAIN", "_cf-custom-hostname.www.example-customer.com", dns.TypeTXT, dns.RcodeNameError, nil},
		{"empty non-terminal is NODATA", "example-customer.com", dns.TypeA, dns.RcodeSuccess, nil},
		{"dangling CNAME: NXDOMAIN about the target", "dangling.example-customer.com", dns.TypeA, dns.RcodeNameError,
			[]string{"dangling.example-customer.com. CNAME gone.saasprovider.com."}},
		{"wildcard answers for a name below", "a.wild.example", dns.TypeA, dns.RcodeSuccess, []string{"a.wild.example. A 192.0.2.1"}},
		{"wildcard answers NODATA for other types", "a.wild.example", dns.TypeTXT, dns.RcodeSuccess, nil},
	}
	for _, net := range []string{"udp", "tcp"} {
		for _, tc := range tests {
			t.Run(net+"/"+tc.name, func(t *testing.T) {
				resp := exchange(t, s.Addr(), net, tc.qname, tc.qtype)
				if resp.Rcode != tc.rcode {
					t.Errorf("rcode %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tc.rcode])
				}
				if !resp.RecursionAvailable {
					t.Error("RA not set: resolvers expect a recursive server")
				}
				if diff := cmp.Diff(tc.want, answers(resp)); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
			})
		}
	}

	t.Run("a CNAME loop ends", func(t *testing.T) {
		resp := exchange(t, s.Addr(), "udp", "loop-a.example-customer.com", dns.TypeA)
		if len(resp.Answer) != maxChase {
			t.Errorf("%d records, want the %d CNAMEs followed before giving up", len(resp.Answer), maxChase)
		}
	})
	t.Run("a record replaces a CNAME", func(t *testing.T) {
		s.SetCNAME("moving.example-customer.com", "customers.saasprovider.com")
		s.SetA("moving.example-customer.com", netip.MustParseAddr("192.0.2.7"))
		got := answers(exchange(t, s.Addr(), "udp", "moving.example-customer.com", dns.TypeA))
		if diff := cmp.Diff([]string{"moving.example-customer.com. A 192.0.2.7"}, got); diff != "" {
			t.Errorf("answer (-want +got):\n%s", diff)
		}
	})
}

func exchange(t *testing.T, addr, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	resp, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return resp
}

// answers renders the answer section as "owner TYPE data".
func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		h := rr.Header()
		data := strings.TrimPrefix(rr.String(), h.String())
		out = append(out, h.Name+" "+dns.TypeToString[h.Rrtype]+" "+data)
	}
	return out
}
