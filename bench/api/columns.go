package main

import (
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store/columns"
)

// The row encoding below mirrors insertHostname and mutableArgs of
// internal/store/sqlite and internal/store/postgres, with the JSON column
// encoding of internal/store/columns. checkEncoding (probe.go) compares a
// row written through the store's CreateHostname with the same hostname
// written here, column by column, before every seeding: if the stores change their encoding, the
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
		string(h.Status), columns.Strings(h.VerificationErrors), h.OwnershipToken,
		h.CustomOriginServer, h.CustomOriginSNI, columns.Metadata(h.CustomMetadata),
		h.SSL.ID, h.SSL.Type, string(h.SSL.Method), string(h.SSL.Status), h.SSL.Wildcard,
		h.SSL.CertificateAuthority, string(h.SSL.BundleMethod),
		columns.Settings(h.SSL.Settings), columns.Records(h.SSL.ValidationRecords),
		columns.Records(h.SSL.DCVDelegation), columns.Strings(h.SSL.ValidationErrors),
		ts(h.UpdatedAt),
	}
}

func unixMicros(t time.Time) any { return t.UnixMicro() }
func timestamp(t time.Time) any  { return t }
