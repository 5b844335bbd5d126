package service

import (
	"slices"
	"strings"

	"github.com/porticohq/portico/internal/core"
)

// SSLInput is the ssl object of a create or edit request. Nil pointers are
// absent fields: on create they take the defaults, on edit they keep the
// stored value. An SSLInput with no field set (IsEmpty) counts as absent: v0
// clients send "ssl":{"settings":{}} as a matter of course.
type SSLInput struct {
	Method               *string // http | txt (email is refused)
	Type                 *string // dv
	Wildcard             *bool
	CertificateAuthority *string // lets_encrypt | google | ssl_com | digicert | ""
	BundleMethod         *string // ubiquitous | optimal | force
	Settings             *TLSSettingsInput
	// CustomCSRID is refused when non-empty: Portico has no custom CSRs.
	CustomCSRID *string
	// CustomCertificates are uploaded certificate/key pairs: one, or two
	// (one RSA and one ECDSA). The dialect maps custom_certificate +
	// custom_key and custom_cert_bundle here.
	CustomCertificates []CertKeyPair
}

// IsEmpty reports whether no field is set.
func (in *SSLInput) IsEmpty() bool {
	return in == nil || (in.Method == nil && in.Type == nil && in.Wildcard == nil &&
		in.CertificateAuthority == nil && in.BundleMethod == nil && in.Settings.IsEmpty() &&
		in.CustomCSRID == nil && len(in.CustomCertificates) == 0)
}

// TLSSettingsInput is ssl.settings. Nil pointers are absent; a nil Ciphers
// is absent and a non-nil empty one clears the list.
type TLSSettingsInput struct {
	MinTLSVersion *string // "1.0" .. "1.3"
	TLS13         *string // on | off
	HTTP2         *string // on | off
	EarlyHints    *string // on | off
	Ciphers       []string
}

// IsEmpty reports whether no setting is present.
func (in *TLSSettingsInput) IsEmpty() bool {
	return in == nil || (in.MinTLSVersion == nil && in.TLS13 == nil && in.HTTP2 == nil &&
		in.EarlyHints == nil && in.Ciphers == nil)
}

// CertKeyPair is one uploaded certificate chain (PEM) and its private key
// (PEM). Its String and GoString never print the key, so a stray %v in a log
// line cannot leak it.
type CertKeyPair struct {
	Certificate string
	Key         string
}

// String describes the pair without its key.
func (p CertKeyPair) String() string { return "CertKeyPair{Certificate, Key: [redacted]}" }

// GoString describes the pair without its key.
func (p CertKeyPair) GoString() string { return p.String() }

// KnownCiphers are the BoringSSL cipher names ssl.settings.ciphers accepts,
// the TLS 1.0–1.2 suites Cloudflare lists for custom hostnames. (TLS 1.3
// suites are not configurable.) The edge maps them to crypto/tls suites.
var KnownCiphers = []string{
	"ECDHE-ECDSA-AES128-GCM-SHA256",
	"ECDHE-ECDSA-CHACHA20-POLY1305",
	"ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-RSA-CHACHA20-POLY1305",
	"ECDHE-ECDSA-AES256-GCM-SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-AES128-SHA256",
	"ECDHE-RSA-AES128-SHA256",
	"ECDHE-ECDSA-AES256-SHA384",
	"ECDHE-RSA-AES256-SHA384",
	"ECDHE-ECDSA-AES128-SHA",
	"ECDHE-RSA-AES128-SHA",
	"ECDHE-ECDSA-AES256-SHA",
	"ECDHE-RSA-AES256-SHA",
	"AES128-GCM-SHA256",
	"AES256-GCM-SHA384",
	"AES128-SHA256",
	"AES256-SHA256",
	"AES128-SHA",
	"AES256-SHA",
	"DES-CBC3-SHA",
}

