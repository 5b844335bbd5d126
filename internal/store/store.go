// Package store defines how Portico persists its state, independent of the
// database: the Store interface, its sentinel errors and the list query.
// Implementations live in store/sqlite and store/postgres; the conformance
// suite in store/storetest runs against both.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// Sentinel errors. Implementations wrap them with context; callers branch with
// errors.Is.
var (
	// ErrNotFound: no row matched (for scoped lookups, none in that zone).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness constraint refused the write (a hostname
	// already exists in the zone, a zone or token id is taken).
	ErrConflict = errors.New("already exists")
	// ErrStale: a compare-and-swap matched nothing because the row changed
	// since it was read (status or version differ).
	ErrStale = errors.New("stale state")
)

// Store is Portico's persistent state.
//
// Implementations MUST be safe for concurrent use, honour context cancellation
// on every call, and return (wrapped) ErrNotFound, ErrConflict and ErrStale as
// documented. Every method that takes a zoneID scopes its lookup to that zone:
// an object of another zone is ErrNotFound, never visible. Times are stored
// with at least microsecond precision and returned in UTC.
type Store interface {
	// Close releases the database.
	Close() error
	// Ping checks that the database answers (for /readyz).
	Ping(ctx context.Context) error

	CreateZone(ctx context.Context, z core.Zone) error
	GetZone(ctx context.Context, id string) (core.Zone, error)
	ListZones(ctx context.Context) ([]core.Zone, error)
	// SetFallbackOrigin replaces (fo != nil) or removes (fo == nil) a zone's
	// fallback origin.
	SetFallbackOrigin(ctx context.Context, zoneID string, fo *core.FallbackOrigin) error

	CreateToken(ctx context.Context, t core.APIToken) error
	GetToken(ctx context.Context, id string) (core.APIToken, error)

	// CreateHostname inserts h with h.Version = 1. ErrConflict when the zone
	// already has a hostname of the same canonical name: the database
	// enforces this, so racing creates give one row.
	CreateHostname(ctx context.Context, h core.Hostname) error
	// GetHostname returns the hostname with its certificates (SSL.Certificates).
	GetHostname(ctx context.Context, zoneID, id string) (core.Hostname, error)
	// UpdateHostname writes every field of h (except ID, ZoneID, Name,
	// CreatedAt and certificates) if the stored version is still h.Version,
	// and stores h.Version+1. ErrStale when the version moved on, ErrNotFound
	// when the row is gone.
	UpdateHostname(ctx context.Context, h core.Hostname) error
	// SetHostnameStatus changes status from -> to (compare-and-swap on the
	// status), bumping the version and updated_at. ErrStale when the status is
	// no longer from.
	SetHostnameStatus(ctx context.Context, zoneID, id string, from, to core.HostnameStatus, at time.Time) error
	// SetSSLStatus is SetHostnameStatus for the certificate status.
	SetSSLStatus(ctx context.Context, zoneID, id string, from, to core.SSLStatus, at time.Time) error
	// DeleteHostname removes the hostname and its certificates (keys
	// included) in one transaction.
	DeleteHostname(ctx context.Context, zoneID, id string) error
	// ListHostnames returns one page of a zone's hostnames (with their
	// certificates) and the total number matching the filter.
	ListHostnames(ctx context.Context, zoneID string, q HostnameQuery) (HostnamePage, error)
	// CountHostnames returns how many hostnames the zone holds.
	CountHostnames(ctx context.Context, zoneID string) (int, error)

	// PutCertificate inserts or replaces (same ID) a certificate of a
	// hostname of the zone, bumping the hostname's version.
	PutCertificate(ctx context.Context, zoneID string, c core.Certificate) error
	// DeleteCertificate removes one certificate of a hostname of the zone.
	DeleteCertificate(ctx context.Context, zoneID, hostnameID, certID string) error
}

// HostnameOrder is a sort key for ListHostnames.
type HostnameOrder string

// The sort keys. Ties are broken by creation time, then id, so that pages are
// stable.
const (
	OrderCreated   HostnameOrder = ""           // creation time (the default)
	OrderSSL       HostnameOrder = "ssl"        // the DCV method
	OrderSSLStatus HostnameOrder = "ssl_status" // the certificate status
	OrderHostname  HostnameOrder = "hostname"   // the name
)

// HostnameQuery filters and pages ListHostnames. Zero values mean "no filter".
type HostnameQuery struct {
	ID                 string
	NameExact          string
	NameContains       string // substring of the name
	NameStartsWith     string
	HostnameStatus     core.HostnameStatus
	SSLStatus          core.SSLStatus
	CertificateAuth    string
	CustomOriginServer string
	Wildcard           *bool // ssl.wildcard
	// HasActiveSSL filters on whether ssl.status is active.
	HasActiveSSL *bool

	Order HostnameOrder
	Desc  bool
	// Offset and Limit page the result; Limit <= 0 means no limit.
	Offset, Limit int
}

// HostnamePage is one page of ListHostnames.
type HostnamePage struct {
	Hostnames []core.Hostname
	Total     int
}
