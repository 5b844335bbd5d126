package cfapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/porticohq/portico/internal/api"
	"github.com/porticohq/portico/internal/certs"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/service"
)

// Cloudflare error codes this dialect sends (reference/status-codes/custom-
// hostnames, plus the generic routing codes of the v4 API).
const (
	codeAuth             = 1000 // bad credentials (401)
	codeBadJSON          = 1400
	codeBadMetadata      = 1401
	codeNoAuth           = 1403 // no credentials at all (400)
	codeQuota            = 1405 // quota exceeded (403)
	codeDuplicate        = 1406 // 409; clients reconcile with a GET
	codeInvalidHostname  = 1407
	codeNonASCII         = 1408
	codeReservedTLD      = 1409
	codePublicSuffix     = 1410
	codeExampleDomain    = 1411
	codeMetadataWildcard = 1412
	codeOriginInvalid    = 1415
	codeOriginNonASCII   = 1416
	codeOriginReserved   = 1417
	codeOriginSuffix     = 1418
	codeOriginExample    = 1419
	codeOriginWildcard   = 1420
	codeHTTP2            = 1422
	codeTLS13            = 1424
	codeMinTLS           = 1425
	codeCertUnparseable  = 1426
	codeCertEmpty        = 1427
	codeKeyUnparseable   = 1428
	codeKeyMismatch      = 1429
	codeCSR              = 1430
	codeMethod           = 1432
	codeType             = 1433
	codeSSLAttribute     = 1434 // also Portico's code for other refused attributes and parameters
	codeHostnameID       = 1435
	codeNotFound         = 1436 // 404; clients treat it as "already gone"
	codeBadContain       = 1437
	codeIDWithFilters    = 1438
	codeImmutable        = 1439 // 409
	codeBundleFailed     = 1441
	codeCiphers          = 1442
	codeCiphersTLS13     = 1443
	codeMultipleLeaves   = 1444
	codeNoLeaf           = 1445
	codeCertHostname     = 1446
	codeSignature        = 1447
	codeWildcard         = 1448
	codeBundleMethod     = 1449
	codeInternal         = 1500
	codeFallbackNotFound = 1551 // 404, as Cloudflare answers a zone without a fallback origin
	codeNoRoute          = 7000 // 404 for an unknown path
	codeMethodNotAllowed = 7001 // 405
	codeZoneNotFound     = 7003 // 404: unknown zone, or not this token's
)

// cfError is an error the dialect decides itself (authentication, routing,
// query parameters): it carries its status and code.
type cfError struct {
	Status  int
	Code    int
	Message string
}

// Error returns the public message.
func (e *cfError) Error() string { return e.Message }

// reasonCodes maps KindInvalid reasons to codes; the status is 400.
var reasonCodes = map[string]int{
	api.ReasonBadJSON:                    codeBadJSON,
	api.ReasonBodyTooLarge:               codeBadJSON,
	service.ReasonHostnameBlocked:        codeInvalidHostname, // 1407, "blocked" in the message
	service.ReasonInvalidMetadata:        codeBadMetadata,
	service.ReasonMetadataTooLarge:       codeBadMetadata,
	service.ReasonMetadataOnWildcard:     codeMetadataWildcard,
	service.ReasonInvalidOriginSNI:       codeOriginInvalid,
	service.ReasonInvalidHTTP2:           codeHTTP2,
	service.ReasonInvalidTLS13:           codeTLS13,
	service.ReasonInvalidMinTLSVersion:   codeMinTLS,
	service.ReasonInvalidEarlyHints:      codeSSLAttribute,
	service.ReasonInvalidCiphers:         codeCiphers,
	service.ReasonCiphersWithTLS13:       codeCiphersTLS13,
	service.ReasonCustomCSRUnsupported:   codeCSR,
	service.ReasonInvalidMethod:          codeMethod,
	service.ReasonMethodEmailUnsupported: codeMethod,
	service.ReasonInvalidType:            codeType,
	service.ReasonWildcardRequiresTXT:    codeWildcard,
	service.ReasonWildcardNotAllowed:     codeWildcard,
	service.ReasonInvalidCA:              codeSSLAttribute,
	service.ReasonInvalidCertBundle:      codeSSLAttribute,
	service.ReasonCertificateNotCustom:   codeSSLAttribute,
	service.ReasonLastCertificate:        codeSSLAttribute,
	service.ReasonInvalidListQuery:       codeSSLAttribute,
	service.ReasonInvalidBundleMethod:    codeBundleMethod, // == certs.ReasonBadBundleMethod
	certs.ReasonCertUnparseable:          codeCertUnparseable,
	certs.ReasonCertExpired:              codeCertUnparseable,
	certs.ReasonCertNotYetValid:          codeCertUnparseable,
	certs.ReasonCertEmpty:                codeCertEmpty,
	certs.ReasonKeyUnparseable:           codeKeyUnparseable,
	certs.ReasonKeyMismatch:              codeKeyMismatch,
	certs.ReasonBundleFailed:             codeBundleFailed,
	certs.ReasonMultipleLeaves:           codeMultipleLeaves,
	certs.ReasonNoLeaf:                   codeNoLeaf,
	certs.ReasonHostnameMismatch:         codeCertHostname,
	certs.ReasonUnsupportedSig:           codeSignature,
}

