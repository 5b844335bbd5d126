package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// HostnameInput creates a custom hostname. Nil pointers are absent.
type HostnameInput struct {
	// Hostname is the name as the client sent it; it is parsed with the
	// zone's policy and stored in canonical form.
	Hostname string
	SSL      *SSLInput
	// CustomOriginServer: host, host:port or http(s)://host[:port]. Empty
	// means none.
	CustomOriginServer *string
	// CustomOriginSNI: a hostname, or ":request_host_header:" to send the
	// visitor's Host as SNI.
	CustomOriginSNI *string
	// CustomMetadata is a JSON object of at most MaxMetadataBytes. Nil or
	// JSON null means none.
	CustomMetadata json.RawMessage
}

// MaxMetadataBytes caps custom_metadata (compacted JSON).
const MaxMetadataBytes = 4096

// RequestHostHeaderSNI is the custom_origin_sni value that means "use the
// visitor's Host header as SNI".
const RequestHostHeaderSNI = ":request_host_header:"

// CreateHostname validates in and stores a new custom hostname in the zone:
// status pending, ssl initializing (active when a certificate is uploaded).
func (s *Service) CreateHostname(ctx context.Context, zoneID string, in HostnameInput) (core.Hostname, error) {
	z, err := s.GetZone(ctx, zoneID)
	if err != nil {
		return core.Hostname{}, err
	}
	h, uploaded, err := s.newHostname(ctx, z, in)
	if err != nil {
		return core.Hostname{}, err
	}
	err = s.withQuota(ctx, z.ID, 1, func() error {
		return storeError(s.st.CreateHostname(ctx, h), "creating hostname "+h.Name, ReasonZoneNotFound)
	})
	if err != nil {
		return core.Hostname{}, err
	}
	for i, c := range uploaded {
		if err := s.st.PutCertificate(ctx, z.ID, c); err != nil {
			// Without its certificate the hostname would claim an active
			// certificate it lacks: undo the insert.
			if derr := s.st.DeleteHostname(ctx, z.ID, h.ID); derr != nil {
				s.log.ErrorContext(ctx, "undoing a hostname whose certificate failed to store",
					"zone_id", z.ID, "hostname_id", h.ID, "err", derr)
			}
			return core.Hostname{}, fmt.Errorf("storing certificate %d of hostname %s: %w", i+1, h.Name, err)
		}
	}
	s.hostnameCreated(ctx, h, uploaded)
	if len(uploaded) == 0 {
		// Nothing was added after the insert, so h is exactly the stored row
		// (times are already at the store's microsecond precision): skip the
		// read, a third of a create's database time at a million hostnames.
		h.Version = 1
		return h, nil
	}
	return s.reread(ctx, h), nil
}

