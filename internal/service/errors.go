package service

import (
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/store"
)

// Reasons of the errors the service returns (core.Error.Reason). They are
// stable: the dialects map them to their own codes. Errors from package certs
// keep that package's reasons (cert_unparseable, key_mismatch, ...).
const (
	// Lookups.
	ReasonZoneNotFound           = "zone_not_found"
	ReasonHostnameNotFound       = "hostname_not_found"
	ReasonCertificateNotFound    = "certificate_not_found"
	ReasonFallbackOriginNotFound = "fallback_origin_not_found"

	// Authentication: every credential failure has this one reason, so that
	// a caller learns nothing about which part was wrong.
	ReasonUnauthorized = "unauthorized"

	// Names. The *dnsname.Error with the precise rule is in the chain (Err).
	ReasonInvalidZoneName     = "invalid_zone_name"
	ReasonInvalidCNAMETarget  = "invalid_cname_target"
	ReasonInvalidHostname     = "invalid_hostname"
	ReasonDuplicateHostname   = "duplicate_hostname"
	ReasonHostnameBlocked     = "hostname_blocked" // the operator's blocklist covers the name
	ReasonHostnameImmutable   = "hostname_immutable"
	ReasonInvalidOrigin       = "invalid_custom_origin_server"
	ReasonInvalidOriginSNI    = "invalid_custom_origin_sni"
	ReasonInvalidFallback     = "invalid_fallback_origin"
	ReasonInvalidMetadata     = "invalid_custom_metadata"
	ReasonMetadataTooLarge    = "custom_metadata_too_large"
	ReasonMetadataOnWildcard  = "custom_metadata_on_wildcard"
	ReasonQuotaExceeded       = "quota_exceeded"
	ReasonConcurrentUpdate    = "concurrent_update"
	ReasonIllegalStatusChange = "illegal_status_change"

	// The ssl object.
	ReasonInvalidMethod          = "invalid_method"
	ReasonMethodEmailUnsupported = "method_email_unsupported"
	ReasonInvalidType            = "invalid_type"
	ReasonWildcardRequiresTXT    = "wildcard_requires_txt"
	ReasonWildcardNotAllowed     = "wildcard_not_allowed"
	ReasonInvalidCA              = "invalid_certificate_authority"
	ReasonInvalidBundleMethod    = "bad_bundle_method" // same spelling as package certs
	ReasonInvalidMinTLSVersion   = "invalid_min_tls_version"
	ReasonInvalidTLS13           = "invalid_tls_1_3"
	ReasonInvalidHTTP2           = "invalid_http2"
	ReasonInvalidEarlyHints      = "invalid_early_hints"
	ReasonInvalidCiphers         = "invalid_ciphers"
	ReasonCiphersWithTLS13       = "ciphers_with_min_tls_1_3"
	ReasonCustomCSRUnsupported   = "custom_csr_unsupported"
	ReasonInvalidCertBundle      = "invalid_cert_bundle"
	ReasonCertificateNotCustom   = "certificate_not_custom"
	ReasonLastCertificate        = "last_certificate"
	ReasonSSLStateConflict       = "ssl_state_conflict"
	ReasonInvalidListQuery       = "invalid_list_query"
)

func invalid(reason, field, format string, args ...any) *core.Error {
	e := core.Errorf(core.KindInvalid, reason, format, args...)
	e.Field = field
	return e
}

// nameError wraps a dnsname refusal. The public text is dnsname's one-line
// message (quoted input, rule, reason code, hint); the *dnsname.Error stays
// in the chain so that a dialect can pick a code per rule.
func nameError(reason, field string, err error) error {
	var de *dnsname.Error
	if !errors.As(err, &de) {
		return fmt.Errorf("parsing %s: %w", field, err)
	}
	public := de.Error()
	if field != "hostname" {
		public = field + ": " + public // dnsname's text says "invalid hostname" for origins too
	}
	return &core.Error{Kind: core.KindInvalid, Reason: reason, Field: field, Public: public, Err: de}
}

// NameErrorReason returns the dnsname rule (e.g. "trailing_dot") behind a
// hostname or origin refusal, or "" when err carries none.
func NameErrorReason(err error) string {
	var de *dnsname.Error
	if errors.As(err, &de) {
		return de.Reason
	}
	return ""
}

// storeError turns a store failure into a domain error: ErrNotFound becomes
// KindNotFound with notFound as the reason, ErrConflict a duplicate hostname,
// ErrStale a retryable conflict; anything else is internal, wrapped with op.
func storeError(err error, op, notFound string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return &core.Error{Kind: core.KindNotFound, Reason: notFound, Public: notFoundText(notFound), Err: err}
	case errors.Is(err, store.ErrConflict):
		return &core.Error{Kind: core.KindConflict, Reason: ReasonDuplicateHostname,
			Public: "Duplicate custom hostname found.", Err: err}
	case errors.Is(err, store.ErrStale):
		return &core.Error{Kind: core.KindConflict, Reason: ReasonConcurrentUpdate,
			Public: "The custom hostname changed while this request was processed; retry it.", Err: err}
	default:
		var ce *core.Error
		if errors.As(err, &ce) {
			return err
		}
		return fmt.Errorf("%s: %w", op, err)
	}
}

func notFoundText(reason string) string {
	switch reason {
	case ReasonZoneNotFound:
		return "Zone not found."
	case ReasonHostnameNotFound:
		return "The custom hostname was not found."
	case ReasonCertificateNotFound:
		return "The certificate was not found."
	case ReasonFallbackOriginNotFound:
		return "No fallback origin is set for this zone."
	}
	return "Not found."
}