// hostnameCode maps a dnsname rule to the 1407–1411 family.
func hostnameCode(rule string) int {
	switch rule {
	case dnsname.ReasonNonASCII, dnsname.ReasonNonASCIIInvalidIDN:
		return codeNonASCII
	case dnsname.ReasonReservedTLD:
		return codeReservedTLD
	case dnsname.ReasonUnknownTLD, dnsname.ReasonIsPublicSuffix, dnsname.ReasonWildcardOnPublicSuffix:
		return codePublicSuffix
	case dnsname.ReasonReservedDomain:
		return codeExampleDomain
	case dnsname.ReasonWildcardNotAllowed:
		return codeWildcard
	}
	return codeInvalidHostname
}

// originCode maps a dnsname rule to the 1415–1420 family. ParseOrigin is
// looser than Parse (origins may sit under private TLDs such as .internal or
// .test), so 1417–1419 only come from rules it may add later.
func originCode(rule string) int {
	switch rule {
	case dnsname.ReasonNonASCII, dnsname.ReasonNonASCIIInvalidIDN:
		return codeOriginNonASCII
	case dnsname.ReasonReservedTLD:
		return codeOriginReserved
	case dnsname.ReasonUnknownTLD, dnsname.ReasonIsPublicSuffix:
		return codeOriginSuffix
	case dnsname.ReasonReservedDomain:
		return codeOriginExample
	case dnsname.ReasonBadWildcard, dnsname.ReasonWildcardNotAllowed, dnsname.ReasonWildcardOnPublicSuffix:
		return codeOriginWildcard
	}
	return codeOriginInvalid
}

// reply is how an error goes on the wire.
type reply struct {
	status  int
	code    int
	message string
	// retryable errors may succeed if sent again; every other 4xx carries
	// x-should-retry: false, or the generated clients resend it up to ten
	// times (observed for a 409 duplicate).
	retryable bool
}

const genericInternal = "Internal server error; retry later. Quote the request id if it persists."

