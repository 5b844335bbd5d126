package service

import (
	"context"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
)

// EventType names what happened to a custom hostname or its certificate, in
// the words webhooks use. Types are stable: receivers switch on them.
type EventType string

// The event types. A hostname's status changes give exactly one event each:
// the specific type when there is one (verified, moved, deleted, blocked),
// hostname.status_changed otherwise (a refresh back to pending, say).
const (
	// EventTypeHostnameCreated: a hostname was created (status pending).
	EventTypeHostnameCreated EventType = "hostname.created"
	// EventTypeHostnameVerified: ownership was proven and the hostname
	// became active (from pending, or back from moved).
	EventTypeHostnameVerified EventType = "hostname.verified"
	// EventTypeHostnameMoved: the hostname's DNS no longer points here, it
	// was not proven in time, or another zone proved it more recently.
	EventTypeHostnameMoved EventType = "hostname.moved"
	// EventTypeHostnameDeleted: the hostname was deleted through an API
	// (Reason EventReasonRemoved: it no longer exists), or its status became
	// deleted (moved for too long; it can still be refreshed).
	EventTypeHostnameDeleted EventType = "hostname.deleted"
	// EventTypeHostnameBlocked: the operator's blocklist covers the name.
	EventTypeHostnameBlocked EventType = "hostname.blocked"
	// EventTypeHostnameStatusChanged: any other status change.
	EventTypeHostnameStatusChanged EventType = "hostname.status_changed"
	// EventTypeCertificateIssued: a managed certificate was issued for the
	// hostname for the first time (emitted by the certificate lifecycle).
	EventTypeCertificateIssued EventType = "certificate.issued"
	// EventTypeCertificateRenewed: a managed certificate replaced an
	// earlier one.
	EventTypeCertificateRenewed EventType = "certificate.renewed"
	// EventTypeCertificateFailed: issuing or renewing failed for good
	// (Error says why); the lifecycle may try again later.
	EventTypeCertificateFailed EventType = "certificate.failed"
)

// EventTypes lists every event type, hostname events first.
var EventTypes = []EventType{
	EventTypeHostnameCreated, EventTypeHostnameVerified, EventTypeHostnameMoved, EventTypeHostnameDeleted,
	EventTypeHostnameBlocked, EventTypeHostnameStatusChanged,
	EventTypeCertificateIssued, EventTypeCertificateRenewed, EventTypeCertificateFailed,
}

// Known reports whether t is one of EventTypes.
func (t EventType) Known() bool {
	for _, k := range EventTypes {
		if k == t {
			return true
		}
	}
	return false
}

// EventReasonRemoved is the Reason of hostname.deleted when the hostname was
// deleted through an API (as opposed to a status change to deleted).
const EventReasonRemoved = "removed"

// Event is something that happened to a custom hostname, after it was
// committed. It carries no secret: sinks may send it anywhere the zone's
// owner asked.
type Event struct {
	// ID identifies the event (a UUID); Emit sets it when empty.
	ID   string
	Type EventType
	// ZoneID, HostnameID and Hostname (the canonical name) say which
	// hostname; they are always set.
	ZoneID, HostnameID, Hostname string
	// At is when the change was committed; Emit sets it when zero.
	At time.Time
	// FromStatus and ToStatus are the hostname statuses around the change
	// ("" FromStatus on create). Certificate events leave them empty.
	FromStatus, ToStatus core.HostnameStatus
	// Reason is a stable code for why (ownership_proven, dns_no_longer_here,
	// removed, ...), "" when none was recorded.
	Reason string
	// Certificate describes the certificate of certificate events.
	Certificate *EventCertificate
	// Error is the public reason of certificate.failed: words safe to show
	// the zone's owner, never a private cause.
	Error string
}

// EventCertificate is the public description of a certificate in an event.
type EventCertificate struct {
	ID           string
	SerialNumber string
	Issuer       string
	// Authority is the certificate authority setting (lets_encrypt, ...).
	Authority string
	NotBefore time.Time
	ExpiresOn time.Time
}

// EventSink receives the service's events (webhooks, say).
//
// HostnameEvent is called after the change is committed, synchronously, on
// the goroutine that made it, with that caller's context, which may end as
// soon as the call returns (a request's). Implementations MUST be safe for
// concurrent use and MUST bound their own duration: what must outlive the
// call runs under context.WithoutCancel(ctx) or on the sink's own
// goroutine. A failure is the sink's to log; the change stands.
type EventSink interface {
	HostnameEvent(ctx context.Context, e Event)
}

// sinkList is the sinks added so far, in order.
type sinkList []EventSink

// AddEventSink adds sink to the event sinks: every event goes to every sink,
// in the order added. It may be called at any time.
func (s *Service) AddEventSink(sink EventSink) {
	if sink == nil {
		return
	}
	for {
		old := s.sinks.Load()
		var next sinkList
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, sink)
		if s.sinks.CompareAndSwap(old, &next) {
			return
		}
	}
}

// Emit gives e to every event sink, setting its ID and time when unset.
// The hostname write paths emit their own events; the certificate
// lifecycle calls Emit for certificate.issued, .renewed and .failed, after
// committing what the event reports.
func (s *Service) Emit(ctx context.Context, e Event) {
	sinks := s.sinks.Load()
	if sinks == nil {
		return
	}
	if e.ID == "" {
		e.ID = ident.UUID()
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	for _, sink := range *sinks {
		sink.HostnameEvent(ctx, e)
	}
}

// emitHostname emits a hostname event about h.
func (s *Service) emitHostname(ctx context.Context, t EventType, h core.Hostname, from, to core.HostnameStatus, reason string) {
	s.Emit(ctx, Event{Type: t, ZoneID: h.ZoneID, HostnameID: h.ID, Hostname: h.Name,
		FromStatus: from, ToStatus: to, Reason: reason})
}

// statusEventType is the event type of a status change to to.
func statusEventType(to core.HostnameStatus) EventType {
	switch to {
	case core.HostnameActive:
		return EventTypeHostnameVerified
	case core.HostnameMoved:
		return EventTypeHostnameMoved
	case core.HostnameDeleted:
		return EventTypeHostnameDeleted
	case core.HostnameBlocked:
		return EventTypeHostnameBlocked
	}
	return EventTypeHostnameStatusChanged
}
