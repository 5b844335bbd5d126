package main

import (
	"encoding/json"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// The row encoding below mirrors insertHostname and mutableArgs of
// internal/store/sqlite and internal/store/postgres, and the JSON column
// encoding of internal/store/internal/columns, which this package cannot
// import. checkEncoding (probe.go) compares a row written through the
// store's CreateHostname with the same hostname written here, column by
// column, before every seeding: if the stores change their encoding, the
// benchmark refuses to run rather than measure different rows.

// hostnameColumns are the columns the stores insert, in their order.
var hostnameColumns = []string{
	"id", "zone_id", "name", "created_at", "version",
	"status", "verification_errors", "ownership_token",
	"custom_origin_server", "custom_origin_sni", "custom_metadata",
	"ssl_id", "ssl_type", "ssl_method", "ssl_status", "ssl_wildcard", "ssl_ca", "ssl_bundle_method",
	"ssl_settings", "ssl_validation_records", "ssl_dcv_delegation", "ssl_validation_errors",
	"updated_at",
}

// rowValues returns h's values in hostnameColumns order; ts encodes a time
// (unix microseconds for SQLite, time.Time for PostgreSQL).
func rowValues(h core.Hostname, ts func(time.Time) any) []any {
	return []any{
		h.ID, h.ZoneID, h.Name, ts(h.CreatedAt), int64(1),
		string(h.Status), jsonStrings(h.VerificationErrors), h.OwnershipToken,
		h.CustomOriginServer, h.CustomOriginSNI, jsonMetadata(h.CustomMetadata),
		h.SSL.ID, h.SSL.Type, string(h.SSL.Method), string(h.SSL.Status), h.SSL.Wildcard,
		h.SSL.CertificateAuthority, string(h.SSL.BundleMethod),
		jsonSettings(h.SSL.Settings), jsonRecords(h.SSL.ValidationRecords),
		jsonRecords(h.SSL.DCVDelegation), jsonStrings(h.SSL.ValidationErrors),
		ts(h.UpdatedAt),
	}
}

func unixMicros(t time.Time) any { return t.UnixMicro() }
func timestamp(t time.Time) any  { return t }

// jsonStrings: a JSON list, NULL when empty.
func jsonStrings(v []string) *string {
	if len(v) == 0 {
		return nil
	}
	return marshal(v)
}

// jsonMetadata: the client's bytes verbatim, NULL when empty.
func jsonMetadata(m json.RawMessage) *string {
	if len(m) == 0 {
		return nil
	}
	s := string(m)
	return &s
}

type settingsColumn struct {
	MinTLSVersion string   `json:"min_tls_version,omitempty"`
	TLS13         string   `json:"tls_1_3,omitempty"`
	HTTP2         string   `json:"http2,omitempty"`
	EarlyHints    string   `json:"early_hints,omitempty"`
	Ciphers       []string `json:"ciphers,omitempty"`
}

// jsonSettings: the set settings, NULL when none is.
func jsonSettings(s core.TLSSettings) *string {
	v := settingsColumn(s)
	if v.MinTLSVersion == "" && v.TLS13 == "" && v.HTTP2 == "" && v.EarlyHints == "" && len(v.Ciphers) == 0 {
		return nil
	}
	return marshal(v)
}

type recordColumn struct {
	TXTName     string   `json:"txt_name,omitempty"`
	TXTValue    string   `json:"txt_value,omitempty"`
	HTTPURL     string   `json:"http_url,omitempty"`
	HTTPBody    string   `json:"http_body,omitempty"`
	CNAME       string   `json:"cname,omitempty"`
	CNAMETarget string   `json:"cname_target,omitempty"`
	Emails      []string `json:"emails,omitempty"`
	Status      string   `json:"status,omitempty"`
}

// jsonRecords: a JSON list of records, NULL when empty.
func jsonRecords(rs []core.ValidationRecord) *string {
	if len(rs) == 0 {
		return nil
	}
	v := make([]recordColumn, len(rs))
	for i, r := range rs {
		v[i] = recordColumn(r)
	}
	return marshal(v)
}

func marshal(v any) *string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and slices of strings always encode
	}
	s := string(b)
	return &s
}
