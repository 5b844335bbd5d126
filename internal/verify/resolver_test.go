package verify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/porticohq/portico/internal/testkit/dnstest"
)

// testTimeout is the per-query timeout of test resolvers: short, so that
// timeout cases cost a fraction of a second.
const testTimeout = 200 * time.Millisecond

func newResolver(t *testing.T, servers ...string) *DNSResolver {
	t.Helper()
	r, err := NewDNSResolver(servers, DNSOptions{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// deadServer returns a loopback UDP address nobody answers on.
func deadServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String() // bound, never read: queries time out
}

func TestLookupTXT(t *testing.T) {
	srv := dnstest.New(t)
	srv.SetTXT("one.example.net", "hello")
	srv.SetTXTStrings("split.example.net", []string{"5cc07c04-ea62-", "4a5a-95f0-419334a875a4"}, []string{"other"})
	srv.SetTXT("long.example.net", strings.Repeat("a", 300)) // split into 255 + 45 by the server
	srv.SetTXTStrings("escaped.example.net", []string{`a\"b\\c\255`})
	srv.SetCNAME("alias.example.net", "one.example.net")
	srv.SetA("noTXT.example.net", "192.0.2.1")
	r := newResolver(t, srv.Addr())

	tests := []struct {
		name string
		want []string
	}{
		{"one.example.net", []string{"hello"}},
		{"split.example.net", []string{"5cc07c04-ea62-4a5a-95f0-419334a875a4", "other"}},
		{"long.example.net", []string{strings.Repeat("a", 300)}},
		{"escaped.example.net", []string{"a\"b\\c\xff"}},
		{"alias.example.net", []string{"hello"}},
		{"notxt.example.net", []string{}},   // NODATA
		{"missing.example.net", []string{}}, // NXDOMAIN
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.LookupTXT(context.Background(), tt.name)
			if err != nil {
				t.Fatalf("LookupTXT: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLookupCNAMEChain(t *testing.T) {
	srv := dnstest.New(t)
	srv.SetCNAME("shop.acme-store.com", "Edge.Other.net.")
	srv.SetCNAME("edge.other.net", "customers.saasprovider.com")
	srv.SetA("customers.saasprovider.com", "192.0.2.10")
	srv.SetCNAME("dangling.acme-store.com", "gone.other.net") // target NXDOMAIN
	srv.SetCNAME("loop-a.acme-store.com", "loop-b.acme-store.com")
	srv.SetCNAME("loop-b.acme-store.com", "loop-a.acme-store.com")
	srv.SetCNAME("self.acme-store.com", "self.acme-store.com")
	long := []string{"l0.acme-store.com"}
	for i := 1; i <= 10; i++ {
		long = append(long, "l"+string(rune('0'+i%10))+string(rune('a'+i))+".acme-store.com")
		srv.SetCNAME(long[i-1], long[i])
	}
	srv.SetCNAME("eight.acme-store.com", long[3]) // 8 hops to long[10], which has no CNAME

	tests := []struct {
		name    string
		want    []string
		wantErr error
	}{
		{"shop.acme-store.com", []string{"edge.other.net", "customers.saasprovider.com"}, nil},
		{"customers.saasprovider.com", nil, nil},
		{"nothing.acme-store.com", nil, nil},
		{"dangling.acme-store.com", []string{"gone.other.net"}, nil},
		{"loop-a.acme-store.com", []string{"loop-b.acme-store.com", "loop-a.acme-store.com"}, ErrCNAMELoop},
		{"self.acme-store.com", []string{"self.acme-store.com"}, ErrCNAMELoop},
		{"eight.acme-store.com", long[3:], nil},
		{"l0.acme-store.com", long[1:10], ErrCNAMEChainTooLong},
	}
	r := newResolver(t, srv.Addr())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.LookupCNAMEChain(context.Background(), tt.name)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("a definite answer reported as unavailable: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("chain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLookupAddrs(t *testing.T) {
	srv := dnstest.New(t)
	srv.SetCNAME("shop.acme-store.com", "customers.saasprovider.com")
	srv.SetA("customers.saasprovider.com", "192.0.2.10", "192.0.2.11")
	srv.SetAAAA("customers.saasprovider.com", "2001:db8::10")
	srv.SetA("half.acme-store.com", "192.0.2.20")
	r := newResolver(t, srv.Addr())

	got, err := r.LookupAddrs(context.Background(), "shop.acme-store.com")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("192.0.2.11"), netip.MustParseAddr("2001:db8::10")}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// The AAAA half fails: the A half is returned with the error.
	srv.SetMutate("half.acme-store.com", func(m *dns.Msg) {
		if m.Question[0].Qtype == dns.TypeAAAA {
			m.Rcode = dns.RcodeServerFailure
		}
	})
	got, err = r.LookupAddrs(context.Background(), "half.acme-store.com")
	if !errors.Is(err, ErrUnavailable) || len(got) != 1 {
		t.Errorf("half failure: %v, %v; want one address and ErrUnavailable", got, err)
	}
}

// TestUnavailable: every way a lookup can fail is "could not check", never
// "not there" (threats A6, F7).
func TestUnavailable(t *testing.T) {
	srv := dnstest.New(t)
	srv.SetTXT("servfail.example.net", "x")
	srv.SetServfail("servfail.example.net", true)
	srv.SetRcode("refused.example.net", dns.RcodeRefused)
	srv.SetTXT("slow.example.net", "x")
	srv.SetDelay("slow.example.net", 2*time.Second)
	srv.SetCNAME("via.example.net", "servfail.example.net")
	srv.SetMutate("wrongq.example.net", func(m *dns.Msg) { m.Question[0].Name = "other.example.net." })
	srv.SetMutate("noq.example.net", func(m *dns.Msg) { m.Question = nil })
	r := newResolver(t, srv.Addr())

	for _, name := range []string{"servfail.example.net", "refused.example.net", "slow.example.net", "via.example.net", "wrongq.example.net", "noq.example.net"} {
		t.Run(name, func(t *testing.T) {
			got, err := r.LookupTXT(context.Background(), name)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("LookupTXT = %q, %v; want ErrUnavailable", got, err)
			}
			var le *LookupError
			if !errors.As(err, &le) || le.Reason == "" || le.Type != "TXT" {
				t.Errorf("error %#v lacks a LookupError with a reason", err)
			}
		})
	}
	t.Run("dead server", func(t *testing.T) {
		_, err := newResolver(t, deadServer(t)).LookupTXT(context.Background(), "x.example.net")
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err %v, want ErrUnavailable", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := r.LookupTXT(ctx, "servfail.example.net")
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want ErrUnavailable wrapping context.Canceled", err)
		}
	})
	t.Run("ctx deadline shorter than the query timeout", func(t *testing.T) {
		r, err := NewDNSResolver([]string{srv.Addr()}, DNSOptions{Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		start := time.Now()
		if _, err := r.LookupTXT(ctx, "slow.example.net"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > 5*testTimeout {
			t.Errorf("took %s; ctx deadline not honoured", d)
		}
	})
}

func TestServerFallback(t *testing.T) {
	good := dnstest.New(t)
	good.SetTXT("x.example.net", "from-good")
	bad := dnstest.New(t)
	bad.SetServfail("x.example.net", true)

	r := newResolver(t, deadServer(t), bad.Addr(), good.Addr())
	got, err := r.LookupTXT(context.Background(), "x.example.net")
	if err != nil || len(got) != 1 || got[0] != "from-good" {
		t.Fatalf("LookupTXT = %q, %v; want the third server's answer", got, err)
	}

	// NXDOMAIN is an answer: the next server is not asked.
	good.ResetQueries()
	empty := dnstest.New(t)
	r = newResolver(t, empty.Addr(), good.Addr())
	if got, err := r.LookupTXT(context.Background(), "x.example.net"); err != nil || len(got) != 0 {
		t.Fatalf("LookupTXT = %q, %v; want the first server's NXDOMAIN", got, err)
	}
	if q := good.Queries(); len(q) != 0 {
		t.Errorf("second server asked after a definite answer: %v", q)
	}
}

func TestTruncationRetriesOverTCP(t *testing.T) {
	srv := dnstest.New(t)
	srv.SetTXT("x.example.net", "token")
	srv.SetTruncate(true)
	r := newResolver(t, srv.Addr())
	got, err := r.LookupTXT(context.Background(), "x.example.net")
	if err != nil || len(got) != 1 || got[0] != "token" {
		t.Fatalf("LookupTXT = %q, %v", got, err)
	}
	want := []dnstest.Query{{Name: "x.example.net", Type: dns.TypeTXT, Net: "udp"}, {Name: "x.example.net", Type: dns.TypeTXT, Net: "tcp"}}
	if diff := cmp.Diff(want, srv.Queries()); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
}

// TestHostileAnswers: records for names outside the chain are ignored.
func TestHostileAnswers(t *testing.T) {
	srv := dnstest.New(t)
	srv.SetTXT("_cf-custom-hostname.shop.acme-store.com", "wrong")
	srv.SetMutate("_cf-custom-hostname.shop.acme-store.com", func(m *dns.Msg) {
		rr, _ := dns.NewRR(`_cf-custom-hostname.other.acme-store.com. 60 IN TXT "injected"`)
		m.Answer = append([]dns.RR{rr}, m.Answer...)
	})
	srv.SetA("shop.acme-store.com", "192.0.2.1")
	srv.SetMutate("shop.acme-store.com", func(m *dns.Msg) {
		rr, _ := dns.NewRR("shop.acme-store.com.evil.net. 60 IN CNAME customers.saasprovider.com.")
		rr2, _ := dns.NewRR("evil.net. 60 IN A 203.0.113.66")
		m.Answer = append(m.Answer, rr, rr2)
	})
	r := newResolver(t, srv.Addr())

	txt, err := r.LookupTXT(context.Background(), "_cf-custom-hostname.shop.acme-store.com")
	if err != nil || len(txt) != 1 || txt[0] != "wrong" {
		t.Errorf("LookupTXT = %q, %v; want only the owned record", txt, err)
	}
	chain, err := r.LookupCNAMEChain(context.Background(), "shop.acme-store.com")
	if err != nil || len(chain) != 0 {
		t.Errorf("LookupCNAMEChain = %q, %v; want no chain", chain, err)
	}
	addrs, err := r.LookupAddrs(context.Background(), "shop.acme-store.com")
	if err != nil || len(addrs) != 1 || addrs[0] != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("LookupAddrs = %v, %v; want only 192.0.2.1", addrs, err)
	}
}

func TestNewDNSResolverServers(t *testing.T) {
	tests := []struct {
		in      []string
		want    []string
		wantErr bool
	}{
		{[]string{"127.0.0.1"}, []string{"127.0.0.1:53"}, false},
		{[]string{"127.0.0.1:5353", "::1", "[::1]:54"}, []string{"127.0.0.1:5353", "[::1]:53", "[::1]:54"}, false},
		{[]string{"dns.google"}, nil, true},
		{nil, nil, true},
	}
	for _, tt := range tests {
		r, err := NewDNSResolver(tt.in, DNSOptions{})
		if (err != nil) != tt.wantErr {
			t.Errorf("NewDNSResolver(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil {
			if diff := cmp.Diff(tt.want, r.Servers()); diff != "" {
				t.Errorf("NewDNSResolver(%q) servers (-want +got):\n%s", tt.in, diff)
			}
		}
	}
}

func TestServersFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "# test\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.net\noptions ndots:1\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := serversFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"192.0.2.53:53", "[2001:db8::53]:53"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := NewDNSResolver(got, DNSOptions{}); err != nil {
		t.Errorf("servers from resolv.conf refused: %v", err)
	}
	if _, err := serversFromFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file: no error")
	}
}
