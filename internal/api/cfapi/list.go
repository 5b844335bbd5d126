package cfapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

// Paging limits. Real callers send per_page 50 (v0 hard-codes it) and 100;
// the generated clients send none and get the default.
const (
	defaultPerPage = 20
	maxPerPage     = 1000
)

// codeInvalidParam answers a query parameter with a value outside its enum.
// Cloudflare documents no code for it; 1434 ("invalid attribute") is the
// nearest.
const codeInvalidParam = codeSSLAttribute

// listRequest is a parsed list query.
type listRequest struct {
	opts    service.ListOptions
	page    int
	perPage int
}

// The filters that cannot be combined with id (error 1438).
var filterKeys = []string{
	"hostname", "hostname.exact", "hostname.contain", "hostname.startsWith",
	"ssl", "ssl_status", "hostname_status", "certificate_authority",
	"custom_origin_server", "wildcard",
}

// parseList reads the list query. Semantics, where Cloudflare's docs are
// thin:
//   - hostname (the legacy filter) is an exact match, like hostname.exact:
//     Cloudflare documents both as "fully qualified domain name to match
//     against", and an exact match is the safe reading for the callers that
//     take result[0] as "the" hostname (a substring match could hand them
//     shop.example.com for hop.example.com).
//   - The hostname filters are mutually exclusive, as Cloudflare documents.
//   - Empty values are absent filters.
//   - page <= 0 is page 1; per_page <= 0 is the default; above the maximum
//     it is clamped, and result_info echoes the value used.
func parseList(q url.Values) (listRequest, error) {
	lr := listRequest{page: 1, perPage: defaultPerPage}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return lr, badParam("page must be an integer.")
		}
		lr.page = max(n, 1)
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return lr, badParam("per_page must be an integer.")
		}
		if n > 0 {
			lr.perPage = min(n, maxPerPage)
		}
	}
	lr.opts.Offset = (lr.page - 1) * lr.perPage
	lr.opts.Limit = lr.perPage

	if id := q.Get("id"); id != "" {
		if !validID(id) {
			return lr, &cfError{Status: http.StatusBadRequest, Code: codeHostnameID,
				Message: "Invalid id filter: a custom hostname id is 32 hexadecimal characters or a 36-character UUID."}
		}
		for _, k := range filterKeys {
			if q.Get(k) != "" {
				return lr, &cfError{Status: http.StatusBadRequest, Code: codeIDWithFilters,
					Message: "The id filter cannot be combined with other filters (" + k + ")."}
			}
		}
		lr.opts.Filter.ID = canonicalID(id)
	}

	f := &lr.opts.Filter
	var nameFilters []string
	for _, k := range filterKeys[:4] {
		if q.Get(k) != "" {
			nameFilters = append(nameFilters, k)
		}
	}
	if len(nameFilters) > 1 {
		return lr, badParam(strings.Join(nameFilters, " and ") + " cannot be combined; use one hostname filter.")
	}
	if v := q.Get("hostname"); v != "" {
		f.NameExact = v
	}
	if v := q.Get("hostname.exact"); v != "" {
		f.NameExact = v
	}
	if v := q.Get("hostname.startsWith"); v != "" {
		f.NameStartsWith = v
	}
	if v := q.Get("hostname.contain"); v != "" {
		if !validNameFragment(v) {
			return lr, &cfError{Status: http.StatusBadRequest, Code: codeBadContain,
				Message: "Invalid hostname.contain: use up to 253 characters of a hostname (letters, digits, '-', '.', '*')."}
		}
		f.NameContains = v
	}
	if v := q.Get("ssl"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			return lr, badParam("ssl must be 0 or 1.")
		}
		f.HasActiveSSL = &b
	}
	if v := q.Get("wildcard"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			return lr, badParam("wildcard must be true or false.")
		}
		f.Wildcard = &b
	}
	if v := q.Get("ssl_status"); v != "" {
		if !core.SSLStatus(v).Valid() {
			return lr, badParam("Unknown ssl_status " + strconv.Quote(clip(v)) + ".")
		}
		f.SSLStatus = core.SSLStatus(v)
	}
	if v := q.Get("hostname_status"); v != "" {
		if !core.HostnameStatus(v).Valid() {
			return lr, badParam("Unknown hostname_status " + strconv.Quote(clip(v)) + ".")
		}
		f.HostnameStatus = core.HostnameStatus(v)
	}
	f.CertificateAuthority = q.Get("certificate_authority")
	f.CustomOriginServer = q.Get("custom_origin_server")

	switch v := q.Get("order"); v {
	case "":
	case "ssl":
		lr.opts.Order = service.OrderSSL
	case "ssl_status":
		lr.opts.Order = service.OrderSSLStatus
	default:
		return lr, badParam("Unknown order " + strconv.Quote(clip(v)) + ": use ssl or ssl_status.")
	}
	switch v := strings.ToLower(q.Get("direction")); v {
	case "", "asc":
	case "desc":
		lr.opts.Desc = true
	default:
		return lr, badParam("direction must be asc or desc.")
	}
	return lr, nil
}

func badParam(msg string) error {
	return &cfError{Status: http.StatusBadRequest, Code: codeInvalidParam, Message: msg}
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "true":
		return true, true
	case "0", "false":
		return false, true
	}
	return false, false
}

func validNameFragment(v string) bool {
	if len(v) > 253 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || slices.Contains([]byte("-.*_"), c)) {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func (h *handler) listHostnames(w http.ResponseWriter, r *http.Request, zoneID string) error {
	lr, err := parseList(r.URL.Query())
	if err != nil {
		return err
	}
	list, err := h.svc.ListHostnames(r.Context(), zoneID, lr.opts)
	if err != nil {
		return err
	}
	items := make([]hostnameJSON, 0, len(list.Hostnames))
	for _, hn := range list.Hostnames {
		items = append(items, renderHostname(hn))
	}
	return writeList(w, items, resultInfo{
		Page:       lr.page,
		PerPage:    lr.perPage,
		Count:      len(items),
		TotalCount: list.Total,
		TotalPages: (list.Total + lr.perPage - 1) / lr.perPage,
	})
}
