package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
)

// newFallback validates origin and returns the fallback origin to store. The
// status is active at once: the edge reads the fallback from the store, so
// there is no deployment step to wait for. prev keeps the creation time when
// the origin is replaced.
func (s *Service) newFallback(origin string, prev *core.FallbackOrigin, now time.Time) (core.FallbackOrigin, error) {
	o, err := dnsname.ParseOrigin(origin)
	if err != nil {
		return core.FallbackOrigin{}, nameError(ReasonInvalidFallback, "origin", err)
	}
	fo := core.FallbackOrigin{Origin: o.String(), Status: core.FallbackActive, CreatedAt: now, UpdatedAt: now}
	if prev != nil && !prev.CreatedAt.IsZero() {
		fo.CreatedAt = prev.CreatedAt
	}
	return fo, nil
}

// GetFallbackOrigin returns the zone's fallback origin;
// fallback_origin_not_found when none is set.
func (s *Service) GetFallbackOrigin(ctx context.Context, zoneID string) (core.FallbackOrigin, error) {
	z, err := s.GetZone(ctx, zoneID)
	if err != nil {
		return core.FallbackOrigin{}, err
	}
	if z.Fallback == nil {
		return core.FallbackOrigin{}, &core.Error{Kind: core.KindNotFound, Reason: ReasonFallbackOriginNotFound,
			Public: notFoundText(ReasonFallbackOriginNotFound)}
	}
	return *z.Fallback, nil
}

// SetFallbackOrigin sets or replaces the zone's fallback origin.
func (s *Service) SetFallbackOrigin(ctx context.Context, zoneID, origin string) (core.FallbackOrigin, error) {
	z, err := s.GetZone(ctx, zoneID)
	if err != nil {
		return core.FallbackOrigin{}, err
	}
	fo, err := s.newFallback(origin, z.Fallback, s.now())
	if err != nil {
		return core.FallbackOrigin{}, err
	}
	if err := s.st.SetFallbackOrigin(ctx, zoneID, &fo); err != nil {
		return core.FallbackOrigin{}, storeError(err, "setting the fallback origin of zone "+zoneID, ReasonZoneNotFound)
	}
	from := ""
	if z.Fallback != nil {
		from = z.Fallback.Origin
	}
	s.auditZone(ctx, EventFallbackOriginSet, zoneID, slog.String("from", from), slog.String("to", fo.Origin))
	return fo, nil
}

// DeleteFallbackOrigin removes the zone's fallback origin. It is idempotent:
// with none set it succeeds and returns the zero value. Otherwise it returns
// the removed origin with status pending_deletion, the status Cloudflare
// reports for a fallback being removed.
func (s *Service) DeleteFallbackOrigin(ctx context.Context, zoneID string) (core.FallbackOrigin, error) {
	z, err := s.GetZone(ctx, zoneID)
	if err != nil {
		return core.FallbackOrigin{}, err
	}
	if z.Fallback == nil {
		return core.FallbackOrigin{}, nil
	}
	if err := s.st.SetFallbackOrigin(ctx, zoneID, nil); err != nil {
		return core.FallbackOrigin{}, storeError(err, "removing the fallback origin of zone "+zoneID, ReasonZoneNotFound)
	}
	s.auditZone(ctx, EventFallbackOriginDelete, zoneID, slog.String("from", z.Fallback.Origin), slog.String("to", ""))
	fo := *z.Fallback
	fo.Status = core.FallbackPendingDeletion
	fo.UpdatedAt = s.now()
	return fo, nil
}
