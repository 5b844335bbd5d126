package cfapi

import (
	"net/http"

	"github.com/porticohq/portico/internal/api"
)

// apiMessage is one entry of errors[] or messages[]. messages[] must hold
// objects, never strings: cloudflare-go v0 fails to decode a string entry.
type apiMessage struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// envelope is Cloudflare's response wrapper. errors and messages are always
// arrays (never null); result_info is present on lists only.
type envelope struct {
	Success    bool         `json:"success"`
	Errors     []apiMessage `json:"errors"`
	Messages   []apiMessage `json:"messages"`
	Result     any          `json:"result"`
	ResultInfo *resultInfo  `json:"result_info,omitempty"`
}

// resultInfo is the pagination block of a list. Clients stop paging in three
// different ways (empty result; page > total_pages; page >= total_pages), and
// these fields satisfy all of them when page echoes the request and
// total_pages is ceil(total_count/per_page).
type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

// deletedBody is the reply to a DELETE: Cloudflare's bare {"id":...} (which
// the generated clients decode at the top level) merged with the envelope
// (which the others expect).
type deletedBody struct {
	ID       string       `json:"id"`
	Success  bool         `json:"success"`
	Errors   []apiMessage `json:"errors"`
	Messages []apiMessage `json:"messages"`
	Result   idResult     `json:"result"`
}

type idResult struct {
	ID string `json:"id"`
}

func writeResult(w http.ResponseWriter, status int, result any) error {
	return api.WriteJSON(w, status, envelope{Success: true, Errors: []apiMessage{}, Messages: []apiMessage{}, Result: result})
}

func writeList(w http.ResponseWriter, result any, info resultInfo) error {
	return api.WriteJSON(w, http.StatusOK, envelope{Success: true, Errors: []apiMessage{}, Messages: []apiMessage{}, Result: result, ResultInfo: &info})
}

func writeDeleted(w http.ResponseWriter, id string) error {
	return api.WriteJSON(w, http.StatusOK, deletedBody{ID: id, Success: true, Errors: []apiMessage{}, Messages: []apiMessage{}, Result: idResult{ID: id}})
}
