package acme_test

import (
	"fmt"
	"net/http"

	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
)

func dnstestCAA(tag, value string) dnstest.CAA {
	return dnstest.CAA{Tag: tag, Value: value}
}

func pebbleOpts(nonceReject int) pebbletest.Options {
	return pebbletest.Options{NonceReject: nonceReject}
}

// errorsOnACME makes every ACME request answer status with Retry-After
// (seconds) until the returned func is called: a CA outage that says when
// to come back.
func errorsOnACME(e *env, status int, retryAfter string) (stop func()) {
	e.pebble.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		writeProblem(w, status, retryAfter, "serverInternal", "the CA is down for maintenance")
		return true
	})
	return func() { e.pebble.Intercept(nil) }
}

// rateLimitNewOrder makes newOrder answer 429 rateLimited with Retry-After
// (seconds) until the returned func is called.
func rateLimitNewOrder(e *env, retryAfter string) (stop func()) {
	e.pebble.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/order-plz" {
			return false
		}
		writeProblem(w, http.StatusTooManyRequests, retryAfter, "rateLimited", "too many new orders recently")
		return true
	})
	return func() { e.pebble.Intercept(nil) }
}

func writeProblem(w http.ResponseWriter, status int, retryAfter, typ, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"urn:ietf:params:acme:error:%s","detail":%q,"status":%d}`, typ, detail, status)
}
