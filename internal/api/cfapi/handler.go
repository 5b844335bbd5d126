// Package cfapi serves Portico's Cloudflare dialect: the custom-hostnames
// API of Cloudflare for SaaS under /client/v4, exactly as cloudflare-go (v0
// and the generated v6+), Terraform and the other SDKs call it.
//
// The dialect only translates: requests into service inputs, domain objects
// into Cloudflare's JSON, domain errors into Cloudflare's codes. Every rule
// lives in package service. The wire contract it follows is
// shared/reference/cloudflare-wire-contract.md; where it says "observed",
// a real client broke without it.
//
// Tenancy: a token belongs to one zone. A request for another zone, or for
// an object of another zone, is answered 404 exactly as for an object that
// does not exist, never 403, so that ids cannot be probed.
package cfapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/service"
	"github.com/prometheus/client_golang/prometheus"
)

// Prefix is the path under which the dialect serves, as Cloudflare does.
const Prefix = "/client/v4/"

// handler holds the dialect's dependencies.
type handler struct {
	svc *service.Service
	log *slog.Logger
}

// New returns the Cloudflare dialect's handler for every path under
// /client/v4/. Metrics are registered on reg (nil: none); log receives
// request logs and the private causes of internal errors.
func New(svc *service.Service, log *slog.Logger, reg prometheus.Registerer) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{svc: svc, log: log}
	routes := h.routes()
	// cf-ray carries the request id: cloudflare-go v0 quotes it in every
	// error it returns, so a user's bug report names the log lines.
	withRay := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cf-Ray", api.RequestID(r.Context()))
		routes.ServeHTTP(w, r)
	})
	return api.Middleware(withRay, "cloudflare", log, api.NewMetrics(reg))
}

// zoneHandler serves a request that is authenticated and whose zone_id is
// the token's zone.
type zoneHandler func(w http.ResponseWriter, r *http.Request, zoneID string) error

// credential extracts the token from whichever of Cloudflare's three auth
// schemes the client used. With X-Auth-Email + X-Auth-Key the key is the
// Portico token (the email is not checked: the token alone names the
// tenant). present is false when no auth header was sent at all.
func credential(r *http.Request) (token string, present bool) {
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(a), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok), true
		}
		return "", true // present but not a bearer token: refused as invalid
	}
	if k := r.Header.Get("X-Auth-Key"); k != "" {
		return strings.TrimSpace(k), true
	}
	if k := r.Header.Get("X-Auth-User-Service-Key"); k != "" {
		return strings.TrimSpace(k), true
	}
	return "", false
}

// authorize authenticates r and checks that zoneID is the token's zone. It
// returns the zone id as stored (ids are compared case-insensitively).
func (h *handler) authorize(r *http.Request, zoneID string) (string, error) {
	tok, present := credential(r)
	if !present {
		return "", &cfError{Status: http.StatusBadRequest, Code: codeNoAuth,
			Message: "The request has no credentials: send Authorization: Bearer <token>, X-Auth-Key or X-Auth-User-Service-Key."}
	}
	t, err := h.svc.Authenticate(r.Context(), tok)
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(zoneID, t.ZoneID) {
		rep := zoneNotFound()
		return "", &cfError{Status: rep.status, Code: rep.code, Message: rep.message}
	}
	return t.ZoneID, nil
}
