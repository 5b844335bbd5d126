package scdapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

// The error codes, sent as error_code. The first four are the vendor's;
// the others name what Portico refuses beyond them.
const (
	codeHostTaken        = "host_taken"
	codeHostInvalid      = "host_invalid"
	codeHostBlank        = "host_blank"
	codeNotFound         = "not_found"
	codeUnauthorized     = "unauthorized"
	codeInvalidJSON      = "invalid_request_body"
	codeBodyTooLarge     = "request_body_too_large"
	codeInvalidParameter = "invalid_parameter"
	codeNoInstructions   = "instructions_email_unavailable"
	codeQuota            = "quota_exceeded"
	codeUpstreamInUse    = "upstream_in_use"
	codeConflict         = "conflict"
	codeMethodNotAllowed = "method_not_allowed"
	codeUnavailable      = "service_unavailable"
	codeInternal         = "internal_error"
)

// errorBody is the error shape: the vendor's error_code and a message.
type errorBody struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

// scdError is an error the dialect decides itself (authentication,
// routing, parameters): it carries its status and code.
type scdError struct {
	Status  int
	Code    string
	Message string
}

// Error returns the public message.
func (e *scdError) Error() string { return e.Message }

// notFound is the one answer for an object that does not exist or belongs
// to another account.
func notFound(what string) *scdError {
	return &scdError{Status: http.StatusNotFound, Code: codeNotFound, Message: what + " not found."}
}

func invalidParam(msg string) *scdError {
	return &scdError{Status: http.StatusUnprocessableEntity, Code: codeInvalidParameter, Message: msg}
}

// reasonCodes maps the reasons that have a code of their own; any other
// KindInvalid reason is invalid_parameter.
var reasonCodes = map[string]string{
	service.ReasonInvalidHostname:          codeHostInvalid,
	service.ReasonHostnameBlocked:          codeHostInvalid,
	service.ReasonInvalidUpstreamHost:      codeHostInvalid,
	service.ReasonCustomDomainHostRequired: codeHostBlank,
	service.ReasonUpstreamHostRequired:     codeHostBlank,
	service.ReasonInstructionsUnavailable:  codeNoInstructions,
	api.ReasonBadJSON:                      codeInvalidJSON,
}

const genericInternal = "Internal server error; retry later. Quote the X-Request-Id header if it persists."

// toReply maps an error to its status and body.
func toReply(err error) (int, errorBody) {
	var se *scdError
	if errors.As(err, &se) {
		return se.Status, errorBody{se.Code, se.Message}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, errorBody{codeUnavailable, "Service temporarily unavailable; retry later."}
	}
	de := core.AsError(err)
	msg := de.Public
	switch de.Kind {
	case core.KindInvalid:
		switch de.Reason {
		case api.ReasonBodyTooLarge:
			return http.StatusRequestEntityTooLarge, errorBody{codeBodyTooLarge, msg}
		case api.ReasonBadJSON:
			return http.StatusBadRequest, errorBody{codeInvalidJSON, msg}
		}
		code, ok := reasonCodes[de.Reason]
		if !ok {
			code = codeInvalidParameter
		}
		return http.StatusUnprocessableEntity, errorBody{code, msg}
	case core.KindUnauthorized:
		return http.StatusUnauthorized, errorBody{codeUnauthorized, "Invalid API token."}
	case core.KindForbidden:
		return http.StatusForbidden, errorBody{codeQuota, msg}
	case core.KindNotFound:
		switch de.Reason {
		case service.ReasonZoneNotFound:
			return http.StatusNotFound, errorBody{codeNotFound, "Account not found."}
		case service.ReasonUpstreamNotFound:
			return http.StatusNotFound, errorBody{codeNotFound, "Upstream not found."}
		}
		return http.StatusNotFound, errorBody{codeNotFound, "Custom domain not found."}
	case core.KindConflict:
		switch de.Reason {
		case service.ReasonDuplicateHostname, service.ReasonDuplicateUpstream:
			return http.StatusUnprocessableEntity, errorBody{codeHostTaken, msg}
		case service.ReasonUpstreamInUse:
			return http.StatusConflict, errorBody{codeUpstreamInUse, msg}
		}
		return http.StatusConflict, errorBody{codeConflict, msg}
	case core.KindUnavailable:
		return http.StatusServiceUnavailable, errorBody{codeUnavailable, "Service temporarily unavailable; retry later."}
	}
	return http.StatusInternalServerError, errorBody{codeInternal, genericInternal}
}

// writeError is the dialect's api.ErrorWriter: the only place errors
// become responses. Internal errors are logged with their private cause
// and the request id; the client sees a generic message.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := toReply(err)
	reqID := api.RequestID(r.Context())
	switch {
	case status >= 500 && errors.Is(err, context.Canceled):
		h.log.InfoContext(r.Context(), "request cancelled by the client", "request_id", reqID)
	case status >= 500:
		h.log.ErrorContext(r.Context(), "request failed", "request_id", reqID, "err", err)
	default:
		de := core.AsError(err)
		h.log.DebugContext(r.Context(), "request refused", slog.String("request_id", reqID),
			slog.String("error_code", body.ErrorCode), slog.String("reason", de.Reason), slog.String("field", de.Field))
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	if werr := api.WriteJSON(w, status, body); werr != nil {
		h.log.ErrorContext(r.Context(), "writing an error response", "request_id", reqID, "err", werr)
	}
}