// certificateAuthorities are the accepted ssl.certificate_authority values.
// "" means Portico's default CA; mapping each name to a CA is the ACME
// engine's job.
var certificateAuthorities = []string{"", "lets_encrypt", "google", "ssl_com", "digicert"}

// checkCA refuses a certificate authority no CA is configured for.
func (s *Service) checkCA(ca string) error {
	if ca == "" || s.cfg.CertificateAuthorities == nil || slices.Contains(s.cfg.CertificateAuthorities, ca) {
		return nil
	}
	return invalid(ReasonInvalidCA, "ssl.certificate_authority",
		"The certificate authority %s is not configured on this Portico; use one of: %s.", ca,
		strings.Join(s.cfg.CertificateAuthorities, ", "))
}

// defaultSSL is the ssl configuration of a new hostname before the request's
// fields apply. A wildcard hostname defaults to txt: a CA validates a
// wildcard only through DNS.
func defaultSSL(wildcardName bool) core.SSL {
	m := core.DCVHTTP
	if wildcardName {
		m = core.DCVTXT
	}
	return core.SSL{Type: "dv", Method: m, BundleMethod: core.BundleUbiquitous, Status: core.SSLInitializing}
}

// applySSL returns base with in's fields applied, validated as a whole. The
// zone and whether the hostname is a wildcard decide what wildcards are
// allowed. methodDefaulted reports that base's method is a default rather
// than a choice: a defaulted http quietly becomes txt when ssl.wildcard is
// asked for, a chosen one is refused.
func applySSL(base core.SSL, in *SSLInput, wildcardName bool, zone core.Zone, methodDefaulted bool) (core.SSL, error) {
	out := base
	out.Settings.Ciphers = slices.Clone(base.Settings.Ciphers)
	if in == nil {
		in = &SSLInput{}
	}
	if in.Method != nil {
		switch m := core.DCVMethod(strings.ToLower(*in.Method)); m {
		case core.DCVHTTP, core.DCVTXT:
			out.Method = m
			methodDefaulted = false
		case core.DCVEmail:
			return out, invalid(ReasonMethodEmailUnsupported, "ssl.method",
				"Portico does not support email domain control validation; use method http or txt.")
		default:
			return out, invalid(ReasonInvalidMethod, "ssl.method",
				"Invalid ssl.method %q: use http or txt.", clipInput(*in.Method))
		}
	}
	if in.Type != nil {
		if t := strings.ToLower(*in.Type); t != "dv" {
			return out, invalid(ReasonInvalidType, "ssl.type", "Invalid ssl.type %q: only dv (domain validation) is supported.", clipInput(*in.Type))
		}
		out.Type = "dv"
	}
	if in.Wildcard != nil {
		out.Wildcard = *in.Wildcard
	}
	if in.CertificateAuthority != nil {
		ca := strings.ToLower(*in.CertificateAuthority)
		if !slices.Contains(certificateAuthorities, ca) {
			return out, invalid(ReasonInvalidCA, "ssl.certificate_authority",
				"Invalid ssl.certificate_authority %q: use lets_encrypt, google, ssl_com or digicert.", clipInput(*in.CertificateAuthority))
		}
		out.CertificateAuthority = ca
	}
	if in.BundleMethod != nil {
		switch b := core.BundleMethod(strings.ToLower(*in.BundleMethod)); b {
		case core.BundleUbiquitous, core.BundleOptimal, core.BundleForce:
			out.BundleMethod = b
		default:
			return out, invalid(ReasonInvalidBundleMethod, "ssl.bundle_method",
				"Invalid ssl.bundle_method %q: use ubiquitous, optimal or force.", clipInput(*in.BundleMethod))
		}
	}
	if in.CustomCSRID != nil && *in.CustomCSRID != "" {
		return out, invalid(ReasonCustomCSRUnsupported, "ssl.custom_csr_id",
			"Portico does not support custom CSRs; upload the certificate and key instead.")
	}
	if err := applySettings(&out.Settings, in.Settings); err != nil {
		return out, err
	}

	if out.Wildcard && zone.NoWildcards {
		return out, invalid(ReasonWildcardNotAllowed, "ssl.wildcard", "Wildcard certificates are not enabled for this zone.")
	}
	if out.Wildcard || wildcardName {
		if out.Method != core.DCVTXT {
			if !methodDefaulted {
				return out, invalid(ReasonWildcardRequiresTXT, "ssl.method",
					"A wildcard certificate can only be validated through DNS: use ssl.method txt.")
			}
			out.Method = core.DCVTXT
		}
	}
	return out, nil
}

