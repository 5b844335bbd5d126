package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

// ZoneInput is what CreateZone needs.
type ZoneInput struct {
	// Name is the provider's own domain, e.g. saasprovider.com. Required.
	Name string
	// CNAMETarget is what customers point their CNAME at, e.g.
	// customers.saasprovider.com. Required.
	CNAMETarget string
	// FallbackOrigin is where hostnames without a custom origin go: host,
	// host:port or http(s)://host[:port]. Optional.
	FallbackOrigin string
	// NoWildcards refuses wildcard custom hostnames (and ssl.wildcard).
	NoWildcards bool
}

// CreateZone validates in and stores a new zone with a fresh 32-hex id.
func (s *Service) CreateZone(ctx context.Context, in ZoneInput) (core.Zone, error) {
	// Zone names are the provider's own names, so no provider-zone policy
	// applies; wildcards make no sense for either.
	name, err := dnsname.Parse(in.Name, dnsname.Policy{})
	if err != nil {
		return core.Zone{}, nameError(ReasonInvalidZoneName, "name", err)
	}
	target, err := dnsname.Parse(in.CNAMETarget, dnsname.Policy{})
	if err != nil {
		return core.Zone{}, nameError(ReasonInvalidCNAMETarget, "cname_target", err)
	}
	now := s.now()
	z := core.Zone{
		ID:          ident.ZoneID(),
		Name:        name.String(),
		CNAMETarget: target.String(),
		NoWildcards: in.NoWildcards,
		CreatedAt:   now,
	}
	if in.FallbackOrigin != "" {
		fo, err := s.newFallback(in.FallbackOrigin, nil, now)
		if err != nil {
			return core.Zone{}, err
		}
		z.Fallback = &fo
	}
	if err := s.st.CreateZone(ctx, z); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// A 128-bit random id collided: retrying is the whole fix, but
			// it never happens, so report it rather than loop.
			return core.Zone{}, fmt.Errorf("creating zone %s: %w", z.Name, err)
		}
		return core.Zone{}, storeError(err, "creating zone "+z.Name, ReasonZoneNotFound)
	}
	s.auditZone(ctx, EventZoneCreated, z.ID, slog.String("zone_name", z.Name), slog.String("cname_target", z.CNAMETarget))
	return z, nil
}

// ListZones returns every zone.
func (s *Service) ListZones(ctx context.Context) ([]core.Zone, error) {
	zones, err := s.st.ListZones(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing zones: %w", err)
	}
	return zones, nil
}

// GetZone returns one zone; KindNotFound (zone_not_found) when it does not exist.
func (s *Service) GetZone(ctx context.Context, id string) (core.Zone, error) {
	z, err := s.st.GetZone(ctx, id)
	if err != nil {
		return core.Zone{}, storeError(err, "reading zone "+id, ReasonZoneNotFound)
	}
	return z, nil
}

// policy is the hostname policy of a zone: wildcards as the zone allows, and
// none of the provider's own names (the zone, the CNAME target's registrable
// domain, the DCV zone), so that no tenant can claim them (threat model A11).
func (s *Service) policy(z core.Zone) dnsname.Policy {
	p := dnsname.Policy{AllowWildcard: !z.NoWildcards}
	for _, d := range []string{z.Name, z.CNAMETarget, s.cfg.DCVZone} {
		if d == "" {
			continue
		}
		if d == z.CNAMETarget {
			// The whole registrable domain of the target is the provider's:
			// customers.saas-edge.net protects saas-edge.net and its subtree.
			if rd, err := dnsname.RegistrableDomain(d); err == nil {
				d = rd
			}
		}
		p.ProviderDomains = append(p.ProviderDomains, d)
	}
	return p
}

// Quota is a zone's hostname allowance.
type Quota struct {
	// Limit is the most hostnames the zone may hold; 0 when Unlimited.
	Limit int
	// Used is how many it holds.
	Used int
	// Unlimited is true when no quota is configured.
	Unlimited bool
}

// Exceeded reports whether no further hostname may be created.
func (q Quota) Exceeded() bool { return !q.Unlimited && q.Used >= q.Limit }

// Quota returns the zone's hostname quota and use.
func (s *Service) Quota(ctx context.Context, zoneID string) (Quota, error) {
	if _, err := s.GetZone(ctx, zoneID); err != nil {
		return Quota{}, err
	}
	n, err := s.st.CountHostnames(ctx, zoneID)
	if err != nil {
		return Quota{}, fmt.Errorf("counting hostnames of zone %s: %w", zoneID, err)
	}
	return Quota{Limit: s.cfg.QuotaPerZone, Used: n, Unlimited: s.cfg.QuotaPerZone <= 0}, nil
}
