// Package columns encodes the structured parts of Portico's rows (string
// lists, TLS settings, validation records, custom metadata) as the compact
// JSON text both store implementations keep in a single column.
//
// Why JSON text in one column rather than child tables: these values are
// always read and written whole with their hostname and never queried into,
// so a child table would cost a join and an index per row for nothing. Empty
// values encode as NULL (a nil *string) so that the common case, a hostname
// with no errors and no settings, costs one byte in the row, not "[]".
package columns

import (
	"encoding/json"
	"fmt"

	"github.com/porticohq/portico/internal/core"
)

// Strings encodes a string list; nil when empty.
func Strings(v []string) *string {
	if len(v) == 0 {
		return nil
	}
	return marshal(v)
}

// ParseStrings decodes what Strings encoded; nil when s is nil.
func ParseStrings(s *string) ([]string, error) {
	if s == nil {
		return nil, nil
	}
	var v []string
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		return nil, fmt.Errorf("decoding string list: %w", err)
	}
	return v, nil
}

// settings is the stored form of core.TLSSettings. The json names are short
// and omitted when empty because the column is repeated on every hostname.
type settings struct {
	MinTLSVersion string   `json:"min_tls_version,omitempty"`
	TLS13         string   `json:"tls_1_3,omitempty"`
	HTTP2         string   `json:"http2,omitempty"`
	EarlyHints    string   `json:"early_hints,omitempty"`
	Ciphers       []string `json:"ciphers,omitempty"`
}

// Settings encodes TLS settings; nil when none is set.
func Settings(s core.TLSSettings) *string {
	v := settings(s)
	if v.MinTLSVersion == "" && v.TLS13 == "" && v.HTTP2 == "" && v.EarlyHints == "" && len(v.Ciphers) == 0 {
		return nil
	}
	return marshal(v)
}

// ParseSettings decodes what Settings encoded; the zero value when s is nil.
func ParseSettings(s *string) (core.TLSSettings, error) {
	if s == nil {
		return core.TLSSettings{}, nil
	}
	var v settings
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		return core.TLSSettings{}, fmt.Errorf("decoding TLS settings: %w", err)
	}
	return core.TLSSettings(v), nil
}

// record is the stored form of core.ValidationRecord.
type record struct {
	TXTName     string   `json:"txt_name,omitempty"`
	TXTValue    string   `json:"txt_value,omitempty"`
	HTTPURL     string   `json:"http_url,omitempty"`
	HTTPBody    string   `json:"http_body,omitempty"`
	CNAME       string   `json:"cname,omitempty"`
	CNAMETarget string   `json:"cname_target,omitempty"`
	Emails      []string `json:"emails,omitempty"`
	Status      string   `json:"status,omitempty"`
}

// Records encodes validation records; nil when there are none.
func Records(rs []core.ValidationRecord) *string {
	if len(rs) == 0 {
		return nil
	}
	v := make([]record, len(rs))
	for i, r := range rs {
		v[i] = record(r)
	}
	return marshal(v)
}

// ParseRecords decodes what Records encoded; nil when s is nil.
func ParseRecords(s *string) ([]core.ValidationRecord, error) {
	if s == nil {
		return nil, nil
	}
	var v []record
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		return nil, fmt.Errorf("decoding validation records: %w", err)
	}
	rs := make([]core.ValidationRecord, len(v))
	for i, r := range v {
		rs[i] = core.ValidationRecord(r)
	}
	return rs, nil
}

// Metadata returns the custom metadata verbatim (the client's bytes, not a
// re-encoding, because core.Hostname promises to keep them); nil when empty.
func Metadata(m json.RawMessage) *string {
	if len(m) == 0 {
		return nil
	}
	s := string(m)
	return &s
}

// ParseMetadata is the inverse of Metadata.
func ParseMetadata(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

func marshal(v any) *string {
	// The values are plain strings and slices of them: Marshal cannot fail.
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("columns: encoding %T: %v", v, err))
	}
	s := string(b)
	return &s
}