// toReply maps an error to its Cloudflare form.
func toReply(err error) reply {
	var ce *cfError
	if errors.As(err, &ce) {
		return reply{status: ce.Status, code: ce.Code, message: ce.Message}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// The database did not answer in time: a retry may well succeed.
		return reply{status: http.StatusServiceUnavailable, code: codeInternal,
			message: "Service temporarily unavailable; retry later.", retryable: true}
	}
	de := core.AsError(err)
	msg := de.Public
	switch de.Kind {
	case core.KindInvalid:
		if msg == "" {
			msg = "Invalid request."
		}
		switch de.Reason {
		case service.ReasonInvalidHostname:
			return reply{status: http.StatusBadRequest, code: hostnameCode(service.NameErrorReason(err)), message: msg}
		case service.ReasonInvalidOrigin, service.ReasonInvalidFallback:
			code := originCode(service.NameErrorReason(err))
			var de *dnsname.Error
			if code == codeOriginInvalid && errors.As(err, &de) && strings.Contains(de.Input, "*") {
				code = codeOriginWildcard // ParseOrigin calls '*' just another bad character
			}
			return reply{status: http.StatusBadRequest, code: code, message: msg}
		case api.ReasonBodyTooLarge:
			return reply{status: http.StatusRequestEntityTooLarge, code: codeBadJSON, message: msg}
		}
		code, ok := reasonCodes[de.Reason]
		if !ok {
			code = codeSSLAttribute
		}
		return reply{status: http.StatusBadRequest, code: code, message: msg}
	case core.KindUnauthorized:
		return reply{status: http.StatusUnauthorized, code: codeAuth, message: "Invalid API token."}
	case core.KindForbidden:
		return reply{status: http.StatusForbidden, code: codeQuota, message: msg}
	case core.KindNotFound:
		switch de.Reason {
		case service.ReasonZoneNotFound:
			return zoneNotFound()
		case service.ReasonFallbackOriginNotFound:
			return reply{status: http.StatusNotFound, code: codeFallbackNotFound, message: msg}
		}
		if msg == "" {
			msg = "The custom hostname was not found."
		}
		return reply{status: http.StatusNotFound, code: codeNotFound, message: msg}
	case core.KindConflict:
		switch de.Reason {
		case service.ReasonDuplicateHostname:
			return reply{status: http.StatusConflict, code: codeDuplicate, message: "Duplicate custom hostname found."}
		case service.ReasonHostnameImmutable:
			return reply{status: http.StatusConflict, code: codeImmutable, message: msg}
		case service.ReasonConcurrentUpdate:
			return reply{status: http.StatusConflict, code: codeSSLAttribute, message: msg, retryable: true}
		}
		return reply{status: http.StatusConflict, code: codeSSLAttribute, message: msg}
	case core.KindUnavailable:
		return reply{status: http.StatusServiceUnavailable, code: codeInternal,
			message: "Service temporarily unavailable; retry later.", retryable: true}
	}
	return reply{status: http.StatusInternalServerError, code: codeInternal, message: genericInternal, retryable: true}
}

func zoneNotFound() reply {
	// The same answer for a zone that does not exist and for one the token
	// may not see: a tenant cannot probe other tenants' zone ids.
	return reply{status: http.StatusNotFound, code: codeZoneNotFound,
		message: "Could not route to this zone: the zone id is unknown or not accessible with this token."}
}

// writeError is the dialect's api.ErrorWriter: the only place errors become
// responses. Internal errors are logged with their private cause and the
// request id; the client sees a generic message.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	rep := toReply(err)
	reqID := api.RequestID(r.Context())
	switch {
	case rep.status >= 500 && errors.Is(err, context.Canceled):
		h.log.InfoContext(r.Context(), "request cancelled by the client", "request_id", reqID)
	case rep.status >= 500:
		h.log.ErrorContext(r.Context(), "request failed", "request_id", reqID, "err", err)
	default:
		de := core.AsError(err)
		h.log.DebugContext(r.Context(), "request refused", slog.String("request_id", reqID),
			slog.Int("code", rep.code), slog.String("reason", de.Reason), slog.String("field", de.Field))
	}
	hdr := w.Header()
	if rep.status >= 400 && rep.status < 500 && !rep.retryable {
		hdr.Set("x-should-retry", "false")
	}
	if rep.status == http.StatusTooManyRequests || rep.status == http.StatusServiceUnavailable {
		hdr.Set("Retry-After", "5")
	}
	body := envelope{
		Success:  false,
		Errors:   []apiMessage{{Code: rep.code, Message: rep.message}},
		Messages: []apiMessage{},
		Result:   nil,
	}
	if werr := api.WriteJSON(w, rep.status, body); werr != nil {
		h.log.ErrorContext(r.Context(), "writing an error response", "request_id", reqID, "err", werr)
	}
}
