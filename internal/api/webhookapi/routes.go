package webhookapi

import (
	"net/http"
	"strconv"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/webhook"
)

// createRequest is the body of a create. Unknown keys are ignored.
type createRequest struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

func (h *handler) create(w http.ResponseWriter, r *http.Request, zoneID string) error {
	var req createRequest
	if err := api.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	e, secret, err := h.eps.Create(r.Context(), zoneID, webhook.EndpointInput{URL: req.URL, Events: req.Events,
		Description: req.Description})
	if err != nil {
		return err
	}
	out := renderWebhook(e)
	out.Secret = secret // shown once, here
	w.Header().Set("Cache-Control", "no-store")
	return api.WriteJSON(w, http.StatusCreated, out)
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, zoneID string) error {
	es, err := h.eps.List(r.Context(), zoneID)
	if err != nil {
		return err
	}
	data := make([]webhookJSON, len(es))
	for i, e := range es {
		data[i] = renderWebhook(e)
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"data": data})
}

func (h *handler) get(w http.ResponseWriter, r *http.Request, zoneID string) error {
	e, err := h.eps.Get(r.Context(), zoneID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, renderWebhook(e))
}

func (h *handler) delete(w http.ResponseWriter, r *http.Request, zoneID string) error {
	e, err := h.eps.Get(r.Context(), zoneID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.eps.Delete(r.Context(), zoneID, e.ID); err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, map[string]string{"message": "Webhook " + e.ID + " deleted."})
}

// The delivery log's paging.
const (
	defaultPerPage = 20
	maxPerPage     = 100
)

func (h *handler) deliveries(w http.ResponseWriter, r *http.Request, zoneID string) error {
	q := r.URL.Query()
	page, err := positive(q.Get("page"), 1, "page")
	if err != nil {
		return err
	}
	perPage, err := positive(q.Get("per_page"), defaultPerPage, "per_page")
	if err != nil {
		return err
	}
	perPage = min(perPage, maxPerPage)
	if page > 1_000_000 {
		return &apiError{Status: http.StatusBadRequest, Message: "page is too large."}
	}
	l, err := h.eps.Deliveries(r.Context(), zoneID, r.PathValue("id"), webhook.ListOptions{
		Status: core.DeliveryStatus(q.Get("status")), Offset: (page - 1) * perPage, Limit: perPage,
	})
	if err != nil {
		return err
	}
	data := make([]deliveryJSON, len(l.Deliveries))
	for i, d := range l.Deliveries {
		data[i] = renderDelivery(d, false)
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{
		"data": data, "pagination": pagination{Page: page, PerPage: perPage, Count: l.Total},
	})
}

// positive parses an optional positive integer query parameter.
func positive(v string, def int, name string) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, &apiError{Status: http.StatusBadRequest, Message: name + " must be a positive integer."}
	}
	return n, nil
}

func (h *handler) delivery(w http.ResponseWriter, r *http.Request, zoneID string) error {
	d, err := h.eps.Delivery(r.Context(), zoneID, r.PathValue("id"), r.PathValue("delivery"))
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, renderDelivery(d, true))
}

func (h *handler) replay(w http.ResponseWriter, r *http.Request, zoneID string) error {
	d, err := h.eps.Replay(r.Context(), zoneID, r.PathValue("id"), r.PathValue("delivery"))
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusCreated, renderDelivery(d, false))
}
