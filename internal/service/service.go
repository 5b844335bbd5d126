// Package service holds Portico's use cases: creating zones and tokens,
// authenticating requests, and the life of custom hostnames (create, read,
// list, edit, delete), their fallback origin, quota and uploaded
// certificates. Both API dialects call it; it knows no HTTP and no JSON shape.
//
// The service owns everything the dialects must agree on: hostname parsing
// through package dnsname with the zone's policy, id and token generation,
// validation of the ssl configuration, PATCH semantics (absent means "keep",
// an ssl object means "validate again"), status changes by compare-and-swap
// under core's transition tables, sealing of private keys, and the audit log.
// Every error it returns is a *core.Error with a stable Reason (the Reason*
// constants) that a dialect maps to its own codes.
package service

import (
	"context"
	"crypto/x509"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store"
)

// Config configures a Service. The zero value is usable: no DCV delegation
// zone, system roots for uploaded certificates, no quota.
type Config struct {
	// DCVZone is the provider's ACME delegation zone (e.g.
	// dcv.saasprovider.com). When set, each new hostname gets a DCV delegation
	// record "_acme-challenge.<base>" CNAME "<random label>.<DCVZone>", and
	// names under the zone are refused as custom hostnames. Empty: no
	// delegation records.
	DCVZone string
	// CertRoots is the trust store that uploaded certificates must chain to
	// (bundle methods ubiquitous and optimal). Nil means the system roots.
	CertRoots *x509.CertPool
	// CertificateAuthorities are the ssl.certificate_authority values this
	// Portico can honour (the CAs configured for ACME). A request naming
	// another one is refused (400). Nil accepts every known name: the
	// internal CA signs for all of them.
	CertificateAuthorities []string
	// QuotaPerZone caps the hostnames of one zone. 0 means unlimited.
	QuotaPerZone int
	// Hooks, when not nil, is told about hostname changes (see Hooks). It can
	// also be set later with SetHooks.
	Hooks Hooks
	// OnTransition, when not nil, is called after every committed status
	// change of an existing hostname (verification, refresh, operators),
	// next to its audit event: the daemon counts them in
	// portico_hostname_transitions_total. It must return quickly.
	OnTransition func(from, to core.HostnameStatus)
	// AuditLog receives the audit events. Nil means the service logger with
	// component=audit. Set it when the service logger already carries a
	// component attribute, to avoid a duplicate key.
	AuditLog *slog.Logger
}

// Hooks lets other subsystems react to hostname changes (verification
// schedules a check, the edge drops a cached route, ACME restarts an order).
//
// HostnameChanged is called after the change is committed, synchronously, on
// the caller's goroutine and with the request's context, which ends when the
// request does. Implementations MUST return quickly and MUST be safe for
// concurrent use; work that outlives the call belongs on the implementation's
// own goroutine, under context.WithoutCancel(ctx) or its own context. reason
// is one of the Change* constants.
type Hooks interface {
	HostnameChanged(ctx context.Context, zoneID, hostnameID, reason string)
}

// The reasons passed to Hooks.HostnameChanged.
const (
	ChangeCreated     = "created"     // a new hostname
	ChangeUpdated     = "updated"     // origin, SNI or metadata changed; no revalidation
	ChangeRevalidate  = "revalidate"  // an ssl object was sent: validate again now
	ChangeDeleted     = "deleted"     // the hostname and its certificates are gone
	ChangeCertificate = "certificate" // an uploaded certificate was added, replaced or removed
	ChangeStatus      = "status"      // a status changed through SetHostnameStatus/SetSSLStatus
)

// Service implements the use cases. It is safe for concurrent use.
type Service struct {
	cfg   Config
	st    store.Store
	box   *secrets.Box
	clk   clock.Clock
	log   *slog.Logger
	audit *slog.Logger
	hooks atomic.Pointer[hooksHolder]
	// verifier checks ownership at once on a refresh (see SetVerifier).
	verifier atomic.Pointer[verifierHolder]
	// sinks receive the events (see AddEventSink).
	sinks atomic.Pointer[sinkList]
	// instructions is set when instruction emails are sent (see
	// SetInstructionEmails).
	instructions atomic.Pointer[InstructionsConfig]

	// quotaMu serialises count-then-insert when a quota is set, so that
	// concurrent creates in this process cannot overshoot it. (Several
	// processes on one PostgreSQL database may still overshoot by a few.)
	quotaMu sync.Mutex
}

type hooksHolder struct{ h Hooks }

// New returns a Service over st. box seals the private keys of uploaded
// certificates; clk dates every write; log receives operational messages.
func New(cfg Config, st store.Store, box *secrets.Box, clk clock.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	s := &Service{cfg: cfg, st: st, box: box, clk: clk, log: log, audit: cfg.AuditLog}
	if s.audit == nil {
		s.audit = log.With("component", "audit")
	}
	s.SetHooks(cfg.Hooks)
	return s
}

// SetHooks replaces the hooks (nil removes them). It may be called at any
// time; calls already running finish with the hooks they started with.
func (s *Service) SetHooks(h Hooks) {
	if h == nil {
		s.hooks.Store(nil)
		return
	}
	s.hooks.Store(&hooksHolder{h: h})
}

// changed calls the hooks, if any.
func (s *Service) changed(ctx context.Context, zoneID, hostnameID, reason string) {
	if hh := s.hooks.Load(); hh != nil {
		hh.h.HostnameChanged(ctx, zoneID, hostnameID, reason)
	}
}

// now is the clock's time in UTC, truncated to the microsecond the stores
// keep, so that what a write returns equals what a later read returns.
func (s *Service) now() time.Time {
	return s.clk.Now().UTC().Truncate(time.Microsecond)
}

// Audit event names.
const (
	EventZoneCreated          = "zone_created"
	EventTokenCreated         = "token_created"
	EventHostnameCreated      = "hostname_created"
	EventHostnameUpdated      = "hostname_updated"
	EventHostnameStatus       = "hostname_status_changed"
	EventSSLStatus            = "ssl_status_changed"
	EventRevalidation         = "hostname_revalidation_requested"
	EventHostnameDeleted      = "hostname_deleted"
	EventCertificateUploaded  = "certificate_uploaded"
	EventCertificateReplaced  = "certificate_replaced"
	EventCertificateDeleted   = "certificate_deleted"
	EventFallbackOriginSet    = "fallback_origin_set"
	EventFallbackOriginDelete = "fallback_origin_deleted"
)

// auditHostname writes one audit event about a hostname. from and to are
// statuses ("" when not a status change). Never pass secrets in extra.
func (s *Service) auditHostname(ctx context.Context, event string, h core.Hostname, from, to string, extra ...slog.Attr) {
	attrs := append([]slog.Attr{
		slog.String("event", event),
		slog.String("zone_id", h.ZoneID),
		slog.String("hostname_id", h.ID),
		slog.String("hostname", h.Name),
		slog.String("from", from),
		slog.String("to", to),
	}, extra...)
	s.audit.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}

// auditZone writes one audit event about a zone.
func (s *Service) auditZone(ctx context.Context, event, zoneID string, extra ...slog.Attr) {
	attrs := append([]slog.Attr{slog.String("event", event), slog.String("zone_id", zoneID)}, extra...)
	s.audit.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}
