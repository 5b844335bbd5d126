package scdapi

import (
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/porticohq/portico/internal/api"
)

// The route templates.
const (
	routeUpstreams = "/api/v1/accounts/{account_uuid}/upstreams"
	routeUpstream  = routeUpstreams + "/{upstream_uuid}"
	routeDomains   = routeUpstream + "/custom_domains"
	routeDomain    = routeDomains + "/{domain_uuid}"
	routeVerify    = routeDomain + "/verify_dns_records"
)

// The uuid prefixes of the vendor's objects.
const (
	upstreamPrefix = "upstream_"
	domainPrefix   = "domain_"
)

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	h.handle(mux, routeUpstreams, map[string]accountHandler{
		http.MethodGet:  h.listUpstreams,
		http.MethodPost: h.createUpstream,
	})
	h.handle(mux, routeUpstream, map[string]accountHandler{
		http.MethodGet:    h.getUpstream,
		http.MethodPatch:  h.updateUpstream,
		http.MethodPut:    h.updateUpstream,
		http.MethodDelete: h.deleteUpstream,
	})
	h.handle(mux, routeDomains, map[string]accountHandler{
		http.MethodGet:  h.listDomains,
		http.MethodPost: h.createDomain,
	})
	h.handle(mux, routeDomain, map[string]accountHandler{
		http.MethodGet:    h.getDomain,
		http.MethodDelete: h.deleteDomain,
	})
	h.handle(mux, routeVerify, map[string]accountHandler{
		http.MethodPost: h.verifyDomain,
	})
	// Everything else under /api/v1/ is a JSON 404.
	mux.Handle("/", api.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return &scdError{Status: http.StatusNotFound, Code: codeNotFound, Message: "No route for " + r.Method + " " + r.URL.Path + "."}
	}, h.writeError))
	return mux
}

// handle registers a route template: it labels metrics with the template,
// answers 405 for methods the route lacks, authenticates, checks the
// account, and then calls the method's handler.
func (h *handler) handle(mux *http.ServeMux, pattern string, methods map[string]accountHandler) {
	allow := api.Allow(methods)
	mux.Handle(pattern, api.Handle(func(w http.ResponseWriter, r *http.Request) error {
		api.SetRoute(r, pattern)
		serve, ok := methods[r.Method]
		if !ok {
			w.Header().Set("Allow", allow)
			return &scdError{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
				Message: "Method " + r.Method + " is not allowed here; use " + allow + "."}
		}
		zoneID, err := h.authorize(r)
		if err != nil {
			return err
		}
		return serve(w, r, zoneID)
	}, h.writeError))
}

// objectID maps a path uuid ("upstream_<32 hex>", "domain_<32 hex>") to
// the id Portico stores (a dashed UUID). A uuid of another shape cannot
// name anything: not found.
func objectID(r *http.Request, param, prefix, what string) (string, error) {
	v := r.PathValue(param)
	hexPart, ok := strings.CutPrefix(strings.ToLower(v), prefix)
	if !ok || len(hexPart) != 32 {
		return "", notFound(what)
	}
	if _, err := hex.DecodeString(hexPart); err != nil {
		return "", notFound(what)
	}
	return hexPart[0:8] + "-" + hexPart[8:12] + "-" + hexPart[12:16] + "-" + hexPart[16:20] + "-" + hexPart[20:32], nil
}

// publicID is the vendor spelling of a stored id.
func publicID(prefix, id string) string { return prefix + strings.ReplaceAll(id, "-", "") }

func upstreamID(r *http.Request) (string, error) {
	return objectID(r, "upstream_uuid", upstreamPrefix, "Upstream")
}

func domainID(r *http.Request) (string, error) {
	return objectID(r, "domain_uuid", domainPrefix, "Custom domain")
}