// newHostname validates in against the zone's policy and the blocklist and
// returns the hostname a create inserts (not yet stored), with its uploaded
// certificates parsed and their keys sealed.
func (s *Service) newHostname(ctx context.Context, z core.Zone, in HostnameInput) (core.Hostname, []core.Certificate, error) {
	name, err := dnsname.Parse(in.Hostname, s.policy(z))
	if err != nil {
		return core.Hostname{}, nil, nameError(ReasonInvalidHostname, "hostname", err)
	}
	if err := s.checkBlocked(ctx, name); err != nil {
		return core.Hostname{}, nil, err
	}
	now := s.now()
	h := core.Hostname{
		ID:             ident.UUID(),
		ZoneID:         z.ID,
		Name:           name.String(),
		Status:         core.HostnamePending,
		OwnershipToken: ident.Secret128(),
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	ssl, err := applySSL(defaultSSL(name.IsWildcard()), in.SSL, name.IsWildcard(), z, true)
	if err != nil {
		return core.Hostname{}, nil, err
	}
	if err := s.checkCA(ssl.CertificateAuthority); err != nil {
		return core.Hostname{}, nil, err
	}
	ssl.ID = ident.UUID()
	ssl.Status = core.SSLInitializing
	ssl.ValidationRecords = nil
	ssl.ValidationErrors = nil
	ssl.DCVDelegation, ssl.DCVLabel = s.dcvDelegation(name)
	h.SSL = ssl
	if err := applyOrigin(&h, in.CustomOriginServer, in.CustomOriginSNI); err != nil {
		return core.Hostname{}, nil, err
	}
	if in.CustomMetadata != nil {
		if h.CustomMetadata, err = checkMetadata(in.CustomMetadata, name.IsWildcard()); err != nil {
			return core.Hostname{}, nil, err
		}
	}
	var uploaded []core.Certificate
	if in.SSL != nil && len(in.SSL.CustomCertificates) > 0 {
		if uploaded, err = s.parseUploads(in.SSL.CustomCertificates, h, nil, now); err != nil {
			return core.Hostname{}, nil, err
		}
		h.SSL.Status = core.SSLActive
	}
	return h, uploaded, nil
}

// hostnameCreated audits a stored new hostname and tells the hooks.
func (s *Service) hostnameCreated(ctx context.Context, h core.Hostname, uploaded []core.Certificate) {
	s.auditHostname(ctx, EventHostnameCreated, h, "", string(h.Status))
	s.auditHostname(ctx, EventSSLStatus, h, "", string(h.SSL.Status))
	for _, c := range uploaded {
		s.auditCertificate(ctx, EventCertificateUploaded, h, c)
	}
	s.changed(ctx, h.ZoneID, h.ID, ChangeCreated)
	s.emitHostname(ctx, EventTypeHostnameCreated, h, "", h.Status, "")
}

// withQuota runs insert, which adds n hostnames to the zone, if the zone's
// quota leaves room for them. With a quota, count-then-insert is serialised
// in this process.
func (s *Service) withQuota(ctx context.Context, zoneID string, n int, insert func() error) error {
	if s.cfg.QuotaPerZone > 0 {
		s.quotaMu.Lock()
		defer s.quotaMu.Unlock()
		used, err := s.st.CountHostnames(ctx, zoneID)
		if err != nil {
			return fmt.Errorf("counting hostnames of zone %s: %w", zoneID, err)
		}
		if used+n > s.cfg.QuotaPerZone {
			return core.Errorf(core.KindForbidden, ReasonQuotaExceeded,
				"The zone has reached its quota of %d custom hostnames.", s.cfg.QuotaPerZone)
		}
	}
	return insert()
}

// reread returns the stored hostname (with its certificates, as a GET shows
// it) after a write, or the hostname as written if the read fails: the write
// succeeded, and failing the request now would invite a duplicate retry.
func (s *Service) reread(ctx context.Context, h core.Hostname) core.Hostname {
	got, err := s.st.GetHostname(ctx, h.ZoneID, h.ID)
	if err != nil {
		s.log.WarnContext(ctx, "re-reading a hostname after writing it", "zone_id", h.ZoneID, "hostname_id", h.ID, "err", err)
		return h
	}
	return got
}

// dcvDelegation returns the DCV delegation record of a new hostname, or none
// without a DCV zone. The target label is 128 random bits, unique to this
// hostname, so that a delegation CNAME a churned customer leaves behind never
// validates for the next tenant who claims the name (threat model A4).
func (s *Service) dcvDelegation(name dnsname.Name) ([]core.ValidationRecord, string) {
	if s.cfg.DCVZone == "" {
		return nil, ""
	}
	label := ident.ZoneID()
	return []core.ValidationRecord{{
		CNAME:       "_acme-challenge." + name.Base(),
		CNAMETarget: label + "." + s.cfg.DCVZone,
		Status:      "pending",
	}}, label
}

// applyOrigin validates and sets the custom origin server and SNI (nil:
// unchanged, "": cleared). The SNI is kept even without a custom origin
// server; the edge uses it only with one.
func applyOrigin(h *core.Hostname, server, sni *string) error {
	if server != nil {
		if *server == "" {
			h.CustomOriginServer = ""
		} else {
			o, err := dnsname.ParseOrigin(*server)
			if err != nil {
				return nameError(ReasonInvalidOrigin, "custom_origin_server", err)
			}
			h.CustomOriginServer = o.String()
		}
	}
	if sni != nil {
		switch v := *sni; v {
		case "", RequestHostHeaderSNI:
			h.CustomOriginSNI = v
		default:
			n, err := dnsname.Parse(v, dnsname.Policy{})
			if err != nil {
				return nameError(ReasonInvalidOriginSNI, "custom_origin_sni", err)
			}
			h.CustomOriginSNI = n.String()
		}
	}
	return nil
}

// checkMetadata validates custom metadata and returns it compacted, or nil
// for JSON null and {} (no metadata).
func checkMetadata(raw json.RawMessage, wildcard bool) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if string(trimmed) == "null" {
		return nil, nil
	}
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, invalid(ReasonInvalidMetadata, "custom_metadata", "custom_metadata must be a JSON object.")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, invalid(ReasonInvalidMetadata, "custom_metadata", "custom_metadata must be a JSON object.")
	}
	if buf.Len() > MaxMetadataBytes {
		return nil, invalid(ReasonMetadataTooLarge, "custom_metadata",
			"custom_metadata is %d bytes; at most %d are allowed.", buf.Len(), MaxMetadataBytes)
	}
	if buf.String() == "{}" {
		return nil, nil // an empty object is no metadata at all
	}
	if wildcard {
		return nil, invalid(ReasonMetadataOnWildcard, "custom_metadata", "Custom metadata is not supported on wildcard custom hostnames.")
	}
	return buf.Bytes(), nil
}

