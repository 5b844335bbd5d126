// Package scdapi serves Portico's SaaS Custom Domains dialect under
// /api/v1/accounts/{account_uuid}/: upstreams (named origins of a zone) and
// their custom domains, as the vendor's API documents them, so that a SaaS
// that started there moves to Portico by changing the base URL and token.
//
// The dialect only translates. An account is a Portico zone (account_uuid
// is the zone id); a custom domain is a custom hostname (the same row the
// Cloudflare dialect shows, its uuid "domain_" + the hostname id without
// dashes) plus the record package service keeps beside it (upstream,
// redirect_to_www, instruction email). Every rule lives in package
// service; errors are rendered as {"error_code", "message"}.
//
// Tenancy: a token belongs to one zone. Another account, or an object of
// another account, is a 404 exactly like one that does not exist.
package scdapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/service"
)

// Prefix is the path under which the dialect serves.
const Prefix = "/api/v1/"

// handler holds the dialect's dependencies.
type handler struct {
	svc *service.Service
	log *slog.Logger
}

// New returns the dialect's handler for every path under /api/v1/.
// Metrics are registered on reg (nil: none); log receives request logs and
// the private causes of internal errors.
func New(svc *service.Service, log *slog.Logger, reg prometheus.Registerer) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{svc: svc, log: log}
	return api.Middleware(h.routes(), "saascustomdomains", log, api.NewMetrics(reg))
}

// accountHandler serves a request that is authenticated and whose account
// is the token's zone.
type accountHandler func(w http.ResponseWriter, r *http.Request, zoneID string) error

// authorize authenticates r (Authorization: Bearer <token>) and checks that
// the path's account is the token's zone; it returns the zone id.
func (h *handler) authorize(r *http.Request) (string, error) {
	a := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, tok, ok := strings.Cut(a, " ")
	if a == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", &scdError{Status: http.StatusUnauthorized, Code: codeUnauthorized,
			Message: "Missing or malformed credentials: send Authorization: Bearer <token>."}
	}
	t, err := h.svc.Authenticate(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(r.PathValue("account_uuid"), t.ZoneID) {
		return "", notFound("Account")
	}
	return t.ZoneID, nil
}
