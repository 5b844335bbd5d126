package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/porticohq/portico/internal/apitoken"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// CreateToken issues an API token for a zone. The token string is returned
// once and never stored or logged; the store keeps only its hash.
func (s *Service) CreateToken(ctx context.Context, zoneID string) (string, core.APIToken, error) {
	if _, err := s.GetZone(ctx, zoneID); err != nil {
		return "", core.APIToken{}, err
	}
	token, id, hash := apitoken.New()
	t := core.APIToken{ID: id, ZoneID: zoneID, SecretHash: hash, CreatedAt: s.now()}
	if err := s.st.CreateToken(ctx, t); err != nil {
		return "", core.APIToken{}, fmt.Errorf("storing token %s for zone %s: %w", id, zoneID, err)
	}
	s.auditZone(ctx, EventTokenCreated, zoneID, slog.String("token_id", id))
	return token, t, nil
}

// errUnauthorized is the one answer to every bad credential: malformed,
// unknown id or wrong secret look the same to the caller.
func errUnauthorized(cause error) error {
	return &core.Error{Kind: core.KindUnauthorized, Reason: ReasonUnauthorized,
		Public: "Invalid API token.", Err: cause}
}

// Authenticate checks a token and returns it (its ZoneID is the only zone the
// caller may see). Every credential failure is the same KindUnauthorized
// error. A store failure other than "not found" is not the caller's fault and
// is returned as an internal error, so that a database outage does not look
// like a revoked token. The token itself is never logged or wrapped.
func (s *Service) Authenticate(ctx context.Context, token string) (core.APIToken, error) {
	id, secret, err := apitoken.Parse(token)
	if err != nil {
		return core.APIToken{}, errUnauthorized(errors.New("malformed token"))
	}
	t, err := s.st.GetToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return core.APIToken{}, errUnauthorized(fmt.Errorf("unknown token id %s", id))
	}
	if err != nil {
		return core.APIToken{}, fmt.Errorf("reading token %s: %w", id, err)
	}
	if !apitoken.Verify(t.SecretHash, secret) {
		return core.APIToken{}, errUnauthorized(fmt.Errorf("wrong secret for token id %s", id))
	}
	return t, nil
}
