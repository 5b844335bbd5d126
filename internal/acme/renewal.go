package acme

import (
	"crypto/x509"
	"time"
)

// Window is an ACME Renewal Information window (RFC 9773): the CA suggests
// renewing at some time between Start and End.
type Window struct {
	Start, End time.Time
	// ExplanationURL, when set, explains the window (e.g. a mass
	// revocation); operators should see it.
	ExplanationURL string
	// RetryAfter is when the CA wants to be asked again; zero when it did
	// not say.
	RetryAfter time.Time
}

// Valid reports whether w is a usable window: both ends set, End after
// Start. RFC 9773 says to ignore anything else and use one's own schedule.
func (w *Window) Valid() bool {
	return w != nil && !w.Start.IsZero() && !w.End.IsZero() && w.End.After(w.Start)
}

// shortLifetime is the lifetime under which a certificate is renewed
// halfway rather than at two thirds (Let's Encrypt's advice).
const shortLifetime = 10 * 24 * time.Hour

// RenewalTime returns when to renew cert: a point of the ARI window drawn
// by rnd (uniform in [0, 1)) when the CA offers a valid one; otherwise when
// a third of the lifetime is left (half for certificates under 10 days),
// spread by rnd over a window of a thirtieth of the lifetime around that
// point, so that certificates issued together do not renew together
// (threat model B15). Whatever ARI says, the time is never later than when
// a twentieth of the lifetime is left (B4). A time already past becomes
// now: renew at once.
func RenewalTime(cert *x509.Certificate, ari *Window, rnd float64, now time.Time) time.Time {
	rnd = min(max(rnd, 0), 1)
	life := cert.NotAfter.Sub(cert.NotBefore)
	latest := cert.NotAfter.Add(-life / 20)
	var t time.Time
	if ari.Valid() {
		t = ari.Start.Add(time.Duration(rnd * float64(ari.End.Sub(ari.Start))))
		if ari.End.Before(now) {
			t = now // RFC 9773 4.2: a window in the past means now
		}
	} else {
		point := cert.NotBefore.Add(life * 2 / 3)
		if life < shortLifetime {
			point = cert.NotBefore.Add(life / 2)
		}
		spread := life / 30
		t = point.Add(-spread / 2).Add(time.Duration(rnd * float64(spread)))
	}
	if t.After(latest) {
		t = latest
	}
	if t.Before(now) {
		t = now
	}
	return t
}

// Backoff is how long to wait before the next order after attempts orders
// failed validation in a row: 1 min, 10 min, 100 min, then a day, Let's
// Encrypt's schedule, which keeps a failing hostname within its limits
// (5 failed authorizations per identifier per hour; threat model B2).
func Backoff(attempts int) time.Duration {
	switch {
	case attempts <= 1:
		return time.Minute
	case attempts == 2:
		return 10 * time.Minute
	case attempts == 3:
		return 100 * time.Minute
	}
	return 24 * time.Hour
}

// maxRetryDelay caps RetryDelay: a CA that is down for days is still asked
// once an hour, so issuance resumes soon after it is back (threat model B6).
const maxRetryDelay = time.Hour

// RetryDelay is how long to wait after retries transient failures in a row
// (network, 5xx, a slow CA): 1 min doubling to at most an hour.
func RetryDelay(retries int) time.Duration {
	if retries < 1 {
		retries = 1
	}
	if retries > 7 {
		return maxRetryDelay
	}
	return min(time.Minute<<(retries-1), maxRetryDelay)
}
