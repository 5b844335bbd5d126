package instructions

import (
	"context"
	"errors"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	pmail "github.com/porticohq/portico/internal/mail"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// memOutbox is an in-memory Outbox with the store's lease rule.
type memOutbox struct {
	mu    sync.Mutex
	due   map[string]time.Time // hostname id -> next attempt (zero: not due)
	tries map[string]int
	sent  map[string]time.Time
	errs  map[string]string
}

func newOutbox(ids ...string) *memOutbox {
	o := &memOutbox{due: map[string]time.Time{}, tries: map[string]int{}, sent: map[string]time.Time{}, errs: map[string]string{}}
	for _, id := range ids {
		o.due[id] = time.Time{}.Add(time.Nanosecond)
	}
	return o
}

func (o *memOutbox) ClaimInstructionEmails(_ context.Context, now time.Time, limit int, lease time.Duration) ([]store.InstructionEmail, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []store.InstructionEmail
	for id, at := range o.due {
		if !at.IsZero() && !at.After(now) && len(out) < limit {
			o.due[id] = now.Add(lease)
			out = append(out, store.InstructionEmail{ZoneID: "z", HostnameID: id, Recipient: "owner@customer.example", Attempts: o.tries[id]})
		}
	}
	return out, nil
}

func (o *memOutbox) InstructionEmailSent(_ context.Context, _, id string, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent[id], o.due[id] = at, time.Time{}
	return nil
}

func (o *memOutbox) InstructionEmailFailed(_ context.Context, _, id string, attempts int, next time.Time, lastErr string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tries[id], o.due[id], o.errs[id] = attempts, next, lastErr
	return nil
}

type source struct{}

func (source) Instructions(_ context.Context, _, id string) (service.Instructions, error) {
	if id == "gone" {
		return service.Instructions{}, core.Errorf(core.KindNotFound, service.ReasonHostnameNotFound, "gone")
	}
	return service.Instructions{
		Zone:      core.Zone{Name: "saasprovider.com", CNAMETarget: "customers.saasprovider.com"},
		Domain:    service.CustomDomain{DomainPart: service.DomainPart{Hostname: core.Hostname{Name: id + ".customer.example"}}},
		Recipient: "owner@customer.example",
		Records:   []service.DNSRecord{{Name: id + ".customer.example", Type: "CNAME", Value: "customers.saasprovider.com", Purpose: "<b>route</b>"}},
	}, nil
}

// sender fails with the errors queued per hostname, then succeeds.
type sender struct {
	mu    sync.Mutex
	fails map[string][]error
	got   []pmail.Message
}

func (s *sender) Send(_ context.Context, m pmail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	host := strings.SplitN(m.Subject, " ", 3)[1]
	id := strings.TrimSuffix(host, ".customer.example")
	if q := s.fails[id]; len(q) > 0 {
		s.fails[id] = q[1:]
		return q[0]
	}
	s.got = append(s.got, m)
	return nil
}

func TestWorker(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	temp := errors.New("dial tcp: connection refused")
	perm := &textproto.Error{Code: 550, Msg: "no such user"}
	snd := &sender{fails: map[string][]error{"retry": {temp, temp}, "perm": {perm}, "never": {temp, temp, temp, temp}}}
	ob := newOutbox("ok", "retry", "perm", "gone", "never")
	from, _ := mail.ParseAddress("SaaS <domains@saasprovider.com>")
	w, err := New(Config{From: from, MinBackoff: time.Minute, MaxBackoff: 3 * time.Minute, MaxAttempts: 3}, ob, source{}, snd, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func() {
		t.Helper()
		if _, err := w.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if _, ok := ob.sent["ok"]; !ok {
		t.Error("ok not sent")
	}
	if ob.tries["perm"] != 1 || !ob.due["perm"].IsZero() || !strings.Contains(ob.errs["perm"], "no such user") {
		t.Errorf("a permanent refusal: tries %d, due %v, err %q", ob.tries["perm"], ob.due["perm"], ob.errs["perm"])
	}
	if ob.tries["retry"] != 1 || !ob.due["retry"].Equal(clk.Now().Add(time.Minute)) {
		t.Errorf("first retry at %v", ob.due["retry"])
	}
	clk.Advance(time.Minute)
	run()
	if ob.tries["retry"] != 2 || !ob.due["retry"].Equal(clk.Now().Add(2*time.Minute)) {
		t.Errorf("second retry at %v (tries %d)", ob.due["retry"], ob.tries["retry"])
	}
	clk.Advance(2 * time.Minute)
	run()
	if _, ok := ob.sent["retry"]; !ok {
		t.Error("retry not sent after recovering")
	}
	if ob.tries["never"] != 3 || !ob.due["never"].IsZero() {
		t.Errorf("given up after %d tries, due %v", ob.tries["never"], ob.due["never"])
	}
	if len(snd.got) != 2 {
		t.Fatalf("%d messages sent", len(snd.got))
	}
	m := snd.got[0]
	if !strings.Contains(m.Text, "ok.customer.example") || !strings.Contains(m.Text, "customers.saasprovider.com") ||
		!strings.Contains(m.HTML, "&lt;b&gt;route&lt;/b&gt;") || strings.Contains(m.HTML, "<b>route") {
		t.Errorf("message:\n%s\n%s", m.Text, m.HTML)
	}
}
