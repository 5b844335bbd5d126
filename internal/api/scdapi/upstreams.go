package scdapi

import (
	"net/http"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/service"
)

// upstreamInput reads an upstream's fields. bubble_io is refused when
// true: Portico sends the visitor's host to every origin and has no
// Bubble.io rewrite, and saying yes would be a lie.
func upstreamInput(w http.ResponseWriter, r *http.Request) (service.UpstreamInput, error) {
	p, err := readParams(w, r)
	if err != nil {
		return service.UpstreamInput{}, err
	}
	var in service.UpstreamInput
	if in.Host, err = p.str("host"); err != nil {
		return in, err
	}
	if in.Port, err = p.integer("port"); err != nil {
		return in, err
	}
	if in.TLS, err = p.boolean("tls"); err != nil {
		return in, err
	}
	if in.PrependPath, err = p.str("prepend_path"); err != nil {
		return in, err
	}
	bubble, err := p.boolean("bubble_io")
	if err != nil {
		return in, err
	}
	if bubble != nil && *bubble {
		return in, invalidParam("bubble_io is not supported by Portico: origins always receive the custom domain as Host.")
	}
	return in, nil
}

func (h *handler) listUpstreams(w http.ResponseWriter, r *http.Request, zoneID string) error {
	page, perPage, err := paging(r)
	if err != nil {
		return err
	}
	list, err := h.svc.ListUpstreams(r.Context(), zoneID, r.URL.Query().Get("host"), (page-1)*perPage, perPage)
	if err != nil {
		return err
	}
	out := listJSON[upstreamJSON]{Data: make([]upstreamJSON, 0, len(list.Upstreams)), Pagination: paginationJSON{page, list.Total}}
	for _, u := range list.Upstreams {
		out.Data = append(out.Data, renderUpstream(u))
	}
	return api.WriteJSON(w, http.StatusOK, out)
}

func (h *handler) createUpstream(w http.ResponseWriter, r *http.Request, zoneID string) error {
	in, err := upstreamInput(w, r)
	if err != nil {
		return err
	}
	u, err := h.svc.CreateUpstream(r.Context(), zoneID, in)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusCreated, renderUpstream(u))
}

func (h *handler) getUpstream(w http.ResponseWriter, r *http.Request, zoneID string) error {
	id, err := upstreamID(r)
	if err != nil {
		return err
	}
	u, err := h.svc.GetUpstream(r.Context(), zoneID, id)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, renderUpstream(u))
}

// updateUpstream answers PATCH and PUT alike: the fields sent change, the
// others stay.
func (h *handler) updateUpstream(w http.ResponseWriter, r *http.Request, zoneID string) error {
	id, err := upstreamID(r)
	if err != nil {
		return err
	}
	in, err := upstreamInput(w, r)
	if err != nil {
		return err
	}
	u, err := h.svc.UpdateUpstream(r.Context(), zoneID, id, in)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, renderUpstream(u))
}

func (h *handler) deleteUpstream(w http.ResponseWriter, r *http.Request, zoneID string) error {
	id, err := upstreamID(r)
	if err != nil {
		return err
	}
	u, err := h.svc.DeleteUpstream(r.Context(), zoneID, id)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, messageJSON{"Upstream " + publicID(upstreamPrefix, u.ID) + " (" + u.Host + ") deleted."})
}
