package edge

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/porticohq/portico/internal/dnsname"
)

// ChallengeSource holds the ACME HTTP-01 challenges the edge answers.
//
// KeyAuthorization returns the key authorization of token for the
// identifier host (a normalized hostname), ok false when there is none.
// Implementations MUST be safe for concurrent use and SHOULD answer from
// memory: validators fetch every challenge several times, from several
// places, and the edge calls this for every well-formed request on the path.
// The edge has already checked the method, the path and the token's
// character set.
type ChallengeSource interface {
	KeyAuthorization(ctx context.Context, host, token string) (keyAuth string, ok bool, err error)
}

// Challenges is an in-memory ChallengeSource for one node: the ACME client
// Puts a challenge before telling the CA to validate and Deletes it after.
// A cluster needs a source every node reads (the CA may ask any of them).
// The zero value is not usable; call NewChallenges.
type Challenges struct {
	mu sync.RWMutex
	m  map[challengeKey]string
}

type challengeKey struct{ host, token string }

var _ ChallengeSource = (*Challenges)(nil)

// NewChallenges returns an empty challenge set.
func NewChallenges() *Challenges { return &Challenges{m: map[challengeKey]string{}} }

// Put makes the edge answer token for identifier with keyAuth.
func (c *Challenges) Put(identifier, token, keyAuth string) {
	c.mu.Lock()
	c.m[challengeKey{dnsname.NormalizeHost(identifier), token}] = keyAuth
	c.mu.Unlock()
}

// Delete stops answering token for identifier.
func (c *Challenges) Delete(identifier, token string) {
	c.mu.Lock()
	delete(c.m, challengeKey{dnsname.NormalizeHost(identifier), token})
	c.mu.Unlock()
}

// KeyAuthorization implements ChallengeSource.
func (c *Challenges) KeyAuthorization(_ context.Context, host, token string) (string, bool, error) {
	c.mu.RLock()
	ka, ok := c.m[challengeKey{host, token}]
	c.mu.RUnlock()
	return ka, ok, nil
}

const acmePrefix = "/.well-known/acme-challenge/"

// serveACME answers an HTTP-01 challenge, before any redirect, as
// validators require (RFC 8555 §8.3; threat model E13). Everything on the
// path that is not exactly right is 404:
//
//   - the method is GET (not HEAD, not POST);
//   - the raw request target is "/.well-known/acme-challenge/" + token,
//     with no percent-encoding, dot segment, query or absolute form (the
//     raw target is compared, not the decoded path);
//   - the token is 1–256 base64url characters;
//   - the challenge's identifier is exactly the Host (normalized: any port,
//     case and one trailing dot aside, as validators send them).
//
// The answer is 200, text/plain, Cache-Control: no-store, and exactly the
// key authorization.
func (e *Edge) serveACME(w *responseLog, r *http.Request) {
	token, ok := strings.CutPrefix(r.RequestURI, acmePrefix)
	if r.Method != http.MethodGet || !ok || !validToken(token) || e.cfg.Challenges == nil {
		writePage(w, http.StatusNotFound)
		return
	}
	ka, found, err := e.cfg.Challenges.KeyAuthorization(r.Context(), dnsname.NormalizeHost(r.Host), token)
	if err != nil {
		e.log.Warn("looking up an ACME challenge", "host", r.Host, "err", err)
		writePage(w, http.StatusServiceUnavailable)
		return
	}
	if !found {
		writePage(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", itoa(len(ka)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(ka))
}

// validToken reports whether t is 1–256 characters of the base64url
// alphabet (RFC 4648 §5, no padding), as ACME tokens are.
func validToken(t string) bool {
	if len(t) == 0 || len(t) > 256 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
