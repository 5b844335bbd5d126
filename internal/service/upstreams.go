package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// Reasons of the upstream errors (core.Error.Reason).
const (
	ReasonUpstreamNotFound     = "upstream_not_found"
	ReasonUpstreamHostRequired = "upstream_host_required"
	ReasonInvalidUpstreamHost  = "invalid_upstream_host"
	ReasonInvalidUpstreamPort  = "invalid_upstream_port"
	ReasonInvalidPrependPath   = "invalid_prepend_path"
	ReasonDuplicateUpstream    = "duplicate_upstream"
	ReasonUpstreamInUse        = "upstream_in_use"
)

// Audit events of upstreams.
const (
	EventUpstreamCreated = "upstream_created"
	EventUpstreamUpdated = "upstream_updated"
	EventUpstreamDeleted = "upstream_deleted"
)

// MaxPrependPath caps an upstream's prepend_path.
const MaxPrependPath = 256

// UpstreamInput creates or edits an upstream. Nil fields are absent: on
// create they take the defaults, on edit they keep the stored value.
type UpstreamInput struct {
	// Host is host, host:port or http(s)://host[:port] (IP literals too).
	// A scheme sets TLS and a port sets Port, unless those are given too
	// and differ, which is refused.
	Host *string
	// Port defaults to 443 with TLS and 80 without.
	Port *int
	// TLS defaults to true: the origin speaks HTTPS, its certificate
	// verified against the system roots.
	TLS *bool
	// PrependPath is "" or an absolute path ("/app"): letters, digits and
	// -._~!$&'()*+,;=:@ between slashes, no empty, "." or ".." segment, no
	// escapes, at most MaxPrependPath bytes. A trailing slash is dropped.
	PrependPath *string
}

// UpstreamList is one page of upstreams and the number matching in all.
type UpstreamList struct {
	Upstreams []core.Upstream
	Total     int
}

// customDomains returns the store's custom domain state.
func (s *Service) customDomains() (store.CustomDomains, error) {
	cd, ok := s.st.(store.CustomDomains)
	if !ok {
		return nil, fmt.Errorf("the %T store keeps no upstreams", s.st)
	}
	return cd, nil
}

// CreateUpstream validates in and stores a new upstream of the zone.
func (s *Service) CreateUpstream(ctx context.Context, zoneID string, in UpstreamInput) (core.Upstream, error) {
	cd, err := s.customDomains()
	if err != nil {
		return core.Upstream{}, err
	}
	if _, err := s.GetZone(ctx, zoneID); err != nil {
		return core.Upstream{}, err
	}
	now := s.now()
	u := core.Upstream{ID: ident.UUID(), ZoneID: zoneID, TLS: true, CreatedAt: now, UpdatedAt: now}
	if in.Host == nil || strings.TrimSpace(*in.Host) == "" {
		return core.Upstream{}, invalid(ReasonUpstreamHostRequired, "host", "host is required: the host name of your application, e.g. app.mysaas.com.")
	}
	if err := applyUpstream(&u, in, true); err != nil {
		return core.Upstream{}, err
	}
	if err := cd.CreateUpstream(ctx, u); err != nil {
		return core.Upstream{}, upstreamStoreError(err, "creating upstream "+u.Host)
	}
	s.auditUpstream(ctx, EventUpstreamCreated, u)
	return u, nil
}

// GetUpstream returns one upstream of the zone; upstream_not_found when the
// zone has none of that id.
func (s *Service) GetUpstream(ctx context.Context, zoneID, id string) (core.Upstream, error) {
	cd, err := s.customDomains()
	if err != nil {
		return core.Upstream{}, err
	}
	u, err := cd.GetUpstream(ctx, zoneID, strings.ToLower(id))
	if err != nil {
		return core.Upstream{}, upstreamStoreError(err, "reading upstream "+id)
	}
	return u, nil
}

// ListUpstreams returns one page of the zone's upstreams, oldest first;
// host, when not empty, keeps those of that host.
func (s *Service) ListUpstreams(ctx context.Context, zoneID, host string, offset, limit int) (UpstreamList, error) {
	cd, err := s.customDomains()
	if err != nil {
		return UpstreamList{}, err
	}
	if _, err := s.GetZone(ctx, zoneID); err != nil {
		return UpstreamList{}, err
	}
	q := store.UpstreamQuery{Offset: max(offset, 0), Limit: limit}
	if host != "" {
		// Spell the filter as hosts are stored; one that does not parse
		// matches nothing.
		o, err := dnsname.ParseOrigin(host)
		if err != nil {
			return UpstreamList{Upstreams: []core.Upstream{}}, nil
		}
		q.Host = o.Host
	}
	page, err := cd.ListUpstreams(ctx, zoneID, q)
	if err != nil {
		return UpstreamList{}, fmt.Errorf("listing upstreams of zone %s: %w", zoneID, err)
	}
	if page.Upstreams == nil {
		page.Upstreams = []core.Upstream{}
	}
	return UpstreamList{Upstreams: page.Upstreams, Total: page.Total}, nil
}

