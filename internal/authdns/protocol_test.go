package authdns

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func TestEDNS(t *testing.T) {
	recs := &MemRecords{}
	if err := recs.Set("one", "value-1"); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, recs, nil)
	tests := []struct {
		name    string
		version uint8
		rcode   int
	}{
		{name: "version 0 answered with EDNS0", rcode: dns.RcodeSuccess},
		{name: "version 1 is BADVERS", version: 1, rcode: dns.RcodeBadVers},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				m := query(fqdn("one"), dns.TypeTXT)
				m.SetEdns0(4096, true)
				m.IsEdns0().SetVersion(tt.version)
				r := exchange(t, network, srv.Addr(), m)
				if r.Rcode != tt.rcode {
					t.Errorf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
				opt := r.IsEdns0()
				if opt == nil {
					t.Fatal("no OPT in the answer")
				}
				if opt.Version() != 0 || opt.UDPSize() != maxUDPSize || opt.Do() {
					t.Errorf("OPT version %d size %d DO %v, want 0 %d false", opt.Version(), opt.UDPSize(), opt.Do(), maxUDPSize)
				}
			})
		}
	}
}

func TestTruncation(t *testing.T) {
	// Two 500-byte values: over 512 bytes, under 1232. RecordsFunc, because
	// MemRecords would accept them too but this is about the server.
	big := []string{strings.Repeat("a", 500), strings.Repeat("b", 500)}
	srv := startServer(t, RecordsFunc(func(context.Context, string) ([]string, bool, error) {
		return big, true, nil
	}), nil)
	tests := []struct {
		name    string
		network string
		edns    uint16 // 0: no EDNS0
		tc      bool
	}{
		{name: "UDP without EDNS0 truncates at 512", network: "udp", tc: true},
		{name: "UDP with a 512-byte buffer truncates", network: "udp", edns: 512, tc: true},
		{name: "UDP with a 1232-byte buffer fits", network: "udp", edns: 1232},
		{name: "UDP with a 4096-byte buffer fits", network: "udp", edns: 4096},
		{name: "TCP fits", network: "tcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := query(fqdn("big"), dns.TypeTXT)
			if tt.edns != 0 {
				m.SetEdns0(tt.edns, false)
			}
			c := &dns.Client{Net: tt.network, Timeout: 5 * time.Second, UDPSize: 4096}
			r, _, err := c.Exchange(m, srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if r.Truncated != tt.tc {
				t.Errorf("TC %v, want %v", r.Truncated, tt.tc)
			}
			if !tt.tc && len(r.Answer) != 2 {
				t.Errorf("%d answers, want 2", len(r.Answer))
			}
			if tt.network == "udp" {
				limit := max(512, min(int(tt.edns), maxUDPSize))
				if n := r.Len(); n > limit {
					t.Errorf("answer of %d bytes over UDP, limit %d", n, limit)
				}
			}
		})
	}
}

func TestRejectedMessages(t *testing.T) {
	srv := startServer(t, &MemRecords{}, nil)
	tests := []struct {
		name  string
		msg   func() *dns.Msg
		rcode int
	}{
		{name: "NOTIFY", rcode: dns.RcodeNotImplemented, msg: func() *dns.Msg {
			m := query(testZone+".", dns.TypeSOA)
			m.Opcode = dns.OpcodeNotify
			return m
		}},
		{name: "UPDATE", rcode: dns.RcodeNotImplemented, msg: func() *dns.Msg {
			m := new(dns.Msg)
			m.SetUpdate(testZone + ".")
			return m
		}},
		{name: "two questions", rcode: dns.RcodeFormatError, msg: func() *dns.Msg {
			m := query(fqdn("a"), dns.TypeTXT)
			m.Question = append(m.Question, dns.Question{Name: fqdn("b"), Qtype: dns.TypeTXT, Qclass: dns.ClassINET})
			return m
		}},
		{name: "no question", rcode: dns.RcodeFormatError, msg: func() *dns.Msg {
			m := query(fqdn("a"), dns.TypeTXT)
			m.Question = nil
			return m
		}},
		{name: "answer section in a query", rcode: dns.RcodeFormatError, msg: func() *dns.Msg {
			m := query(fqdn("a"), dns.TypeTXT)
			m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: fqdn("a"), Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{"x"}}}
			return m
		}},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				m := tt.msg()
				r := exchange(t, network, srv.Addr(), m)
				if r.Rcode != tt.rcode {
					t.Errorf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
				if r.Authoritative || r.RecursionAvailable || len(r.Answer)+len(r.Ns) != 0 {
					t.Errorf("AA %v RA %v, %d answers, %d authority: want a bare error", r.Authoritative,
						r.RecursionAvailable, len(r.Answer), len(r.Ns))
				}
			})
		}
	}
}

// TestGarbage sends undecodable bytes over UDP and TCP; the server must
// survive them and answer the next real query on both transports.
func TestGarbage(t *testing.T) {
	recs := &MemRecords{}
	if err := recs.Set("one", "value-1"); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, recs, nil)
	rng := rand.New(rand.NewChaCha8([32]byte{'p', 'o', 'r', 't', 'i', 'c', 'o'}))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	// A query header with a lying question count, then noise.
	header := func() []byte {
		h := []byte{0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0}
		return append(h, random(40)...)
	}
	packets := [][]byte{{}, {0}, random(5), random(11), random(12), random(100), random(512), random(1500), header(),
		append([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, 0xc0, 0x0c, 0, 16, 0, 1)} // a compression loop
	for range 200 {
		packets = append(packets, random(12+rng.IntN(300)))
	}

	udp, err := net.Dial("udp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for _, p := range packets {
		if _, err := udp.Write(p); err != nil {
			t.Fatalf("udp write: %v", err)
		}
	}
	for _, p := range packets {
		tcp, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_ = tcp.SetDeadline(time.Now().Add(5 * time.Second))
		frame := binary.BigEndian.AppendUint16(nil, uint16(len(p)))
		_, _ = tcp.Write(append(frame, p...))
		tcp.Close()
	}
	// A length prefix promising more than ever comes, then a hang-up.
	tcp, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = tcp.Write([]byte{0xff, 0xff, 1, 2, 3})
	tcp.Close()

	for _, network := range []string{"udp", "tcp"} {
		r := exchange(t, network, srv.Addr(), query(fqdn("one"), dns.TypeTXT))
		if diff := cmp.Diff([]string{fqdn("one") + ` 60 IN TXT "value-1"`}, rrLines(r.Answer)); diff != "" {
			t.Errorf("%s answer after garbage (-want +got):\n%s", network, diff)
		}
	}
}
