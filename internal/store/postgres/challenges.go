package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/store"
)

// staleChallengeAge is how much older than a new response's expiry an old
// response of the same name must expire to be dropped when the new one is
// put. The store has no clock of its own: the caller's times are the only
// ones it compares, and every response lives much less than this (the
// lifecycle gives them two hours), so such a one expired long ago.
const staleChallengeAge = 7 * 24 * time.Hour

// GetAccount returns the account of (ca, directoryURL); acme.ErrNotFound
// when there is none.
func (s *Store) GetAccount(ctx context.Context, ca, directoryURL string) (acme.Account, error) {
	a := acme.Account{CA: ca, DirectoryURL: directoryURL}
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		err := c.QueryRow(ctx, "SELECT key_ciphertext, url, email, created_at FROM acme_accounts"+
			" WHERE ca = $1 AND directory_url = $2", ca, directoryURL).Scan(&a.KeyCiphertext, &a.URL, &a.Email, &a.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return acme.ErrNotFound
		}
		return err
	})
	if err != nil {
		return acme.Account{}, fmt.Errorf("getting the ACME account for %s: %w", ca, err)
	}
	a.CreatedAt = utc(a.CreatedAt)
	return a, nil
}

// CreateAccount stores a new account; acme.ErrConflict when (a.CA,
// a.DirectoryURL) has one.
func (s *Store) CreateAccount(ctx context.Context, a acme.Account) error {
	_, err := s.exec(ctx, "INSERT INTO acme_accounts (ca, directory_url, key_ciphertext, url, email, created_at)"+
		" VALUES ($1, $2, $3, $4, $5, $6)", a.CA, a.DirectoryURL, a.KeyCiphertext, a.URL, a.Email, a.CreatedAt)
	if errorCode(err) == uniqueViolation {
		err = acme.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("creating the ACME account for %s: %w", a.CA, err)
	}
	return nil
}

// SetAccountURL records the account's URL; acme.ErrNotFound when there is
// no account.
func (s *Store) SetAccountURL(ctx context.Context, ca, directoryURL, url string) error {
	tag, err := s.exec(ctx, "UPDATE acme_accounts SET url = $1 WHERE ca = $2 AND directory_url = $3", url, ca, directoryURL)
	if err == nil {
		err = expectRows(tag, acme.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("setting the URL of the ACME account for %s: %w", ca, err)
	}
	return nil
}

// PutHTTPChallenge stores (or replaces) an HTTP-01 response, and drops the
// identifier's long-dead ones (see staleChallengeAge): a crash between put
// and delete leaves rows that the next issuance for the name clears.
func (s *Store) PutHTTPChallenge(ctx context.Context, identifier, token, keyAuth string, expires time.Time) error {
	_, err := s.exec(ctx, `WITH prune AS (
		DELETE FROM acme_http_challenges WHERE identifier = $1 AND expires_at < $5 AND token <> $2)
	INSERT INTO acme_http_challenges (identifier, token, key_auth, expires_at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (identifier, token) DO UPDATE SET key_auth = excluded.key_auth, expires_at = excluded.expires_at`,
		identifier, token, keyAuth, expires, expires.Add(-staleChallengeAge))
	if err != nil {
		return fmt.Errorf("putting the HTTP-01 challenge of %s: %w", identifier, err)
	}
	return nil
}

// DeleteHTTPChallenge removes one; nil when it does not exist.
func (s *Store) DeleteHTTPChallenge(ctx context.Context, identifier, token string) error {
	if _, err := s.exec(ctx, "DELETE FROM acme_http_challenges WHERE identifier = $1 AND token = $2", identifier, token); err != nil {
		return fmt.Errorf("deleting the HTTP-01 challenge of %s: %w", identifier, err)
	}
	return nil
}

// HTTPChallenge returns the key authorization of (identifier, token) when
// it exists and has not expired at now.
func (s *Store) HTTPChallenge(ctx context.Context, identifier, token string, now time.Time) (string, bool, error) {
	var keyAuth string
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT key_auth FROM acme_http_challenges"+
			" WHERE identifier = $1 AND token = $2 AND expires_at > $3", identifier, token, now).Scan(&keyAuth)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading the HTTP-01 challenge of %s: %w", identifier, err)
	}
	return keyAuth, true, nil
}

// AddDCVValue adds value under label until expires (or extends it), and
// drops the label's long-dead values (see staleChallengeAge).
// store.ErrNotFound when no hostname has the label: the foreign key
// refuses it.
func (s *Store) AddDCVValue(ctx context.Context, label, value string, expires time.Time) error {
	_, err := s.exec(ctx, `WITH prune AS (
		DELETE FROM dcv_values WHERE label = $1 AND expires_at < $4 AND value <> $2)
	INSERT INTO dcv_values (label, value, expires_at) VALUES ($1, $2, $3)
	ON CONFLICT (label, value) DO UPDATE SET expires_at = greatest(dcv_values.expires_at, excluded.expires_at)`,
		label, value, expires, expires.Add(-staleChallengeAge))
	if errorCode(err) == foreignKeyViolation {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("adding a DCV value under %s: %w", label, err)
	}
	return nil
}

// RemoveDCVValue removes one value; nil when it is not there.
func (s *Store) RemoveDCVValue(ctx context.Context, label, value string) error {
	if _, err := s.exec(ctx, "DELETE FROM dcv_values WHERE label = $1 AND value = $2", label, value); err != nil {
		return fmt.Errorf("removing a DCV value under %s: %w", label, err)
	}
	return nil
}

// DCVValues returns label's values unexpired at now, in value order, and
// whether a hostname has the label, from one statement (one snapshot).
func (s *Store) DCVValues(ctx context.Context, label string, now time.Time) ([]string, bool, error) {
	var (
		values []string
		ok     bool
	)
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hostnames WHERE ssl_dcv_label = $1),
			ARRAY(SELECT value FROM dcv_values WHERE label = $1 AND expires_at > $2 ORDER BY value)`,
			label, now).Scan(&ok, &values)
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading the DCV values of %s: %w", label, err)
	}
	if !ok || len(values) == 0 {
		values = nil
	}
	return values, ok, nil
}
