package acme

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestRenewalTime(t *testing.T) {
	issued := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cert := func(life time.Duration) *x509.Certificate {
		return &x509.Certificate{NotBefore: issued, NotAfter: issued.Add(life)}
	}
	day := 24 * time.Hour
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		ari  *Window
		rnd  float64
		now  time.Time
		want time.Time
	}{
		{"90 days, middle of the spread: at two thirds", cert(90 * day), nil, 0.5, issued, issued.Add(60 * day)},
		{"90 days, spread start", cert(90 * day), nil, 0, issued, issued.Add(60*day - 90*day/60)},
		{"90 days, spread end", cert(90 * day), nil, 1, issued, issued.Add(60*day + 90*day/60)},
		{"45 days: at two thirds", cert(45 * day), nil, 0.5, issued, issued.Add(30 * day)},
		{"160 hours: halfway", cert(160 * time.Hour), nil, 0.5, issued, issued.Add(80 * time.Hour)},
		{"9 days: halfway", cert(9 * day), nil, 0.5, issued, issued.Add(108 * time.Hour)},
		{"10 days: two thirds", cert(10 * day), nil, 0.5, issued, issued.Add(160 * time.Hour)},
		{"past the point: now", cert(90 * day), nil, 0.5, issued.Add(70 * day), issued.Add(70 * day)},
		{"ARI window, rnd picks the point", cert(90 * day),
			&Window{Start: issued.Add(50 * day), End: issued.Add(52 * day)}, 0.25, issued, issued.Add(50*day + 12*time.Hour)},
		{"ARI window in the past: now", cert(90 * day),
			&Window{Start: issued.Add(time.Hour), End: issued.Add(2 * time.Hour)}, 0.9, issued.Add(3 * time.Hour), issued.Add(3 * time.Hour)},
		{"ARI (mass revocation) now", cert(90 * day),
			&Window{Start: issued.Add(10 * day), End: issued.Add(10*day + time.Hour)}, 0, issued.Add(10 * day), issued.Add(10 * day)},
		{"ARI later than a twentieth left: capped", cert(100 * day),
			&Window{Start: issued.Add(98 * day), End: issued.Add(99 * day)}, 0, issued, issued.Add(95 * day)},
		{"malformed ARI (end before start): own schedule", cert(90 * day),
			&Window{Start: issued.Add(52 * day), End: issued.Add(50 * day)}, 0.5, issued, issued.Add(60 * day)},
		{"empty ARI: own schedule", cert(90 * day), &Window{}, 0.5, issued, issued.Add(60 * day)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RenewalTime(tc.cert, tc.ari, tc.rnd, tc.now); !got.Equal(tc.want) {
				t.Errorf("RenewalTime = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{
		{0, time.Minute}, {1, time.Minute}, {2, 10 * time.Minute}, {3, 100 * time.Minute},
		{4, 24 * time.Hour}, {50, 24 * time.Hour},
	} {
		if got := Backoff(tc.attempts); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.attempts, got, tc.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	for _, tc := range []struct {
		retries int
		want    time.Duration
	}{
		{0, time.Minute}, {1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute},
		{6, 32 * time.Minute}, {7, time.Hour}, {8, time.Hour}, {1000, time.Hour},
	} {
		if got := RetryDelay(tc.retries); got != tc.want {
			t.Errorf("RetryDelay(%d) = %v, want %v", tc.retries, got, tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"120", now.Add(2 * time.Minute), true},
		{"0", now, true},
		{"Sun, 01 Mar 2026 13:00:00 GMT", now.Add(time.Hour), true},
		{"", time.Time{}, false},
		{"-5", time.Time{}, false},
		{"soon", time.Time{}, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// The per-account bucket lets a burst through, then one order per refill
// interval; the clock is the caller's.
func TestPacer(t *testing.T) {
	var p pacer
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	acct := paceKey{key: "account:a", rate: Rate{Count: 3, Per: 3 * time.Minute}}
	dom := paceKey{key: "domain:example.com", rate: Rate{Count: 2, Per: 2 * time.Hour}}
	for i := range 2 {
		if w := p.reserve(now, acct, dom); w != 0 {
			t.Fatalf("order %d waits %v", i, w)
		}
	}
	// The domain is spent; the account still has a token, which must not
	// be consumed by an order that is refused.
	if w := p.reserve(now, acct, dom); w < 59*time.Minute || w > 61*time.Minute {
		t.Fatalf("third order for the domain waits %v, want about an hour", w)
	}
	if w := p.reserve(now, acct); w != 0 {
		t.Fatalf("another domain's order waits %v", w)
	}
	if w := p.reserve(now, acct); w < 59*time.Second || w > 61*time.Second {
		t.Fatalf("fourth order on the account waits %v, want about a minute", w)
	}
	if w := p.reserve(now.Add(time.Minute+time.Millisecond), acct); w != 0 {
		t.Fatalf("after a refill interval the order waits %v", w)
	}
	if w := p.reserve(now, paceKey{key: "off", rate: Rate{Count: -1}}); w != 0 {
		t.Fatalf("a disabled limit waits %v", w)
	}
}
