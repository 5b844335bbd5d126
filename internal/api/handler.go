package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
)

// HandlerFunc is an HTTP handler that returns an error instead of writing it.
// A handler that returns a non-nil error must not have written a response;
// the ErrorWriter given to Handle renders it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ErrorWriter renders err as a dialect's error response. It is the one place
// per dialect where a domain error becomes a status code and a body, and where
// the private cause of an internal error is logged with the request id.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Handle adapts h to an http.Handler. Errors go to ew; so does a panic, as an
// internal error, so that a bug answers with the dialect's JSON envelope
// rather than a dropped connection (clients cannot parse anything else).
func Handle(h HandlerFunc, ew ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				ew(w, r, fmt.Errorf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack()))
			}
		}()
		if err := h(w, r); err != nil {
			ew(w, r, err)
		}
	})
}

// WriteJSON writes v as a JSON response with the given status. It encodes
// into a buffer first so that an encoding failure never leaves a half-written
// body behind a 2xx status; that failure is returned for the caller to render.
// Content-Type is always application/json: the generated Cloudflare clients
// refuse to decode anything else.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding the response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the client may be gone; nothing left to do
	return nil
}

// requestInfo is the per-request state the middleware shares with the
// handlers below it. It is a pointer in the context so that a handler can
// fill in the route for the middleware to read after the handler returns.
type requestInfo struct {
	id    string
	route string
}

type infoKey struct{}

func withInfo(ctx context.Context, ri *requestInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, ri)
}

func info(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(infoKey{}).(*requestInfo)
	return ri
}

// RequestID returns the id the middleware gave this request, or "" outside
// the middleware.
func RequestID(ctx context.Context) string {
	if ri := info(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// SetRoute records the route template (e.g.
// "/client/v4/zones/{zone_id}/custom_hostnames/{id}") that serves r. The
// middleware uses it as the metrics label: raw paths carry ids and would
// give every hostname its own time series.
func SetRoute(r *http.Request, route string) {
	if ri := info(r.Context()); ri != nil {
		ri.route = route
	}
}

// Allow is the Allow header of a route whose handlers are keyed by method:
// its methods, sorted, comma-separated.
func Allow[H any](methods map[string]H) string {
	return strings.Join(slices.Sorted(maps.Keys(methods)), ", ")
}
