package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// result is what one attempt came to.
type result struct {
	ok    bool   // 2xx
	final bool   // retrying cannot help
	code  int    // HTTP status; 0 without a response
	err   string // why it failed, safe to show (see describe)
}

// maxDrain is how much of a response body is read (and discarded), so that
// the connection can be reused without letting a receiver stream forever.
const maxDrain = 64 << 10

// attempt POSTs d to ep once.
func (p *Dispatcher) attempt(ctx context.Context, ep core.WebhookEndpoint, d core.WebhookDelivery) result {
	// The policy may have tightened since the endpoint was created.
	target, err := p.cfg.Network.ParseURL(ep.URL)
	if err != nil {
		return result{final: true, err: "the URL is no longer allowed: " + core.AsError(err).Public}
	}
	secret, err := p.d.Box.Open(ep.SecretSealed, secretAAD(ep.ID))
	if err != nil {
		// Not the receiver's doing: a master key that changed, a row
		// copied between endpoints. The operator must see it; the zone's
		// owner sees that it is not theirs to fix.
		p.d.Log.ErrorContext(ctx, "opening a webhook signing secret", "zone_id", ep.ZoneID, "webhook_id", ep.ID, "err", err)
		return result{err: "the signing secret could not be opened on this Portico node (an operator problem)"}
	}
	ts := p.d.Clock.Now().Unix()
	sig := Sign(string(secret), ts, d.Payload)
	clear(secret)

	actx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(d.Payload))
	if err != nil {
		return result{final: true, err: "the URL cannot be requested"}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", p.cfg.UserAgent)
	h.Set(HeaderID, d.ID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	h.Set(HeaderEvent, d.EventType)
	resp, err := p.client.Do(req)
	if err != nil {
		return result{err: describe(err, p.cfg.Timeout)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code <= 299:
		return result{ok: true, code: code}
	case code >= 300 && code <= 399:
		return result{code: code, err: fmt.Sprintf("HTTP %d %s: redirects are not followed", code, http.StatusText(code))}
	}
	return result{code: code, err: fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))}
}

// maxErrorText caps a recorded error.
const maxErrorText = 300

// describe turns a transport error into words for the delivery log. It
// drops the *url.Error wrapper, whose text quotes the URL (whose path or
// query may hold the receiver's token); what remains names addresses,
// hosts and causes, never headers or bodies.
func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		op      *net.OpError
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		netErr  net.Error
	)
	var s string
	switch {
	case errors.Is(err, ErrAddressNotAllowed) && errors.As(err, &op):
		s = "refused: " + op.Err.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		s = fmt.Sprintf("timed out: no response within %s", timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		s = "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		s = "connection reset by the receiver"
	case errors.As(err, &dnsErr):
		s = fmt.Sprintf("DNS lookup of %s failed: %s", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &certErr):
		s = "TLS certificate not accepted: " + certErr.Err.Error()
	default:
		s = err.Error()
	}
	if len(s) > maxErrorText {
		s = s[:maxErrorText] + "..."
	}
	return s
}
