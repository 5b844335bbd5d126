package cfapi

import (
	"encoding/json"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

// The types below are the only shapes this dialect puts on the wire. They
// list their fields one by one (an allow-list): no domain struct is ever
// marshalled directly, so a field added to core (a sealed key, an ownership
// secret of another kind) cannot leak by accident. There is deliberately no
// custom_key field anywhere.

type hostnameJSON struct {
	ID                        string            `json:"id"`
	Hostname                  string            `json:"hostname"`
	CreatedAt                 string            `json:"created_at"`
	Status                    string            `json:"status"`
	VerificationErrors        []string          `json:"verification_errors"`
	OwnershipVerification     ownershipTXTJSON  `json:"ownership_verification"`
	OwnershipVerificationHTTP ownershipHTTPJSON `json:"ownership_verification_http"`
	CustomOriginServer        string            `json:"custom_origin_server,omitempty"`
	CustomOriginSNI           string            `json:"custom_origin_sni,omitempty"`
	CustomMetadata            json.RawMessage   `json:"custom_metadata,omitempty"`
	SSL                       sslJSON           `json:"ssl"`
}

type ownershipTXTJSON struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

type ownershipHTTPJSON struct {
	HTTPURL  string `json:"http_url"`
	HTTPBody string `json:"http_body"`
}

type sslJSON struct {
	ID                   string            `json:"id"`
	Type                 string            `json:"type"`
	Method               string            `json:"method"`
	Status               string            `json:"status"`
	Wildcard             bool              `json:"wildcard"`
	CertificateAuthority string            `json:"certificate_authority,omitempty"`
	BundleMethod         string            `json:"bundle_method"`
	Settings             settingsJSON      `json:"settings"`
	ValidationRecords    []recordJSON      `json:"validation_records"`
	DCVDelegationRecords []recordJSON      `json:"dcv_delegation_records"`
	ValidationErrors     []messageJSON     `json:"validation_errors"`
	Certificates         []certificateJSON `json:"certificates"`
	// The active uploaded certificate, at ssl top level as Cloudflare shows it.
	CustomCertificate string   `json:"custom_certificate,omitempty"`
	Issuer            string   `json:"issuer,omitempty"`
	SerialNumber      string   `json:"serial_number,omitempty"`
	Signature         string   `json:"signature,omitempty"`
	Hosts             []string `json:"hosts,omitempty"`
	ExpiresOn         string   `json:"expires_on,omitempty"`
	UploadedOn        string   `json:"uploaded_on,omitempty"`
	// The first validation record mirrored at top level: cloudflare-go v0
	// still reads these deprecated fields (SSLValidationRecord embedded).
	TXTName     string `json:"txt_name,omitempty"`
	TXTValue    string `json:"txt_value,omitempty"`
	HTTPURL     string `json:"http_url,omitempty"`
	HTTPBody    string `json:"http_body,omitempty"`
	CNAME       string `json:"cname,omitempty"`
	CNAMETarget string `json:"cname_target,omitempty"`
}

type settingsJSON struct {
	MinTLSVersion string   `json:"min_tls_version,omitempty"`
	TLS13         string   `json:"tls_1_3,omitempty"`
	HTTP2         string   `json:"http2,omitempty"`
	EarlyHints    string   `json:"early_hints,omitempty"`
	Ciphers       []string `json:"ciphers,omitempty"`
}

type recordJSON struct {
	TXTName     string   `json:"txt_name,omitempty"`
	TXTValue    string   `json:"txt_value,omitempty"`
	HTTPURL     string   `json:"http_url,omitempty"`
	HTTPBody    string   `json:"http_body,omitempty"`
	CNAME       string   `json:"cname,omitempty"`
	CNAMETarget string   `json:"cname_target,omitempty"`
	Emails      []string `json:"emails,omitempty"`
	Status      string   `json:"status,omitempty"`
}

type messageJSON struct {
	Message string `json:"message"`
}

type certificateJSON struct {
	ID                string `json:"id"`
	Issuer            string `json:"issuer"`
	SerialNumber      string `json:"serial_number"`
	Signature         string `json:"signature"`
	ExpiresOn         string `json:"expires_on,omitempty"`
	IssuedOn          string `json:"issued_on,omitempty"`
	FingerprintSHA256 string `json:"fingerprint_sha256"`
}

type fallbackJSON struct {
	Origin    string   `json:"origin"`
	Status    string   `json:"status"`
	Errors    []string `json:"errors"`
	CreatedAt string   `json:"created_at,omitempty"`
	UpdatedAt string   `json:"updated_at,omitempty"`
}

type quotaJSON struct {
	Allocated int  `json:"allocated"`
	Used      int  `json:"used"`
	Exceeded  bool `json:"exceeded"`
	HardCap   int  `json:"hard_cap"`
}

// timeLayout is RFC 3339 in UTC with microseconds, the form of Cloudflare's
// examples ("2020-02-06T18:11:23.531995Z").
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func renderHostname(h core.Hostname) hostnameJSON {
	out := hostnameJSON{
		ID:                 h.ID,
		Hostname:           h.Name,
		CreatedAt:          formatTime(h.CreatedAt),
		Status:             string(h.Status),
		VerificationErrors: nonNil(h.VerificationErrors),
		OwnershipVerification: ownershipTXTJSON{
			Type: "txt", Name: h.OwnershipTXTName(), Value: h.OwnershipToken,
		},
		OwnershipVerificationHTTP: ownershipHTTPJSON{
			HTTPURL: h.OwnershipHTTPURL(), HTTPBody: h.OwnershipToken,
		},
		CustomOriginServer: h.CustomOriginServer,
		CustomOriginSNI:    h.CustomOriginSNI,
		SSL:                renderSSL(h.SSL),
	}
	if len(h.CustomMetadata) > 0 && json.Valid(h.CustomMetadata) {
		out.CustomMetadata = h.CustomMetadata
	}
	return out
}

func renderSSL(s core.SSL) sslJSON {
	out := sslJSON{
		ID:                   s.ID,
		Type:                 s.Type,
		Method:               string(s.Method),
		Status:               string(s.Status),
		Wildcard:             s.Wildcard,
		CertificateAuthority: s.CertificateAuthority,
		BundleMethod:         string(s.BundleMethod),
		Settings: settingsJSON{
			MinTLSVersion: s.Settings.MinTLSVersion,
			TLS13:         s.Settings.TLS13,
			HTTP2:         s.Settings.HTTP2,
			EarlyHints:    s.Settings.EarlyHints,
			Ciphers:       s.Settings.Ciphers,
		},
		ValidationRecords:    renderRecords(s.ValidationRecords),
		DCVDelegationRecords: renderRecords(s.DCVDelegation),
		ValidationErrors:     make([]messageJSON, 0, len(s.ValidationErrors)),
		Certificates:         make([]certificateJSON, 0, len(s.Certificates)),
	}
	if out.Type == "" {
		out.Type = "dv"
	}
	for _, m := range s.ValidationErrors {
		out.ValidationErrors = append(out.ValidationErrors, messageJSON{Message: m})
	}
	// The certificate served: an uploaded one wins over a managed one;
	// within each kind, the newest (certificates come newest first).
	var served *core.Certificate
	for i, c := range s.Certificates {
		out.Certificates = append(out.Certificates, certificateJSON{
			ID:                c.ID,
			Issuer:            c.Issuer,
			SerialNumber:      c.SerialNumber,
			Signature:         c.Signature,
			ExpiresOn:         formatTime(c.ExpiresOn),
			IssuedOn:          formatTime(c.IssuedOn),
			FingerprintSHA256: c.FingerprintSHA256,
		})
		if served == nil || (served.Source != core.SourceCustom && c.Source == core.SourceCustom) {
			served = &s.Certificates[i]
		}
	}
	if served != nil {
		if served.Source == core.SourceCustom {
			out.CustomCertificate = string(served.ChainPEM)
			out.UploadedOn = formatTime(served.UploadedOn)
		}
		out.Issuer = served.Issuer
		out.SerialNumber = served.SerialNumber
		out.Signature = served.Signature
		out.Hosts = served.Hosts
		out.ExpiresOn = formatTime(served.ExpiresOn)
	}
	if len(out.ValidationRecords) > 0 {
		r := out.ValidationRecords[0]
		out.TXTName, out.TXTValue = r.TXTName, r.TXTValue
		out.HTTPURL, out.HTTPBody = r.HTTPURL, r.HTTPBody
		out.CNAME, out.CNAMETarget = r.CNAME, r.CNAMETarget
	}
	return out
}

func renderRecords(rs []core.ValidationRecord) []recordJSON {
	out := make([]recordJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, recordJSON{
			TXTName: r.TXTName, TXTValue: r.TXTValue,
			HTTPURL: r.HTTPURL, HTTPBody: r.HTTPBody,
			CNAME: r.CNAME, CNAMETarget: r.CNAMETarget,
			Emails: r.Emails, Status: r.Status,
		})
	}
	return out
}

func renderFallback(fo core.FallbackOrigin) fallbackJSON {
	return fallbackJSON{
		Origin:    fo.Origin,
		Status:    string(fo.Status),
		Errors:    nonNil(fo.Errors),
		CreatedAt: formatTime(fo.CreatedAt),
		UpdatedAt: formatTime(fo.UpdatedAt),
	}
}

// unlimitedQuota is what allocated and hard_cap say without a quota: a
// client computing allocated - used must not conclude that it is out of room.
const unlimitedQuota = 1<<31 - 1

func renderQuota(q service.Quota) quotaJSON {
	limit := q.Limit
	if q.Unlimited {
		limit = unlimitedQuota
	}
	return quotaJSON{Allocated: limit, Used: q.Used, Exceeded: q.Exceeded(), HardCap: limit}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
