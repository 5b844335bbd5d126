package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/clock"
)

// acmez's Problem carries no response headers, so the Retry-After of a
// rate-limited or overloaded answer would be lost. The CA client's transport
// notes it instead, in a slot the Issuer puts into the request context for
// the length of one Step. The slot is call-scoped plumbing between this
// package's own pieces, not a dependency passed through the context.
type retryNote struct {
	mu   sync.Mutex
	at   time.Time // latest Retry-After of a 429 or 503: do not ask before
	poll time.Time // latest Retry-After of any other answer: poll no sooner
}

type retryNoteKey struct{}

func withRetryNote(ctx context.Context) (context.Context, *retryNote) {
	n := &retryNote{}
	return context.WithValue(ctx, retryNoteKey{}, n), n
}

func (n *retryNote) set(t time.Time) {
	n.mu.Lock()
	if t.After(n.at) {
		n.at = t
	}
	n.mu.Unlock()
}

func (n *retryNote) setPoll(t time.Time) {
	n.mu.Lock()
	n.poll = t
	n.mu.Unlock()
}

// pollAfter returns the Retry-After of the latest answer that carried one
// and was not an error, or the zero time.
func (n *retryNote) pollAfter() time.Time {
	if n == nil {
		return time.Time{}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.poll
}

// get returns the latest Retry-After noted, or the zero time.
func (n *retryNote) get() time.Time {
	if n == nil {
		return time.Time{}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.at
}

// noteTransport records the Retry-After of answers: of 429 and 503 as the
// time not to ask before, of others as a polling hint.
type noteTransport struct {
	base http.RoundTripper
	clk  clock.Clock
}

func (t *noteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	n, ok := req.Context().Value(retryNoteKey{}).(*retryNote)
	if !ok {
		return resp, nil
	}
	at, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.clk.Now())
	switch {
	case !ok:
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		n.set(at)
	case resp.StatusCode < 400:
		n.setPoll(at)
	}
	return resp, nil
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return now.Add(time.Duration(s) * time.Second), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// newHTTPClient returns the client for one CA: roots for TLS, bounded
// timeouts at every stage (threat model F6), and the Retry-After notes.
func newHTTPClient(roots *x509.CertPool, timeout time.Duration, clk clock.Clock) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: &noteTransport{base: base, clk: clk}, Timeout: timeout}
}