// applySettings merges in into s and validates the result.
func applySettings(s *core.TLSSettings, in *TLSSettingsInput) error {
	if in != nil {
		if in.MinTLSVersion != nil {
			switch v := *in.MinTLSVersion; v {
			case "", "1.0", "1.1", "1.2", "1.3":
				s.MinTLSVersion = v
			default:
				return invalid(ReasonInvalidMinTLSVersion, "ssl.settings.min_tls_version",
					"Invalid ssl.settings.min_tls_version %q: use 1.0, 1.1, 1.2 or 1.3.", clipInput(v))
			}
		}
		for _, f := range []struct {
			in     *string
			out    *string
			field  string
			reason string
		}{
			{in.TLS13, &s.TLS13, "tls_1_3", ReasonInvalidTLS13},
			{in.HTTP2, &s.HTTP2, "http2", ReasonInvalidHTTP2},
			{in.EarlyHints, &s.EarlyHints, "early_hints", ReasonInvalidEarlyHints},
		} {
			if f.in == nil {
				continue
			}
			v := strings.ToLower(*f.in)
			if v != "" && v != "on" && v != "off" {
				return invalid(f.reason, "ssl.settings."+f.field, "Invalid ssl.settings.%s %q: use on or off.", f.field, clipInput(*f.in))
			}
			*f.out = v
		}
		if in.Ciphers != nil {
			ciphers := make([]string, 0, len(in.Ciphers))
			for _, c := range in.Ciphers {
				if !slices.Contains(KnownCiphers, c) {
					return invalid(ReasonInvalidCiphers, "ssl.settings.ciphers",
						"Unsupported cipher %q in ssl.settings.ciphers: use BoringSSL names such as ECDHE-RSA-AES128-GCM-SHA256.", clipInput(c))
				}
				if !slices.Contains(ciphers, c) {
					ciphers = append(ciphers, c)
				}
			}
			s.Ciphers = ciphers
		}
	}
	if s.MinTLSVersion == "1.3" && len(s.Ciphers) > 0 {
		return invalid(ReasonCiphersWithTLS13, "ssl.settings.ciphers",
			"Cipher suites cannot be configured when the minimum TLS version is 1.3.")
	}
	if s.MinTLSVersion == "1.3" && s.TLS13 == "off" {
		return invalid(ReasonInvalidTLS13, "ssl.settings.tls_1_3",
			"ssl.settings.tls_1_3 cannot be off when the minimum TLS version is 1.3.")
	}
	return nil
}

// sameSSLConfig reports whether two ssl configurations are equal in every
// field a client can set; status, records and certificates are not config.
func sameSSLConfig(a, b core.SSL) bool {
	return a.Type == b.Type && a.Method == b.Method && a.Wildcard == b.Wildcard &&
		a.CertificateAuthority == b.CertificateAuthority && a.BundleMethod == b.BundleMethod &&
		a.Settings.MinTLSVersion == b.Settings.MinTLSVersion && a.Settings.TLS13 == b.Settings.TLS13 &&
		a.Settings.HTTP2 == b.Settings.HTTP2 && a.Settings.EarlyHints == b.Settings.EarlyHints &&
		slices.Equal(a.Settings.Ciphers, b.Settings.Ciphers)
}

// clipInput shortens a client value echoed in an error message.
func clipInput(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
