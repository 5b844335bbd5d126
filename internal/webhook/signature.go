package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of every delivery.
const (
	// HeaderID is the delivery id: the same on every retry of a delivery, a
	// new one for a replay.
	HeaderID = "Portico-Webhook-Id"
	// HeaderTimestamp is when the request was signed, in unix seconds.
	HeaderTimestamp = "Portico-Webhook-Timestamp"
	// HeaderSignature is "v1=<hex HMAC-SHA256(secret, timestamp + "." +
	// body)>". Receivers accept the request when any v1 value in it (space-
	// or comma-separated) matches, so that a future secret rotation can sign
	// with two secrets at once.
	HeaderSignature = "Portico-Webhook-Signature"
	// HeaderEvent is the event type, for routing without parsing the body.
	HeaderEvent = "Portico-Webhook-Event"
)

// DefaultTolerance is how far a timestamp may be from the receiver's clock
// when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// The errors Verify returns; callers branch with errors.Is.
var (
	ErrMissingSignature = errors.New("webhook: missing signature or timestamp header")
	ErrBadTimestamp     = errors.New("webhook: malformed timestamp")
	ErrTimestampSkew    = errors.New("webhook: timestamp outside the tolerance")
	ErrBadSignature     = errors.New("webhook: no signature matches")
)

// Sign returns the Portico-Webhook-Signature value for body sent at
// timestamp (unix seconds) with secret.
func Sign(secret string, timestamp int64, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery as a receiver gets it: h holds its headers and
// body its raw bytes, unparsed. It fails unless the timestamp is within
// tolerance of now (tolerance <= 0 means DefaultTolerance), which stops a
// captured request from being replayed later, and one v1 signature matches,
// compared in constant time.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return ErrMissingSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return ErrBadTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: %s from now", ErrTimestampSkew, skew.Round(time.Second))
	}
	want := mac(secret, ts, body)
	for _, f := range strings.FieldsFunc(sig, func(r rune) bool { return r == ' ' || r == ',' }) {
		v, ok := strings.CutPrefix(f, "v1=")
		if !ok {
			continue // another scheme version: not ours to judge
		}
		got, err := hex.DecodeString(v)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}
