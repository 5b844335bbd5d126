package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/clock"
)

// ChallengeStore is where challenge responses are published for every
// node: store.Issuances implements it.
type ChallengeStore interface {
	PutHTTPChallenge(ctx context.Context, identifier, token, keyAuth string, expires time.Time) error
	DeleteHTTPChallenge(ctx context.Context, identifier, token string) error
	AddDCVValue(ctx context.Context, label, value string, expires time.Time) error
	RemoveDCVValue(ctx context.Context, label, value string) error
}

// LocalChallenges is this node's in-memory HTTP-01 set (edge.Challenges),
// which answers without a database read; optional.
type LocalChallenges interface {
	Put(identifier, token, keyAuth string)
	Delete(identifier, token string)
}

// challengeTTL is how long a published response lives when its cleanup is
// lost (a crash between validation and cleanup): longer than any
// validation, short enough that stale values do not pile up.
const challengeTTL = 2 * time.Hour

// Publisher is the acme.ChallengePublisher of a node: responses go to the
// database, which every node's edge and DNS server read, and to the local
// edge's memory. Once the database write commits, every node answers, so
// Present returns only then (acme's contract).
type Publisher struct {
	Store ChallengeStore
	Local LocalChallenges // may be nil
	Clock clock.Clock
}

var _ acme.ChallengePublisher = (*Publisher)(nil)

// PresentHTTP implements acme.ChallengePublisher.
func (p *Publisher) PresentHTTP(ctx context.Context, identifier, token, keyAuth string) error {
	if err := p.Store.PutHTTPChallenge(ctx, identifier, token, keyAuth, p.Clock.Now().Add(challengeTTL)); err != nil {
		return fmt.Errorf("publishing the HTTP-01 response for %s: %w", identifier, err)
	}
	if p.Local != nil {
		p.Local.Put(identifier, token, keyAuth)
	}
	return nil
}

// CleanupHTTP implements acme.ChallengePublisher.
func (p *Publisher) CleanupHTTP(ctx context.Context, identifier, token string) error {
	if p.Local != nil {
		p.Local.Delete(identifier, token)
	}
	return p.Store.DeleteHTTPChallenge(ctx, identifier, token)
}

// PresentDNS implements acme.ChallengePublisher.
func (p *Publisher) PresentDNS(ctx context.Context, label, value string) error {
	if err := p.Store.AddDCVValue(ctx, label, value, p.Clock.Now().Add(challengeTTL)); err != nil {
		return fmt.Errorf("publishing the DNS-01 value under %s: %w", label, err)
	}
	return nil
}

// CleanupDNS implements acme.ChallengePublisher.
func (p *Publisher) CleanupDNS(ctx context.Context, label, value string) error {
	return p.Store.RemoveDCVValue(ctx, label, value)
}
