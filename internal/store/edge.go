package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// EdgeServes reports whether the edge serves a hostname in status s: active,
// or active while its certificate is redeployed. Every other status (pending,
// moved, blocked ...) is not served, whatever certificates it holds.
func EdgeServes(s core.HostnameStatus) bool {
	return s == core.HostnameActive || s == core.HostnameActiveRedeploying
}

// EdgeRoute is what the edge needs to route one hostname, without its
// certificates (EdgeCertificates loads those, only when a handshake needs
// them). It is a compact row: no validation records, no errors.
type EdgeRoute struct {
	HostnameID string
	ZoneID     string
	Name       string // canonical; "*.base" for a wildcard
	Status     core.HostnameStatus
	Version    int64
	UpdatedAt  time.Time
	// OwnershipToken is served at the HTTP ownership URL (same zone only).
	OwnershipToken     string
	CustomOriginServer string
	CustomOriginSNI    string
	CustomMetadata     json.RawMessage
	Settings           core.TLSSettings
	// FallbackOrigin is the zone's fallback origin when it has an active
	// one, else "".
	FallbackOrigin string
	// Upstream is the SaaS Custom Domains upstream the hostname routes to;
	// nil when it has none (it was created through the Cloudflare dialect).
	Upstream *EdgeUpstream
	// RedirectToWWW: the edge answers every request for the hostname with
	// a redirect to "www.<Name>".
	RedirectToWWW bool
}

// EdgeUpstream is the part of a core.Upstream that the edge routes by.
type EdgeUpstream struct {
	Host        string
	Port        int
	TLS         bool
	PrependPath string
}

// ChangeKind says what a change feed entry is about.
type ChangeKind string

// The change kinds.
const (
	// ChangeHostname: a hostname was inserted, deleted, or updated in a
	// column the edge uses (status, origin, SNI, metadata, TLS settings,
	// version).
	ChangeHostname ChangeKind = "hostname"
	// ChangeCertificate: a certificate of a hostname was inserted, replaced
	// or deleted.
	ChangeCertificate ChangeKind = "certificate"
	// ChangeZone: a zone's fallback origin changed; Name and HostnameID are
	// empty.
	ChangeZone ChangeKind = "zone"
)

// ChangeCursor is a position in the change feed. Callers treat it as
// opaque: they keep the Cursor of the last settled change they applied (or
// what LatestChange returned) and pass it back to ChangesSince. The zero
// value is the start of the feed.
//
// SQLite numbers changes in commit order (one writer at a time), so Txn is 0
// and Seq is the change's number. PostgreSQL numbers changes when the
// trigger runs, which is not commit order; there Txn is the writing
// transaction's id and changes come in (Txn, Seq) order.
type ChangeCursor struct {
	Txn, Seq int64
}

// Less reports whether c is before d in feed order.
func (c ChangeCursor) Less(d ChangeCursor) bool {
	return c.Txn < d.Txn || c.Txn == d.Txn && c.Seq < d.Seq
}

// Change is one entry of the change feed: the database says that something
// the edge serves from memory may have changed.
type Change struct {
	Cursor     ChangeCursor
	Kind       ChangeKind
	ZoneID     string
	HostnameID string // "" for ChangeZone
	Name       string // the hostname's name; "" for ChangeZone
	// Status is the hostname's status after the change; "" when the
	// hostname was deleted (and for ChangeZone).
	Status core.HostnameStatus
	// Settled reports whether a reader may move its cursor past this
	// change: no transaction still running can add a change before it. An
	// unsettled change (PostgreSQL, while an older transaction is still
	// open) is delivered at once, so that it is applied at once, and again
	// by later calls until it settles; the reader applies it once and
	// remembers it. Settled changes always come before unsettled ones.
	Settled bool
}

// EdgeSource is what the edge reads from the database: the names it serves,
// one hostname's route and certificates on demand, and the change feed that
// keeps its memory current. The store writes the feed itself (database
// triggers, in the transaction of the write), so every writer is seen.
//
// Implementations MUST be safe for concurrent use and honour context
// cancellation. Lookups of a missing hostname return (wrapped) ErrNotFound;
// lookups by name return an empty slice.
type EdgeSource interface {
	// ActiveNames returns up to limit distinct names (exact or "*.base")
	// of hostnames the edge serves (EdgeServes), in byte order, all greater
	// than after. The edge pages through it once at start.
	ActiveNames(ctx context.Context, after string, limit int) ([]string, error)
	// EdgeRoutes returns every hostname named name, in any zone and any
	// status, the most recently updated first.
	EdgeRoutes(ctx context.Context, name string) ([]EdgeRoute, error)
	// EdgeRoute returns one hostname by id, whatever its zone. ErrNotFound
	// when there is none.
	EdgeRoute(ctx context.Context, hostnameID string) (EdgeRoute, error)
	// EdgeCertificates returns the hostname's certificates with their
	// sealed keys, newest first; none when it has none (or is gone).
	EdgeCertificates(ctx context.Context, hostnameID string) ([]core.Certificate, error)
	// LatestChange returns a cursor such that every change committed before
	// the call is at or before it: a reader that then loads its state and
	// follows ChangesSince from the cursor misses nothing.
	LatestChange(ctx context.Context) (ChangeCursor, error)
	// ChangesSince returns up to limit changes after cursor, in feed order
	// (settled ones first; see Change.Settled). Entries older than the store's retention (a day) may be gone: a reader
	// that fell further behind reloads everything instead.
	ChangesSince(ctx context.Context, after ChangeCursor, limit int) ([]Change, error)
}

// ChangeNotifier is an optional ability of an EdgeSource whose database can
// push change notifications (PostgreSQL LISTEN/NOTIFY).
type ChangeNotifier interface {
	// WatchChanges returns a channel that receives a value (coalesced, never
	// blocking the sender) whenever ChangesSince may have something new, and
	// once after every (re)connection, since notifications sent while
	// disconnected are lost. It reconnects by itself and closes the channel
	// when ctx ends.
	WatchChanges(ctx context.Context) <-chan struct{}
}

// EdgeChangeRetention is how long the stores keep change feed entries.
const EdgeChangeRetention = 24 * time.Hour
