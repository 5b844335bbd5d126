package scdapi

import (
	"net/http"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/service"
)

func (h *handler) listDomains(w http.ResponseWriter, r *http.Request, zoneID string) error {
	uid, err := upstreamID(r)
	if err != nil {
		return err
	}
	page, perPage, err := paging(r)
	if err != nil {
		return err
	}
	list, err := h.svc.ListCustomDomains(r.Context(), zoneID, uid, r.URL.Query().Get("host"), (page-1)*perPage, perPage)
	if err != nil {
		return err
	}
	out := listJSON[domainJSON]{Data: make([]domainJSON, 0, len(list.Domains)), Pagination: paginationJSON{page, list.Total}}
	for _, d := range list.Domains {
		out.Data = append(out.Data, renderDomain(d))
	}
	return api.WriteJSON(w, http.StatusOK, out)
}

func (h *handler) createDomain(w http.ResponseWriter, r *http.Request, zoneID string) error {
	uid, err := upstreamID(r)
	if err != nil {
		return err
	}
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	var in service.CustomDomainInput
	for _, f := range []struct {
		name string
		dst  *string
	}{{"host", &in.Host}, {"challenge_type", &in.ChallengeType}, {"instructions_recipient", &in.InstructionsRecipient}} {
		name, dst := f.name, f.dst
		v, err := p.str(name)
		if err != nil {
			return err
		}
		if v != nil {
			*dst = *v
		}
	}
	www, err := p.boolean("redirect_to_www")
	if err != nil {
		return err
	}
	in.RedirectToWWW = www != nil && *www
	d, err := h.svc.CreateCustomDomain(r.Context(), zoneID, uid, in)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusCreated, renderDomain(d))
}

func (h *handler) getDomain(w http.ResponseWriter, r *http.Request, zoneID string) error {
	uid, id, err := domainPath(r)
	if err != nil {
		return err
	}
	d, err := h.svc.GetCustomDomain(r.Context(), zoneID, uid, id)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, renderDomain(d))
}

func (h *handler) deleteDomain(w http.ResponseWriter, r *http.Request, zoneID string) error {
	uid, id, err := domainPath(r)
	if err != nil {
		return err
	}
	d, err := h.svc.DeleteCustomDomain(r.Context(), zoneID, uid, id)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, messageJSON{
		"Custom domain " + publicID(domainPrefix, d.Hostname.ID) + " (" + d.Hostname.Name + ") deleted."})
}

// verifyDomain checks the domain's DNS now and answers with the verdict.
func (h *handler) verifyDomain(w http.ResponseWriter, r *http.Request, zoneID string) error {
	uid, id, err := domainPath(r)
	if err != nil {
		return err
	}
	d, err := h.svc.VerifyCustomDomain(r.Context(), zoneID, uid, id)
	if err != nil {
		return err
	}
	status, msg := dnsStatus(d), "DNS records verification complete."
	if status == dnsPending {
		msg = "DNS records could not be checked now; they will be checked again shortly."
	}
	return api.WriteJSON(w, http.StatusOK, verifyJSON{Message: msg, DNSStatus: status, Host: d.Hostname.Name})
}

// domainPath reads the upstream and domain uuids of a domain route.
func domainPath(r *http.Request) (upstream, domain string, err error) {
	if upstream, err = upstreamID(r); err != nil {
		return "", "", err
	}
	if domain, err = domainID(r); err != nil {
		return "", "", err
	}
	return upstream, domain, nil
}
