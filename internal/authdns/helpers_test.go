package authdns

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const testZone = "dcv.saasprovider.com"

// startServer runs a server for testZone on 127.0.0.1:0 and shuts it down
// when the test ends.
func startServer(t testing.TB, recs Records, modify func(*Config)) *Server {
	t.Helper()
	cfg := Config{Zone: testZone, Listen: "127.0.0.1:0"}
	if modify != nil {
		modify(&cfg)
	}
	srv, err := New(cfg, recs, testLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return srv
}

func testLogger(t testing.TB) *slog.Logger {
	if tt, ok := t.(*testing.T); ok {
		return slog.New(slog.NewTextHandler(tt.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// exchange sends m over network ("udp" or "tcp") and returns the answer.
func exchange(t testing.TB, network, addr string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s exchange: %v", network, err)
	}
	return r
}

func query(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

// rrLines renders records as their zone-file lines, the easiest form to diff,
// leaving out the OPT pseudo-record.
func rrLines(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeOPT {
			continue
		}
		out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	return out
}

func soaLine(owner string) string {
	return owner + " 60 IN SOA ns1.dcv.saasprovider.com. hostmaster.dcv.saasprovider.com. 1 86400 7200 3600000 60"
}

func fqdn(label string) string { return label + "." + testZone + "." }

// recorder is a dns.ResponseWriter that keeps what the handler wrote.
type recorder struct {
	network string
	msgs    []*dns.Msg
	packed  []byte
	packErr error
}

func (r *recorder) LocalAddr() net.Addr {
	if r.network == "tcp" {
		return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
	}
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
}

func (r *recorder) RemoteAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 40000}
}

func (r *recorder) WriteMsg(m *dns.Msg) error {
	r.msgs = append(r.msgs, m)
	r.packed, r.packErr = m.Pack()
	return r.packErr
}

func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) Close() error                { return nil }
func (r *recorder) TsigStatus() error           { return nil }
func (r *recorder) TsigTimersOnly(bool)         {}
func (r *recorder) Hijack()                     {}
