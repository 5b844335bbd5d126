package authdns

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/miekg/dns"
)

func TestMemRecords(t *testing.T) {
	type txt struct {
		Values []string
		OK     bool
	}
	tests := []struct {
		name    string
		do      func(m *MemRecords) error
		wantErr error
		want    txt // of label "lbl" afterwards
	}{
		{name: "unknown label", do: func(*MemRecords) error { return nil }},
		{name: "set none is NODATA", do: func(m *MemRecords) error { return m.Set("lbl") }, want: txt{OK: true}},
		{name: "set two", do: func(m *MemRecords) error { return m.Set("lbl", "a", "b") },
			want: txt{Values: []string{"a", "b"}, OK: true}},
		{name: "set three refused", wantErr: ErrTooManyValues, do: func(m *MemRecords) error {
			return m.Set("lbl", "a", "b", "c")
		}},
		{name: "set duplicates kept once", do: func(m *MemRecords) error { return m.Set("lbl", "a", "a", "b") },
			want: txt{Values: []string{"a", "b"}, OK: true}},
		{name: "set replaces", do: func(m *MemRecords) error {
			return errors.Join(m.Set("lbl", "a", "b"), m.Set("lbl", "c"))
		}, want: txt{Values: []string{"c"}, OK: true}},
		{name: "set invalid label", wantErr: ErrInvalidLabel, do: func(m *MemRecords) error {
			return m.Set("lbl.other", "a")
		}},
		{name: "set uppercase label", wantErr: ErrInvalidLabel, do: func(m *MemRecords) error { return m.Set("LBL") }},
		{name: "set value too long", wantErr: ErrValueTooLong, do: func(m *MemRecords) error {
			return m.Set("lbl", strings.Repeat("v", MaxValueLen+1))
		}},
		{name: "add to unknown label refused", wantErr: ErrUnknownLabel, do: func(m *MemRecords) error {
			return m.Add("lbl", "a")
		}},
		{name: "add two", do: func(m *MemRecords) error {
			return errors.Join(m.Set("lbl"), m.Add("lbl", "a"), m.Add("lbl", "b"))
		}, want: txt{Values: []string{"a", "b"}, OK: true}},
		{name: "add third refused", wantErr: ErrTooManyValues, do: func(m *MemRecords) error {
			if err := m.Set("lbl", "a", "b"); err != nil {
				return err
			}
			return m.Add("lbl", "c")
		}, want: txt{Values: []string{"a", "b"}, OK: true}},
		{name: "add existing value is a no-op", do: func(m *MemRecords) error {
			return errors.Join(m.Set("lbl", "a", "b"), m.Add("lbl", "b"))
		}, want: txt{Values: []string{"a", "b"}, OK: true}},
		{name: "add value too long", wantErr: ErrValueTooLong, do: func(m *MemRecords) error {
			if err := m.Set("lbl"); err != nil {
				return err
			}
			return m.Add("lbl", strings.Repeat("v", MaxValueLen+1))
		}, want: txt{OK: true}},
		{name: "remove leaves the label", do: func(m *MemRecords) error {
			err := m.Set("lbl", "a", "b")
			m.Remove("lbl", "a")
			m.Remove("lbl", "b")
			m.Remove("lbl", "absent")
			m.Remove("absent", "a")
			return err
		}, want: txt{OK: true}},
		{name: "delete label", do: func(m *MemRecords) error {
			err := m.Set("lbl", "a")
			m.DeleteLabel("lbl")
			m.DeleteLabel("absent")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m MemRecords
			if err := tt.do(&m); !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			values, ok, err := m.TXT(context.Background(), "lbl")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, txt{values, ok}, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("TXT (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMemRecordsReturnsCopies(t *testing.T) {
	var m MemRecords
	if err := m.Set("lbl", "a"); err != nil {
		t.Fatal(err)
	}
	values, _, _ := m.TXT(context.Background(), "lbl")
	values[0] = "changed"
	if again, _, _ := m.TXT(context.Background(), "lbl"); again[0] != "a" {
		t.Errorf("caller's change leaked into the records: %q", again)
	}
}

// TestLifecycle follows one label through a DNS-01 validation and the
// deletion of its hostname, querying the real server at each step: changes
// answer at once, and a deleted label is NXDOMAIN (threat model A4).
func TestLifecycle(t *testing.T) {
	recs := &MemRecords{}
	srv := startServer(t, recs, nil)
	label := NewLabel()
	name := fqdn(label)
	step := func(t *testing.T, rcode int, want ...string) {
		t.Helper()
		for _, network := range []string{"udp", "tcp"} {
			r := exchange(t, network, srv.Addr(), query(name, dns.TypeTXT))
			var got []string
			for _, rr := range r.Answer {
				got = append(got, strings.Join(rr.(*dns.TXT).Txt, ""))
			}
			if r.Rcode != rcode {
				t.Errorf("%s: rcode %s, want %s", network, dns.RcodeToString[r.Rcode], dns.RcodeToString[rcode])
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: values (-want +got):\n%s", network, diff)
			}
		}
	}
	step(t, dns.RcodeNameError)
	must(t, recs.Set(label)) // hostname created
	step(t, dns.RcodeSuccess)
	must(t, recs.Add(label, "apex-token"))
	must(t, recs.Add(label, "wildcard-token"))
	step(t, dns.RcodeSuccess, "apex-token", "wildcard-token")
	if err := recs.Add(label, "third"); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("third value: %v, want ErrTooManyValues", err)
	}
	recs.Remove(label, "apex-token")
	step(t, dns.RcodeSuccess, "wildcard-token")
	recs.DeleteLabel(label) // hostname deleted
	step(t, dns.RcodeNameError)
	if next := NewLabel(); next == label {
		t.Error("a reclaimed hostname got the same label")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecordsFailures checks that a Records that fails, stalls or breaks its
// contract gets SERVFAIL, on time.
func TestRecordsFailures(t *testing.T) {
	const timeout = 100 * time.Millisecond
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	tests := []struct {
		name string
		recs RecordsFunc
	}{
		{name: "error", recs: func(context.Context, string) ([]string, bool, error) {
			return nil, false, errors.New("database is down")
		}},
		{name: "slow, honours the deadline", recs: func(ctx context.Context, _ string) ([]string, bool, error) {
			<-ctx.Done()
			return nil, false, ctx.Err()
		}},
		{name: "slow, ignores the deadline", recs: func(context.Context, string) ([]string, bool, error) {
			<-stuck
			return []string{"late"}, true, nil
		}},
		{name: "too many values", recs: func(context.Context, string) ([]string, bool, error) {
			return []string{"a", "b", "c"}, true, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, tt.recs, func(c *Config) { c.QueryTimeout = timeout })
			for _, network := range []string{"udp", "tcp"} {
				start := time.Now()
				r := exchange(t, network, srv.Addr(), query(fqdn("lbl"), dns.TypeTXT))
				if elapsed := time.Since(start); elapsed > timeout+2*time.Second {
					t.Errorf("%s: answered after %v, deadline %v", network, elapsed, timeout)
				}
				if r.Rcode != dns.RcodeServerFailure || r.Authoritative || len(r.Answer) != 0 {
					t.Errorf("%s: rcode %s AA %v answers %d, want SERVFAIL false 0", network,
						dns.RcodeToString[r.Rcode], r.Authoritative, len(r.Answer))
				}
			}
		})
	}
}
