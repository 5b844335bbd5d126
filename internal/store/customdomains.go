package store

import (
	"context"
	"errors"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// ErrInUse: a delete was refused because other rows still refer to the
// object (an upstream that custom domains route to).
var ErrInUse = errors.New("in use")

// UpstreamQuery filters and pages ListUpstreams. Zero values mean "no
// filter"; Limit <= 0 means no limit. Upstreams come oldest first.
type UpstreamQuery struct {
	Host          string // exact, canonical
	Offset, Limit int
}

// UpstreamPage is one page of ListUpstreams and the number matching.
type UpstreamPage struct {
	Upstreams []core.Upstream
	Total     int
}

// DomainQuery filters and pages ListCustomDomains. Zero values mean "no
// filter"; Limit <= 0 means no limit. Domains come oldest first (hostname
// creation time, then id).
type DomainQuery struct {
	Name          string // exact, canonical
	Offset, Limit int
}

// DomainRow is one custom domain: its hostname (without certificates), its
// SaaS Custom Domains record and what its last ownership check found.
type DomainRow struct {
	Hostname core.Hostname
	Domain   core.CustomDomain
	// LastCheckAt and DNSStatus are the hostname's CheckState fields of the
	// same names.
	LastCheckAt time.Time
	DNSStatus   string
}

// DomainPage is one page of ListCustomDomains and the number matching.
type DomainPage struct {
	Domains []DomainRow
	Total   int
}

// InstructionEmail is one instruction email due to be sent, as
// ClaimInstructionEmails leases it.
type InstructionEmail struct {
	ZoneID     string
	HostnameID string
	Recipient  string
	// Attempts counts the failed sends so far.
	Attempts int
}

// CustomDomains keeps the SaaS Custom Domains dialect's state: the zones'
// upstreams, the custom domain record of each hostname created through that
// dialect (core.CustomDomain), and the outbox of instruction emails (the
// records with a recipient and no sent time). Both stores implement it next
// to Store.
//
// Implementations MUST be safe for concurrent use by several processes on
// one database, honour ctx, scope every (zoneID, id) lookup to the zone
// (ErrNotFound otherwise), and return (wrapped) ErrNotFound, ErrConflict
// and ErrInUse as documented. The edge sees upstreams and domain options
// through EdgeSource (EdgeRoute.Upstream, EdgeRoute.RedirectToWWW): every
// write below that changes them writes the change feed for each hostname
// concerned, in its transaction.
type CustomDomains interface {
	// CreateUpstream inserts u. ErrNotFound when the zone does not exist,
	// ErrConflict when the zone has an upstream of the same host, port, TLS
	// and prepend path.
	CreateUpstream(ctx context.Context, u core.Upstream) error
	// GetUpstream returns one upstream of the zone.
	GetUpstream(ctx context.Context, zoneID, id string) (core.Upstream, error)
	// ListUpstreams returns one page of the zone's upstreams.
	ListUpstreams(ctx context.Context, zoneID string, q UpstreamQuery) (UpstreamPage, error)
	// UpdateUpstream writes u's host, port, TLS, prepend path and
	// updated_at. ErrNotFound when the zone has no such upstream,
	// ErrConflict as for CreateUpstream.
	UpdateUpstream(ctx context.Context, u core.Upstream) error
	// DeleteUpstream removes an upstream. ErrInUse while a custom domain
	// routes to it (the database enforces it, so a racing create cannot
	// leave a domain without its upstream).
	DeleteUpstream(ctx context.Context, zoneID, id string) error

	// CreateCustomDomain inserts the hostnames hs (as CreateHostname does:
	// version 1, counted, scheduled for a check, on the change feed) and
	// their records ds (ds[i].HostnameID == hs[i].ID), all in one
	// transaction: either every row is there or none. ErrConflict when the
	// zone has one of the names already, ErrNotFound when the zone or a
	// record's upstream (in that zone) does not exist.
	CreateCustomDomain(ctx context.Context, hs []core.Hostname, ds []core.CustomDomain) error
	// GetCustomDomain returns the custom domain record of a hostname of
	// the zone. ErrNotFound when the hostname has none (or does not exist).
	GetCustomDomain(ctx context.Context, zoneID, hostnameID string) (core.CustomDomain, error)
	// ListCustomDomains returns one page of the domains that route to the
	// upstream, companions (ApexHostnameID set) left out.
	ListCustomDomains(ctx context.Context, zoneID, upstreamID string, q DomainQuery) (DomainPage, error)
	// DeleteCustomDomain removes a hostname of the zone and its www
	// companion, if any, with their certificates and records, in one
	// transaction; it returns the ids removed. ErrNotFound when the zone
	// has no such hostname.
	DeleteCustomDomain(ctx context.Context, zoneID, hostnameID string) ([]string, error)

	// ClaimInstructionEmails leases to the caller, until now+leaseFor, up
	// to limit instruction emails that are due at or before now (the
	// earliest first), and returns them. A leased email is not returned
	// again until its lease ends: a sender that crashed mid-send has its
	// emails sent again then (at least once, never lost). Concurrent
	// claimers, in this process or another, never receive the same email
	// while its lease runs.
	ClaimInstructionEmails(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]InstructionEmail, error)
	// InstructionEmailSent records that the email was accepted at at: it
	// leaves the outbox. ErrNotFound when the record is gone.
	InstructionEmailSent(ctx context.Context, zoneID, hostnameID string, at time.Time) error
	// InstructionEmailFailed records a failed send: the attempt count, the
	// error (a short public text, no secrets) and when to try again; a zero
	// next gives up, leaving the email unsent. ErrNotFound when the record
	// is gone.
	InstructionEmailFailed(ctx context.Context, zoneID, hostnameID string, attempts int, next time.Time, lastErr string) error
}
