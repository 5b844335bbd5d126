package dnstest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func exchange(t *testing.T, s *Server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: time.Second}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(1232, false)
	resp, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("exchange %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return resp
}

// answers renders the answer section as "owner type data" strings.
func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		out = append(out, rr.String())
	}
	return out
}

func TestAnswers(t *testing.T) {
	s := New(t)
	s.SetCNAME("Shop.Example-Customer.com.", "a.example.net")
	s.SetCNAME("a.example.net", "customers.saasprovider.com")
	s.SetA("customers.saasprovider.com", "192.0.2.10")
	s.SetTXTStrings("_cf-custom-hostname.shop.example-customer.com", []string{"ab", "cd"})
	s.SetCAA("example-customer.com", CAA{Tag: "issue", Value: "letsencrypt.org"})
	s.SetCNAME("loop1.example.net", "loop2.example.net")
	s.SetCNAME("loop2.example.net", "loop1.example.net")

	tests := []struct {
		name  string
		qname string
		qtype uint16
		rcode int
		want  []string
	}{
		{"chain and final records", "shop.example-customer.com", dns.TypeA, dns.RcodeSuccess, []string{
			"shop.example-customer.com.\t60\tIN\tCNAME\ta.example.net.",
			"a.example.net.\t60\tIN\tCNAME\tcustomers.saasprovider.com.",
			"customers.saasprovider.com.\t60\tIN\tA\t192.0.2.10",
		}},
		{"cname query is not chased", "shop.example-customer.com", dns.TypeCNAME, dns.RcodeSuccess, []string{
			"shop.example-customer.com.\t60\tIN\tCNAME\ta.example.net.",
		}},
		{"chain to nodata", "shop.example-customer.com", dns.TypeAAAA, dns.RcodeSuccess, []string{
			"shop.example-customer.com.\t60\tIN\tCNAME\ta.example.net.",
			"a.example.net.\t60\tIN\tCNAME\tcustomers.saasprovider.com.",
		}},
		{"split txt", "_cf-custom-hostname.shop.example-customer.com", dns.TypeTXT, dns.RcodeSuccess, []string{
			"_cf-custom-hostname.shop.example-customer.com.\t60\tIN\tTXT\t\"ab\" \"cd\"",
		}},
		{"caa", "example-customer.com", dns.TypeCAA, dns.RcodeSuccess, []string{
			"example-customer.com.\t60\tIN\tCAA\t0 issue \"letsencrypt.org\"",
		}},
		{"empty non-terminal is nodata", "example.net", dns.TypeA, dns.RcodeSuccess, nil},
		{"absent name is nxdomain", "nope.example.net", dns.TypeA, dns.RcodeNameError, nil},
		{"loop ends", "loop1.example.net", dns.TypeA, dns.RcodeSuccess, []string{
			"loop1.example.net.\t60\tIN\tCNAME\tloop2.example.net.",
			"loop2.example.net.\t60\tIN\tCNAME\tloop1.example.net.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := exchange(t, s, "udp", tt.qname, tt.qtype)
			if resp.Rcode != tt.rcode {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tt.rcode])
			}
			if diff := cmp.Diff(tt.want, answers(resp)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	s := New(t)
	s.SetA("a.example.net", "192.0.2.1")
	s.SetCNAME("via.example.net", "a.example.net")

	s.SetServfail("a.example.net", true)
	if resp := exchange(t, s, "udp", "via.example.net", dns.TypeA); resp.Rcode != dns.RcodeServerFailure {
		t.Errorf("servfail through a cname: rcode %s", dns.RcodeToString[resp.Rcode])
	}
	s.SetServfail("a.example.net", false)
	if resp := exchange(t, s, "udp", "a.example.net", dns.TypeA); resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 1 {
		t.Errorf("servfail cleared: rcode %s, %d answers", dns.RcodeToString[resp.Rcode], len(resp.Answer))
	}

	s.SetTruncate(true)
	if resp := exchange(t, s, "udp", "a.example.net", dns.TypeA); !resp.Truncated || len(resp.Answer) != 0 {
		t.Errorf("udp under truncation: tc=%v, %d answers", resp.Truncated, len(resp.Answer))
	}
	if resp := exchange(t, s, "tcp", "a.example.net", dns.TypeA); resp.Truncated || len(resp.Answer) != 1 {
		t.Errorf("tcp under truncation: tc=%v, %d answers", resp.Truncated, len(resp.Answer))
	}
	s.SetTruncate(false)

	s.SetDelay("a.example.net", time.Second)
	c := &dns.Client{Net: "udp", Timeout: 100 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion("a.example.net.", dns.TypeA)
	if _, _, err := c.Exchange(m, s.Addr()); err == nil {
		t.Error("delayed answer arrived before the client's timeout")
	}
	s.SetDelay("a.example.net", 0)

	s.SetMutate("a.example.net", func(resp *dns.Msg) {
		rr, _ := dns.NewRR("evil.example.org. 60 IN A 203.0.113.66")
		resp.Answer = append(resp.Answer, rr)
	})
	if resp := exchange(t, s, "udp", "a.example.net", dns.TypeA); len(resp.Answer) != 2 {
		t.Errorf("mutated answer has %d records, want 2", len(resp.Answer))
	}

	want := []Query{
		{"via.example.net", dns.TypeA, "udp"},
		{"a.example.net", dns.TypeA, "udp"},
		{"a.example.net", dns.TypeA, "udp"},
		{"a.example.net", dns.TypeA, "tcp"},
		{"a.example.net", dns.TypeA, "udp"},
		{"a.example.net", dns.TypeA, "udp"},
	}
	if diff := cmp.Diff(want, s.Queries()); diff != "" {
		t.Errorf("query log (-want +got):\n%s", diff)
	}
}

func TestLargeAnswerTruncatesOverUDP(t *testing.T) {
	s := New(t)
	var values []string
	for i := range 20 {
		values = append(values, string(rune('a'+i))+string(make([]byte, 200)))
	}
	s.SetTXT("big.example.net", values...)
	if resp := exchange(t, s, "udp", "big.example.net", dns.TypeTXT); !resp.Truncated {
		t.Error("4 KB of TXT over a 1232-byte buffer: TC not set")
	}
	if resp := exchange(t, s, "tcp", "big.example.net", dns.TypeTXT); len(resp.Answer) != 20 {
		t.Errorf("tcp: %d records, want 20", len(resp.Answer))
	}
}

func TestDeleteAndReplace(t *testing.T) {
	s := New(t)
	s.SetCNAME("x.example.net", "y.example.net")
	s.SetA("x.example.net", "192.0.2.1") // replaces the CNAME
	if resp := exchange(t, s, "udp", "x.example.net", dns.TypeA); len(resp.Answer) != 1 || resp.Answer[0].Header().Rrtype != dns.TypeA {
		t.Fatalf("A after CNAME: %v", answers(resp))
	}
	s.Delete("x.example.net", dns.TypeA)
	if resp := exchange(t, s, "udp", "x.example.net", dns.TypeA); resp.Rcode != dns.RcodeNameError {
		t.Errorf("after delete: rcode %s, want NXDOMAIN", dns.RcodeToString[resp.Rcode])
	}
	s.SetRR("x.example.net. 60 IN MX 10 mail.example.net.")
	if resp := exchange(t, s, "udp", "x.example.net", dns.TypeMX); len(resp.Answer) != 1 {
		t.Errorf("SetRR MX: %v", answers(resp))
	}
}

func TestWildcard(t *testing.T) {
	s := New(t)
	s.SetCNAME("*.shop.example-customer.com", "customers.saasprovider.com")
	s.SetA("customers.saasprovider.com", "192.0.2.10")
	s.SetTXT("_cf-custom-hostname.shop.example-customer.com", "token")

	resp := exchange(t, s, "udp", "a1b2.shop.example-customer.com", dns.TypeA)
	want := []string{
		"a1b2.shop.example-customer.com.\t60\tIN\tCNAME\tcustomers.saasprovider.com.",
		"customers.saasprovider.com.\t60\tIN\tA\t192.0.2.10",
	}
	if diff := cmp.Diff(want, answers(resp)); diff != "" {
		t.Errorf("synthesized answer (-want +got):\n%s", diff)
	}
	// An existing name is not covered by the wildcard (RFC 4592 §2.2).
	if resp := exchange(t, s, "udp", "_cf-custom-hostname.shop.example-customer.com", dns.TypeCNAME); len(resp.Answer) != 0 || resp.Rcode != dns.RcodeSuccess {
		t.Errorf("existing name: %v, rcode %s", answers(resp), dns.RcodeToString[resp.Rcode])
	}
	// Below the wildcard's level but above it: not covered.
	if resp := exchange(t, s, "udp", "other.example-customer.com", dns.TypeA); resp.Rcode != dns.RcodeNameError {
		t.Errorf("name outside the wildcard: rcode %s", dns.RcodeToString[resp.Rcode])
	}
}
