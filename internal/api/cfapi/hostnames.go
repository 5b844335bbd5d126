package cfapi

import (
	"encoding/json"
	"net/http"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/service"
)

// hostnameRequest is the body of a create or edit. Pointers tell absent from
// empty. Keys not listed here are ignored, as are the read-only fields v0
// echoes (ownership_verification{}, ssl.certificates, txt_name, ...).
type hostnameRequest struct {
	Hostname           *string     `json:"hostname"`
	SSL                *sslRequest `json:"ssl"`
	CustomOriginServer *string     `json:"custom_origin_server"`
	CustomOriginSNI    *string     `json:"custom_origin_sni"`
	// CustomMetadata is kept raw: v0 sends non-string values. Absent is nil,
	// JSON null is "null".
	CustomMetadata json.RawMessage `json:"custom_metadata"`
}

type sslRequest struct {
	Method               *string          `json:"method"`
	Type                 *string          `json:"type"`
	Wildcard             *bool            `json:"wildcard"`
	CertificateAuthority *string          `json:"certificate_authority"`
	BundleMethod         *string          `json:"bundle_method"`
	Settings             *settingsRequest `json:"settings"`
	CustomCertificate    *string          `json:"custom_certificate"`
	CustomKey            *string          `json:"custom_key"`
	CustomCertBundle     []certKeyRequest `json:"custom_cert_bundle"`
	CustomCSRID          *string          `json:"custom_csr_id"`
}

type settingsRequest struct {
	MinTLSVersion *string  `json:"min_tls_version"`
	TLS13         *string  `json:"tls_1_3"`
	HTTP2         *string  `json:"http2"`
	EarlyHints    *string  `json:"early_hints"`
	Ciphers       []string `json:"ciphers"`
}

type certKeyRequest struct {
	CustomCertificate string `json:"custom_certificate"`
	CustomKey         string `json:"custom_key"`
}

// nonEmpty treats "" as absent, for enum fields where an empty string can
// only be a client's zero value, never a choice.
func nonEmpty(p *string) *string {
	if p == nil || *p == "" {
		return nil
	}
	return p
}

// input maps the ssl object to the service's input.
func (s *sslRequest) input() (*service.SSLInput, error) {
	if s == nil {
		return nil, nil
	}
	in := &service.SSLInput{
		Method:               nonEmpty(s.Method),
		Type:                 nonEmpty(s.Type),
		Wildcard:             s.Wildcard,
		CertificateAuthority: s.CertificateAuthority,
		BundleMethod:         nonEmpty(s.BundleMethod),
		CustomCSRID:          nonEmpty(s.CustomCSRID),
	}
	if st := s.Settings; st != nil {
		in.Settings = &service.TLSSettingsInput{
			MinTLSVersion: st.MinTLSVersion, TLS13: st.TLS13, HTTP2: st.HTTP2,
			EarlyHints: st.EarlyHints, Ciphers: st.Ciphers,
		}
	}
	single := nonEmpty(s.CustomCertificate) != nil || nonEmpty(s.CustomKey) != nil
	if single && len(s.CustomCertBundle) > 0 {
		return nil, &cfError{Status: http.StatusBadRequest, Code: codeSSLAttribute,
			Message: "Send either ssl.custom_certificate with ssl.custom_key, or ssl.custom_cert_bundle, not both."}
	}
	if single {
		in.CustomCertificates = []service.CertKeyPair{{Certificate: deref(s.CustomCertificate), Key: deref(s.CustomKey)}}
	}
	for _, p := range s.CustomCertBundle {
		in.CustomCertificates = append(in.CustomCertificates, service.CertKeyPair{Certificate: p.CustomCertificate, Key: p.CustomKey})
	}
	return in, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (h *handler) createHostname(w http.ResponseWriter, r *http.Request, zoneID string) error {
	var req hostnameRequest
	if err := api.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	ssl, err := req.SSL.input()
	if err != nil {
		return err
	}
	hn, err := h.svc.CreateHostname(r.Context(), zoneID, service.HostnameInput{
		Hostname:           deref(req.Hostname),
		SSL:                ssl,
		CustomOriginServer: req.CustomOriginServer,
		CustomOriginSNI:    req.CustomOriginSNI,
		CustomMetadata:     req.CustomMetadata,
	})
	if err != nil {
		return err
	}
	return writeResult(w, http.StatusCreated, renderHostname(hn))
}

func (h *handler) getHostname(w http.ResponseWriter, r *http.Request, zoneID string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	hn, err := h.svc.GetHostname(r.Context(), zoneID, id)
	if err != nil {
		return err
	}
	return writeResult(w, http.StatusOK, renderHostname(hn))
}

// editHostname answers 202 Accepted, the status Cloudflare documents for an
// edit (validation restarts asynchronously); every client accepts any 2xx.
func (h *handler) editHostname(w http.ResponseWriter, r *http.Request, zoneID string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req hostnameRequest
	if err := api.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	ssl, err := req.SSL.input()
	if err != nil {
		return err
	}
	hn, err := h.svc.EditHostname(r.Context(), zoneID, id, service.HostnamePatch{
		Hostname:           nonEmpty(req.Hostname),
		SSL:                ssl,
		CustomOriginServer: req.CustomOriginServer,
		CustomOriginSNI:    req.CustomOriginSNI,
		CustomMetadata:     req.CustomMetadata,
	})
	if err != nil {
		return err
	}
	return writeResult(w, http.StatusAccepted, renderHostname(hn))
}

func (h *handler) deleteHostname(w http.ResponseWriter, r *http.Request, zoneID string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteHostname(r.Context(), zoneID, id); err != nil {
		return err
	}
	return writeDeleted(w, id)
}
