package authdns

import (
	"testing"

	"github.com/miekg/dns"
)

// FuzzServeDNS feeds the handler every message that decodes, over both
// transports, and checks the answer's invariants: one answer, never to a
// response, that packs, fits UDP, offers no recursion, answers only the name
// asked, and carries no data with an error.
func FuzzServeDNS(f *testing.F) {
	recs := &MemRecords{}
	for label, values := range map[string][]string{"one": {"v1"}, "two": {"v1", "v2"}, "empty": nil} {
		if err := recs.Set(label, values...); err != nil {
			f.Fatal(err)
		}
	}
	srv, err := New(Config{Zone: testZone}, recs, nil)
	if err != nil {
		f.Fatal(err)
	}
	seed := func(name string, qtype uint16, edit func(*dns.Msg)) {
		m := query(name, qtype)
		if edit != nil {
			edit(m)
		}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	for _, name := range []string{testZone + ".", fqdn("one"), fqdn("two"), fqdn("empty"), fqdn("nope"),
		"x." + fqdn("one"), "evildcv.saasprovider.com.", "OnE.DcV.SaaSProvider.CoM.", ".", `a\.b.` + testZone + "."} {
		for _, qtype := range []uint16{dns.TypeTXT, dns.TypeSOA, dns.TypeNS, dns.TypeANY, dns.TypeA, dns.TypeAXFR} {
			seed(name, qtype, nil)
		}
	}
	seed(fqdn("two"), dns.TypeTXT, func(m *dns.Msg) { m.SetEdns0(4096, true) })
	seed(fqdn("two"), dns.TypeTXT, func(m *dns.Msg) { m.SetEdns0(512, false); m.IsEdns0().SetVersion(3) })
	seed(fqdn("one"), dns.TypeTXT, func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify })
	seed(fqdn("one"), dns.TypeTXT, func(m *dns.Msg) { m.Question = append(m.Question, m.Question[0]) })
	seed(fqdn("one"), dns.TypeTXT, func(m *dns.Msg) { m.Response = true })

	f.Fuzz(func(t *testing.T, wire []byte, tcp bool) {
		req := new(dns.Msg)
		if err := req.Unpack(wire); err != nil {
			return // the miekg/dns server answers these itself, without the handler
		}
		rec := &recorder{network: "udp"}
		if tcp {
			rec.network = "tcp"
		}
		srv.ServeDNS(rec, req)
		if req.Response {
			if len(rec.msgs) != 0 {
				t.Fatal("answered a response")
			}
			return
		}
		if len(rec.msgs) != 1 {
			t.Fatalf("%d answers written, want 1", len(rec.msgs))
		}
		if rec.packErr != nil {
			t.Fatalf("answer does not pack: %v", rec.packErr)
		}
		resp := rec.msgs[0]
		if !tcp && len(rec.packed) > maxUDPSize {
			t.Errorf("UDP answer of %d bytes", len(rec.packed))
		}
		if resp.Id != req.Id || !resp.Response || resp.RecursionAvailable {
			t.Errorf("id %d/%d QR %v RA %v", resp.Id, req.Id, resp.Response, resp.RecursionAvailable)
		}
		switch resp.Rcode {
		case dns.RcodeSuccess, dns.RcodeNameError:
			if !resp.Authoritative {
				t.Error("in-zone answer without AA")
			}
		default:
			if resp.Authoritative || len(resp.Answer)+len(resp.Ns) != 0 {
				t.Errorf("%s with AA %v, %d answers, %d authority", dns.RcodeToString[resp.Rcode],
					resp.Authoritative, len(resp.Answer), len(resp.Ns))
			}
		}
		txt := 0
		for _, rr := range resp.Answer {
			if rr.Header().Name != resp.Question[0].Name {
				t.Errorf("answer for %q to a question for %q", rr.Header().Name, resp.Question[0].Name)
			}
			if rr.Header().Rrtype == dns.TypeTXT {
				txt++
			}
		}
		if txt > MaxValues {
			t.Errorf("%d TXT records", txt)
		}
	})
}