// UpdateUpstream applies in to an upstream of the zone. The edge routes
// every custom domain of the upstream by the new values within a second.
func (s *Service) UpdateUpstream(ctx context.Context, zoneID, id string, in UpstreamInput) (core.Upstream, error) {
	cd, err := s.customDomains()
	if err != nil {
		return core.Upstream{}, err
	}
	u, err := s.GetUpstream(ctx, zoneID, id)
	if err != nil {
		return core.Upstream{}, err
	}
	next := u
	if in.Host != nil && strings.TrimSpace(*in.Host) == "" {
		return core.Upstream{}, invalid(ReasonUpstreamHostRequired, "host", "host cannot be empty.")
	}
	if err := applyUpstream(&next, in, false); err != nil {
		return core.Upstream{}, err
	}
	if next == u {
		return u, nil
	}
	next.UpdatedAt = s.now()
	if err := cd.UpdateUpstream(ctx, next); err != nil {
		return core.Upstream{}, upstreamStoreError(err, "updating upstream "+u.ID)
	}
	// The edge learns of the change from the change feed (a trigger
	// writes an entry for every hostname of the upstream).
	s.auditUpstream(ctx, EventUpstreamUpdated, next)
	return next, nil
}

// DeleteUpstream removes an upstream of the zone and returns it.
// upstream_in_use while custom domains route to it: delete those first.
func (s *Service) DeleteUpstream(ctx context.Context, zoneID, id string) (core.Upstream, error) {
	cd, err := s.customDomains()
	if err != nil {
		return core.Upstream{}, err
	}
	u, err := s.GetUpstream(ctx, zoneID, id)
	if err != nil {
		return core.Upstream{}, err
	}
	if err := cd.DeleteUpstream(ctx, zoneID, u.ID); err != nil {
		return core.Upstream{}, upstreamStoreError(err, "deleting upstream "+u.ID)
	}
	s.auditUpstream(ctx, EventUpstreamDeleted, u)
	return u, nil
}

// applyUpstream validates in and writes it into u. create says whether
// absent fields take defaults (a port follows TLS when not given).
func applyUpstream(u *core.Upstream, in UpstreamInput, create bool) error {
	var schemeTLS *bool
	var hostPort *int
	if in.Host != nil {
		o, err := dnsname.ParseOrigin(strings.TrimSpace(*in.Host))
		if err != nil {
			return nameError(ReasonInvalidUpstreamHost, "host", err)
		}
		u.Host = o.Host
		if o.Scheme != "" {
			v := o.Scheme == "https"
			schemeTLS = &v
		}
		if o.Port != "" {
			p, err := strconv.Atoi(o.Port)
			if err != nil {
				return invalid(ReasonInvalidUpstreamPort, "host", "The port in host %q is not a number.", clipInput(*in.Host))
			}
			hostPort = &p
		}
	}
	switch {
	case in.TLS != nil && schemeTLS != nil && *in.TLS != *schemeTLS:
		return invalid(ReasonInvalidUpstreamHost, "tls", "host says %s but tls is %t: send one or the other.",
			map[bool]string{true: "https://", false: "http://"}[*schemeTLS], *in.TLS)
	case in.TLS != nil:
		u.TLS = *in.TLS
	case schemeTLS != nil:
		u.TLS = *schemeTLS
	}
	port := in.Port
	switch {
	case in.Port != nil && hostPort != nil && *in.Port != *hostPort:
		return invalid(ReasonInvalidUpstreamPort, "port", "host names port %d but port is %d: send one or the other.", *hostPort, *in.Port)
	case port == nil:
		port = hostPort
	}
	switch {
	case port != nil:
		if *port < 1 || *port > 65535 {
			return invalid(ReasonInvalidUpstreamPort, "port", "port must be between 1 and 65535, not %d.", *port)
		}
		u.Port = *port
	case create && u.TLS:
		u.Port = 443
	case create:
		u.Port = 80
	}
	if in.PrependPath != nil {
		p, err := cleanPrependPath(*in.PrependPath)
		if err != nil {
			return err
		}
		u.PrependPath = p
	}
	return nil
}

// cleanPrependPath checks a prepend_path and returns it without its
// trailing slash ("/" is ""). The characters allowed are those a path
// segment may hold unescaped (RFC 3986 pchar without '%'), so the edge can
// prefix it to a request path as it is, raw or decoded.
func cleanPrependPath(p string) (string, error) {
	bad := func(why string) error {
		return invalid(ReasonInvalidPrependPath, "prepend_path", "Invalid prepend_path %q: %s.", clipInput(p), why)
	}
	if p == "" || p == "/" {
		return "", nil
	}
	if len(p) > MaxPrependPath {
		return "", bad(fmt.Sprintf("at most %d bytes", MaxPrependPath))
	}
	if p[0] != '/' {
		return "", bad("it must start with /")
	}
	p = strings.TrimSuffix(p, "/")
	for _, seg := range strings.Split(p[1:], "/") {
		switch seg {
		case "":
			return "", bad("empty path segments (//) are not allowed")
		case ".", "..":
			return "", bad(". and .. segments are not allowed")
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0) {
				return "", bad("only letters, digits and -._~!$&'()*+,;=:@ may appear between slashes")
			}
		}
	}
	return p, nil
}

// upstreamStoreError maps the store's upstream errors.
func upstreamStoreError(err error, op string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &core.Error{Kind: core.KindNotFound, Reason: ReasonUpstreamNotFound, Public: "Upstream not found.", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &core.Error{Kind: core.KindConflict, Reason: ReasonDuplicateUpstream, Field: "host",
			Public: "This account already has an upstream with this host, port, TLS setting and prepend_path.", Err: err}
	case errors.Is(err, store.ErrInUse):
		return &core.Error{Kind: core.KindConflict, Reason: ReasonUpstreamInUse,
			Public: "Custom domains still route to this upstream: delete them first.", Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (s *Service) auditUpstream(ctx context.Context, event string, u core.Upstream) {
	s.auditZone(ctx, event, u.ZoneID, slog.String("upstream_id", u.ID), slog.String("host", u.Host),
		slog.Int("port", u.Port), slog.Bool("tls", u.TLS), slog.String("prepend_path", u.PrependPath))
}
