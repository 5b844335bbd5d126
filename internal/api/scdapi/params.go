package scdapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/core"
)

// params are a request body's fields, from JSON or from a form. The
// vendor's own examples send forms (curl -d host=...), JSON clients send
// objects; both work, with the same field names. Unknown fields are
// ignored, as the Cloudflare dialect ignores them.
type params struct {
	json map[string]json.RawMessage
	form url.Values
}

// readParams reads r's body, at most api.MaxBodyBytes: a form when the
// Content-Type says application/x-www-form-urlencoded, else JSON (an empty
// body is no fields).
func readParams(w http.ResponseWriter, r *http.Request) (params, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxBodyBytes))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return params{}, &core.Error{Kind: core.KindInvalid, Reason: api.ReasonBodyTooLarge, Err: err,
				Public: fmt.Sprintf("The request body is larger than %d bytes.", api.MaxBodyBytes)}
		}
		if err != nil {
			return params{}, fmt.Errorf("reading the request body: %w", err)
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return params{}, &core.Error{Kind: core.KindInvalid, Reason: api.ReasonBadJSON, Err: err,
				Public: "Unable to decode the form request body: it is not valid application/x-www-form-urlencoded."}
		}
		return params{form: form}, nil
	case "multipart/form-data":
		return params{}, &core.Error{Kind: core.KindInvalid, Reason: api.ReasonBadJSON,
			Public: "Send the fields as JSON or as application/x-www-form-urlencoded (curl -d), not multipart/form-data."}
	}
	var m map[string]json.RawMessage
	if err := api.DecodeJSON(w, r, &m); err != nil {
		return params{}, err
	}
	return params{json: m}, nil
}

// raw returns the field's value as text and whether it was a JSON string
// (or a form value); ok is false when the field is absent or JSON null.
func (p params) raw(name string) (v string, quoted, ok bool) {
	if p.form != nil {
		vs, ok := p.form[name]
		if !ok || len(vs) == 0 {
			return "", false, false
		}
		return vs[0], true, true
	}
	rm, ok := p.json[name]
	if !ok || bytes.Equal(bytes.TrimSpace(rm), []byte("null")) {
		return "", false, false
	}
	var s string
	if err := json.Unmarshal(rm, &s); err == nil {
		return s, true, true
	}
	return string(bytes.TrimSpace(rm)), false, true
}

// str returns a string field; nil when absent. A JSON value that is not
// a string is refused.
func (p params) str(name string) (*string, error) {
	v, quoted, ok := p.raw(name)
	if !ok {
		return nil, nil
	}
	if !quoted {
		return nil, invalidParam(name + " must be a string.")
	}
	return &v, nil
}

// boolean returns a boolean field: JSON true/false, or the text true,
// false, 1 or 0 (what forms send); nil when absent.
func (p params) boolean(name string) (*bool, error) {
	v, _, ok := p.raw(name)
	if !ok {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1":
		b := true
		return &b, nil
	case "false", "0":
		b := false
		return &b, nil
	}
	return nil, invalidParam(name + " must be true or false.")
}

// integer returns an integer field: a JSON number or decimal text; nil
// when absent.
func (p params) integer(name string) (*int, error) {
	v, _, ok := p.raw(name)
	if !ok {
		return nil, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return nil, invalidParam(name + " must be an integer.")
	}
	return &n, nil
}

// Paging: the vendor's defaults, and a cap that keeps a page cheap.
const (
	defaultPerPage = 20
	maxPerPage     = 100
	maxPage        = 10_000_000
)

// paging reads page and per_page from the query string. page defaults to
// 1 (values below 1 mean 1); per_page defaults to 20, must be at least 1,
// and is capped at 100.
func paging(r *http.Request) (page, perPage int, err error) {
	q := r.URL.Query()
	page, perPage = 1, defaultPerPage
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, invalidParam("page must be an integer.")
		}
		page = min(max(n, 1), maxPage)
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, invalidParam("per_page must be an integer of at least 1.")
		}
		perPage = min(n, maxPerPage)
	}
	return page, perPage, nil
}
