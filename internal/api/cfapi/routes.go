package cfapi

import (
	"net/http"
	"strings"

	"github.com/porticohq/portico/internal/api"
)

// The route templates. fallback_origin and quota sit where {id} does; the
// mux prefers the literal segments, and because each template answers every
// method itself (405 for the ones it lacks), a PATCH to fallback_origin can
// never fall through to the {id} route.
const (
	routeHostnames   = "/client/v4/zones/{zone_id}/custom_hostnames"
	routeFallback    = routeHostnames + "/fallback_origin"
	routeQuota       = routeHostnames + "/quota"
	routeHostname    = routeHostnames + "/{id}"
	routeCertificate = routeHostname + "/certificate_pack/{pack_id}/certificates/{cert_id}"
)

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	h.handle(mux, routeHostnames, map[string]zoneHandler{
		http.MethodGet:  h.listHostnames,
		http.MethodPost: h.createHostname,
	})
	h.handle(mux, routeFallback, map[string]zoneHandler{
		http.MethodGet:    h.getFallback,
		http.MethodPut:    h.setFallback,
		http.MethodDelete: h.deleteFallback,
	})
	h.handle(mux, routeQuota, map[string]zoneHandler{
		http.MethodGet: h.getQuota,
	})
	h.handle(mux, routeHostname, map[string]zoneHandler{
		http.MethodGet:    h.getHostname,
		http.MethodPatch:  h.editHostname,
		http.MethodDelete: h.deleteHostname,
	})
	h.handle(mux, routeCertificate, map[string]zoneHandler{
		http.MethodPut:    h.replaceCertificate,
		http.MethodDelete: h.deleteCertificate,
	})
	// Everything else under /client/v4/ is a JSON 404: clients cannot parse
	// net/http's plain-text one.
	mux.Handle("/", api.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return &cfError{Status: http.StatusNotFound, Code: codeNoRoute, Message: "No route for that URI."}
	}, h.writeError))
	return mux
}

// handle registers a route template: it labels metrics with the template,
// answers 405 for methods the route lacks, authenticates, checks the zone,
// and then calls the method's handler.
func (h *handler) handle(mux *http.ServeMux, pattern string, methods map[string]zoneHandler) {
	allow := api.Allow(methods)
	mux.Handle(pattern, api.Handle(func(w http.ResponseWriter, r *http.Request) error {
		api.SetRoute(r, pattern)
		serve, ok := methods[r.Method]
		if !ok {
			w.Header().Set("Allow", allow)
			return &cfError{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
				Message: "Method " + r.Method + " is not allowed for this route; use " + allow + "."}
		}
		zoneID, err := h.authorize(r, r.PathValue("zone_id"))
		if err != nil {
			return err
		}
		return serve(w, r, zoneID)
	}, h.writeError))
}

// pathID returns a path id (hostname, pack or certificate), refused with
// 1435 unless it has one of the two shapes Cloudflare uses: 32 hex
// characters or a 36-character UUID. It returns the canonical spelling.
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if !validID(id) {
		return "", &cfError{Status: http.StatusBadRequest, Code: codeHostnameID,
			Message: "Invalid " + strings.ReplaceAll(name, "_", " ") + ": an identifier is 32 hexadecimal characters or a 36-character UUID."}
	}
	return canonicalID(id), nil
}

// canonicalID spells a valid id the way Portico stores it: lowercase, and
// a 32-hex id as the dashed UUID it stands for (Portico generates only
// UUIDs; Cloudflare's docs show both forms).
func canonicalID(id string) string {
	id = strings.ToLower(id)
	if len(id) == 32 {
		id = id[0:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:32]
	}
	return id
}

// validID reports whether s is 32 hex characters or a UUID (8-4-4-4-12 hex).
func validID(s string) bool {
	switch len(s) {
	case 32:
		for i := 0; i < len(s); i++ {
			if !isHex(s[i]) {
				return false
			}
		}
		return true
	case 36:
		for i := 0; i < len(s); i++ {
			switch i {
			case 8, 13, 18, 23:
				if s[i] != '-' {
					return false
				}
			default:
				if !isHex(s[i]) {
					return false
				}
			}
		}
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
