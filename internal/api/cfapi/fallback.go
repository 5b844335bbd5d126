package cfapi

import (
	"net/http"

	"github.com/porticohq/portico/internal/api"
)

// fallbackRequest is the body of a fallback origin PUT.
type fallbackRequest struct {
	Origin string `json:"origin"`
}

func (h *handler) getFallback(w http.ResponseWriter, r *http.Request, zoneID string) error {
	fo, err := h.svc.GetFallbackOrigin(r.Context(), zoneID)
	if err != nil {
		return err
	}
	return writeResult(w, http.StatusOK, renderFallback(fo))
}

func (h *handler) setFallback(w http.ResponseWriter, r *http.Request, zoneID string) error {
	var req fallbackRequest
	if err := api.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	fo, err := h.svc.SetFallbackOrigin(r.Context(), zoneID, req.Origin)
	if err != nil {
		return err
	}
	return writeResult(w, http.StatusOK, renderFallback(fo))
}

// deleteFallback is idempotent: with no fallback set it still answers 200,
// so a retried delete does not fail.
func (h *handler) deleteFallback(w http.ResponseWriter, r *http.Request, zoneID string) error {
	fo, err := h.svc.DeleteFallbackOrigin(r.Context(), zoneID)
	if err != nil {
		return err
	}
	return writeResult(w, http.StatusOK, renderFallback(fo))
}

func (h *handler) getQuota(w http.ResponseWriter, r *http.Request, zoneID string) error {
	q, err := h.svc.Quota(r.Context(), zoneID)
	if err != nil {
		return err
	}
	return writeResult(w, http.StatusOK, renderQuota(q))
}
