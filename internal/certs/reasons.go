package certs

import "github.com/porticohq/portico/internal/core"

// Reasons of the errors ParseCustom returns, with the Cloudflare codes the
// Cloudflare dialect maps them to.
const (
	ReasonCertUnparseable  = "cert_unparseable"       // 1426
	ReasonCertEmpty        = "cert_empty"             // 1427
	ReasonKeyUnparseable   = "key_unparseable"        // 1428
	ReasonKeyMismatch      = "key_mismatch"           // 1429
	ReasonBundleFailed     = "bundle_failed"          // 1441
	ReasonMultipleLeaves   = "multiple_leaves"        // 1444
	ReasonNoLeaf           = "no_leaf"                // 1445
	ReasonHostnameMismatch = "cert_hostname_mismatch" // 1446
	ReasonUnsupportedSig   = "unsupported_signature"  // 1447
	ReasonBadBundleMethod  = "bad_bundle_method"      // 1449
	ReasonCertExpired      = "cert_expired"           // 1426, with Cloudflare's "expired" text
	ReasonCertNotYetValid  = "cert_not_yet_valid"     // 1426
)

// invalid builds the refusal ParseCustom returns. cause is the private error
// for logs; it must not contain key material either (x509 and pem errors do
// not quote their input).
func invalid(reason, public string, cause error) *core.Error {
	return &core.Error{Kind: core.KindInvalid, Reason: reason, Public: public, Err: cause}
}