// GetHostname returns one hostname of the zone; hostname_not_found when the
// zone has no such hostname (whether or not another zone has).
func (s *Service) GetHostname(ctx context.Context, zoneID, id string) (core.Hostname, error) {
	h, err := s.st.GetHostname(ctx, zoneID, strings.ToLower(id))
	if err != nil {
		return core.Hostname{}, storeError(err, "reading hostname "+id, ReasonHostnameNotFound)
	}
	return h, nil
}

// DeleteHostname removes a hostname and its certificates (keys included).
func (s *Service) DeleteHostname(ctx context.Context, zoneID, id string) error {
	h, err := s.GetHostname(ctx, zoneID, id)
	if err != nil {
		return err
	}
	if err := s.st.DeleteHostname(ctx, zoneID, h.ID); err != nil {
		return storeError(err, "deleting hostname "+h.Name, ReasonHostnameNotFound)
	}
	s.auditHostname(ctx, EventHostnameDeleted, h, string(h.Status), string(core.HostnameDeleted))
	s.changed(ctx, zoneID, h.ID, ChangeDeleted)
	s.emitHostname(ctx, EventTypeHostnameDeleted, h, h.Status, core.HostnameDeleted, EventReasonRemoved)
	return nil
}

// Order is a list sort key.
type Order string

// The sort keys. Ties break by creation time, then id, so pages are stable.
const (
	OrderCreated   Order = ""
	OrderSSL       Order = "ssl"        // the DCV method
	OrderSSLStatus Order = "ssl_status" // the certificate status
	OrderHostname  Order = "hostname"
)

// HostnameFilter narrows a list. Zero values mean "no filter"; all set
// filters must match.
type HostnameFilter struct {
	ID                   string
	NameExact            string
	NameContains         string
	NameStartsWith       string
	HostnameStatus       core.HostnameStatus
	SSLStatus            core.SSLStatus
	CertificateAuthority string
	CustomOriginServer   string
	Wildcard             *bool // ssl.wildcard
	// HasActiveSSL filters on whether ssl.status is active.
	HasActiveSSL *bool
}

// ListOptions are a filter, an order and a window.
type ListOptions struct {
	Filter HostnameFilter
	Order  Order
	Desc   bool
	// Offset and Limit page the result; Limit <= 0 means no limit.
	Offset, Limit int
}

// HostnameList is one page of hostnames and the number matching in all.
type HostnameList struct {
	Hostnames []core.Hostname
	Total     int
}

// ListHostnames returns one page of the zone's hostnames.
func (s *Service) ListHostnames(ctx context.Context, zoneID string, o ListOptions) (HostnameList, error) {
	switch o.Order {
	case OrderCreated, OrderSSL, OrderSSLStatus, OrderHostname:
	default:
		return HostnameList{}, invalid(ReasonInvalidListQuery, "order", "Invalid order %q.", clipInput(string(o.Order)))
	}
	f := o.Filter
	q := store.HostnameQuery{
		ID:                 strings.ToLower(f.ID),
		NameExact:          strings.ToLower(f.NameExact),
		NameContains:       strings.ToLower(f.NameContains),
		NameStartsWith:     strings.ToLower(f.NameStartsWith),
		HostnameStatus:     f.HostnameStatus,
		SSLStatus:          f.SSLStatus,
		CertificateAuth:    strings.ToLower(f.CertificateAuthority),
		CustomOriginServer: normalizeOriginFilter(f.CustomOriginServer),
		Wildcard:           f.Wildcard,
		HasActiveSSL:       f.HasActiveSSL,
		Order:              store.HostnameOrder(o.Order),
		Desc:               o.Desc,
		Offset:             max(o.Offset, 0),
		Limit:              o.Limit,
	}
	page, err := s.st.ListHostnames(ctx, zoneID, q)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return HostnameList{}, storeError(err, "", ReasonZoneNotFound)
		}
		return HostnameList{}, fmt.Errorf("listing hostnames of zone %s: %w", zoneID, err)
	}
	if page.Hostnames == nil {
		page.Hostnames = []core.Hostname{}
	}
	return HostnameList{Hostnames: page.Hostnames, Total: page.Total}, nil
}

// normalizeOriginFilter spells an origin filter the way origins are stored,
// so that "Origin.Example.net" finds "origin.example.net".
func normalizeOriginFilter(v string) string {
	if v == "" {
		return ""
	}
	if o, err := dnsname.ParseOrigin(v); err == nil {
		return o.String()
	}
	return v
}
