package webhookapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/webhook"
)

// apiError is an error the dialect decides itself (authentication,
// routing, query parameters), with its status.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return e.Message }

// errorBody is the dialect's error shape.
type errorBody struct {
	Message string `json:"message"`
}

const genericInternal = "Internal server error; retry later. Quote the X-Request-Id header if it persists."

// toReply maps an error to a status and a public message.
func toReply(err error) (int, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status, ae.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, "Service temporarily unavailable; retry later."
	}
	de := core.AsError(err)
	switch de.Kind {
	case core.KindInvalid:
		if de.Reason == api.ReasonBodyTooLarge {
			return http.StatusRequestEntityTooLarge, de.Public
		}
		return http.StatusBadRequest, de.Public
	case core.KindUnauthorized:
		return http.StatusUnauthorized, "Invalid API token."
	case core.KindForbidden:
		return http.StatusForbidden, de.Public
	case core.KindNotFound:
		if de.Reason == webhook.ReasonZoneNotFound {
			return http.StatusNotFound, "Account not found."
		}
		return http.StatusNotFound, de.Public
	case core.KindConflict:
		return http.StatusConflict, de.Public
	case core.KindUnavailable:
		return http.StatusServiceUnavailable, "Service temporarily unavailable; retry later."
	}
	return http.StatusInternalServerError, genericInternal
}

// writeError is the dialect's api.ErrorWriter: internal errors are logged
// with their private cause and the request id; the client sees a generic
// message.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := toReply(err)
	reqID := api.RequestID(r.Context())
	switch {
	case status >= 500 && errors.Is(err, context.Canceled):
		h.log.InfoContext(r.Context(), "request cancelled by the client", "request_id", reqID)
	case status >= 500:
		h.log.ErrorContext(r.Context(), "request failed", "request_id", reqID, "err", err)
	default:
		de := core.AsError(err)
		h.log.DebugContext(r.Context(), "request refused", "request_id", reqID, "status", status,
			"reason", de.Reason, "field", de.Field)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	if werr := api.WriteJSON(w, status, errorBody{Message: msg}); werr != nil {
		h.log.ErrorContext(r.Context(), "writing an error response", "request_id", reqID, "err", werr)
	}
}
