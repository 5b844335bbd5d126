package cfapi

import (
	"net/http"

	"github.com/porticohq/portico/internal/api"
)

// certificateRequest is the body of a certificate replacement.
type certificateRequest struct {
	CustomCertificate string `json:"custom_certificate"`
	CustomKey         string `json:"custom_key"`
}

// certificatePath reads the three ids of a certificate route.
func certificatePath(r *http.Request) (hostnameID, packID, certID string, err error) {
	if hostnameID, err = pathID(r, "id"); err != nil {
		return
	}
	if packID, err = pathID(r, "pack_id"); err != nil {
		return
	}
	certID, err = pathID(r, "cert_id")
	return
}

// replaceCertificate answers with the enveloped hostname, as Cloudflare does.
func (h *handler) replaceCertificate(w http.ResponseWriter, r *http.Request, zoneID string) error {
	hostnameID, packID, certID, err := certificatePath(r)
	if err != nil {
		return err
	}
	var req certificateRequest
	if err := api.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	hn, err := h.svc.ReplaceCertificate(r.Context(), zoneID, hostnameID, packID, certID, req.CustomCertificate, req.CustomKey)
	if err != nil {
		return err
	}
	return writeResult(w, http.StatusOK, renderHostname(hn))
}

// deleteCertificate answers with Cloudflare's bare {"id":...} merged into
// the envelope, like a hostname delete.
func (h *handler) deleteCertificate(w http.ResponseWriter, r *http.Request, zoneID string) error {
	hostnameID, packID, certID, err := certificatePath(r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteCertificate(r.Context(), zoneID, hostnameID, packID, certID); err != nil {
		return err
	}
	return writeDeleted(w, certID)
}
