// Package webhookapi serves the zones' webhooks under
// /api/v1/accounts/{account}/webhooks, in the SaaS Custom Domains dialect's
// shape: plain JSON objects, lists as {"data": [...]} (with "pagination"
// where they page), and errors as {"message": "..."}.
//
// An account is a Portico zone (account = zone id). Requests carry the
// zone's API token as Authorization: Bearer <token>, the same tokens as the
// Cloudflare dialect, with the same tenancy: another account, or another
// account's webhook or delivery, is 404 exactly like one that does not
// exist, never 403.
//
// The dialect only translates; the rules live in package webhook. A
// signing secret appears in one response only: the reply to the create.
package webhookapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/webhook"
)

// Prefix is the path (with the account wildcard, as net/http.ServeMux
// patterns spell it) under which the handler serves. Mount the handler at
// both Prefix and Prefix + "/".
const Prefix = "/api/v1/accounts/{account}/webhooks"

// The route templates.
const (
	routeWebhooks   = Prefix
	routeWebhook    = Prefix + "/{id}"
	routeDeliveries = routeWebhook + "/deliveries"
	routeDelivery   = routeDeliveries + "/{delivery}"
	routeReplay     = routeDelivery + "/replay"
)

// Authenticator checks an API token (a *service.Service). Its errors are
// *core.Error of KindUnauthorized for every bad credential.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (core.APIToken, error)
}

type handler struct {
	auth Authenticator
	eps  *webhook.Endpoints
	log  *slog.Logger
}

// New returns the webhooks handler. Metrics are registered on reg (nil:
// none) with the dialect label "webhooks"; log receives request logs and
// the private causes of internal errors.
func New(auth Authenticator, eps *webhook.Endpoints, log *slog.Logger, reg prometheus.Registerer) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{auth: auth, eps: eps, log: log}
	return api.Middleware(h.routes(), "webhooks", log, api.NewMetrics(reg))
}

// zoneHandler serves an authenticated request for the token's zone.
type zoneHandler func(w http.ResponseWriter, r *http.Request, zoneID string) error

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	h.handle(mux, routeWebhooks, map[string]zoneHandler{http.MethodGet: h.list, http.MethodPost: h.create})
	h.handle(mux, routeWebhook, map[string]zoneHandler{http.MethodGet: h.get, http.MethodDelete: h.delete})
	h.handle(mux, routeDeliveries, map[string]zoneHandler{http.MethodGet: h.deliveries})
	h.handle(mux, routeDelivery, map[string]zoneHandler{http.MethodGet: h.delivery})
	h.handle(mux, routeReplay, map[string]zoneHandler{http.MethodPost: h.replay})
	mux.Handle("/", api.Handle(func(http.ResponseWriter, *http.Request) error {
		return &apiError{Status: http.StatusNotFound, Message: "No route for that URI."}
	}, h.writeError))
	return mux
}

// handle registers a route template: metrics label, 405 for other methods,
// authentication and the account check, then the method's handler.
func (h *handler) handle(mux *http.ServeMux, pattern string, methods map[string]zoneHandler) {
	allow := api.Allow(methods)
	mux.Handle(pattern, api.Handle(func(w http.ResponseWriter, r *http.Request) error {
		api.SetRoute(r, pattern)
		serve, ok := methods[r.Method]
		if !ok {
			w.Header().Set("Allow", allow)
			return &apiError{Status: http.StatusMethodNotAllowed, Message: "Method " + r.Method + " is not allowed here; use " + allow + "."}
		}
		zoneID, err := h.authorize(r)
		if err != nil {
			return err
		}
		return serve(w, r, zoneID)
	}, h.writeError))
}

// authorize authenticates r and checks that the account in the path is the
// token's zone (compared without case, as ids are).
func (h *handler) authorize(r *http.Request) (string, error) {
	a := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, tok, ok := strings.Cut(a, " ")
	if a == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", &apiError{Status: http.StatusUnauthorized, Message: "Send your API token as Authorization: Bearer <token>."}
	}
	t, err := h.auth.Authenticate(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(r.PathValue("account"), t.ZoneID) {
		return "", &apiError{Status: http.StatusNotFound, Message: "Account not found."}
	}
	return t.ZoneID, nil
}
