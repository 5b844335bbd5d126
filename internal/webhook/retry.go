package webhook

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy says when a failed delivery is tried again. The zero value
// gives the defaults.
type RetryPolicy struct {
	// Initial is the wait after the first failed attempt. Default 10 s.
	Initial time.Duration
	// Max caps the wait between two attempts. Default 1 hour.
	Max time.Duration
	// Window is how long after its creation a delivery is still retried;
	// the first failure after it (or one whose next attempt would fall
	// after it) fails the delivery. Default 24 hours: about 30 attempts.
	Window time.Duration
	// Jitter spreads each wait by up to this fraction either way, so that
	// the deliveries of one outage do not all come back at once. Default
	// 0.2; negative means none.
	Jitter float64
}

func (p *RetryPolicy) defaults() {
	if p.Initial <= 0 {
		p.Initial = 10 * time.Second
	}
	if p.Max <= 0 {
		p.Max = time.Hour
	}
	if p.Window <= 0 {
		p.Window = 24 * time.Hour
	}
	if p.Jitter == 0 {
		p.Jitter = 0.2
	}
	if p.Jitter < 0 {
		p.Jitter = 0
	}
}

// Delay is the wait after the n-th failed attempt (n >= 1), before jitter:
// Initial doubled n-1 times, capped at Max.
func (p RetryPolicy) Delay(n int) time.Duration {
	d := p.Initial
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// next returns when to try again after the n-th failed attempt at now, of
// a delivery created at created; ok is false when the window is over.
// u is a uniform random number in [0, 1).
func (p RetryPolicy) next(n int, created, now time.Time, u float64) (time.Time, bool) {
	d := p.Delay(n)
	d += time.Duration(float64(d) * p.Jitter * (2*u - 1))
	at := now.Add(d)
	if at.After(created.Add(p.Window)) {
		return time.Time{}, false
	}
	return at, true
}

// uniform is the jitter's random source: math/rand/v2's, safe for
// concurrent use; jitter needs no secrecy.
func uniform() float64 { return rand.Float64() }
