package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	var created int64
	err := s.r.QueryRowContext(ctx, "SELECT key_ciphertext, url, email, created_at FROM acme_accounts"+
		" WHERE ca = ? AND directory_url = ?", ca, directoryURL).Scan(&a.KeyCiphertext, &a.URL, &a.Email, &created)
	if errors.Is(err, sql.ErrNoRows) {
		err = acme.ErrNotFound
	}
	if err != nil {
		return acme.Account{}, fmt.Errorf("getting the ACME account for %s: %w", ca, err)
	}
	a.CreatedAt = fromMicros(created)
	return a, nil
}

// CreateAccount stores a new account; acme.ErrConflict when (a.CA,
// a.DirectoryURL) has one.
func (s *Store) CreateAccount(ctx context.Context, a acme.Account) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO acme_accounts (ca, directory_url, key_ciphertext, url, email, created_at)"+
			" VALUES (?, ?, ?, ?, ?, ?)", a.CA, a.DirectoryURL, a.KeyCiphertext, a.URL, a.Email, micros(a.CreatedAt))
		if isUniqueViolation(err) {
			return acme.ErrConflict
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("creating the ACME account for %s: %w", a.CA, err)
	}
	return nil
}

// SetAccountURL records the account's URL; acme.ErrNotFound when there is
// no account.
func (s *Store) SetAccountURL(ctx context.Context, ca, directoryURL, url string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE acme_accounts SET url = ? WHERE ca = ? AND directory_url = ?",
			url, ca, directoryURL)
		if err != nil {
			return err
		}
		return expectRows(res, acme.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("setting the URL of the ACME account for %s: %w", ca, err)
	}
	return nil
}

// PutHTTPChallenge stores (or replaces) an HTTP-01 response, and drops the
// identifier's long-dead ones (see staleChallengeAge): a crash between
// put and delete leaves rows that the next issuance for the name clears.
func (s *Store) PutHTTPChallenge(ctx context.Context, identifier, token, keyAuth string, expires time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM acme_http_challenges WHERE identifier = ? AND expires_at < ?",
			identifier, micros(expires.Add(-staleChallengeAge))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO acme_http_challenges (identifier, token, key_auth, expires_at)"+
			" VALUES (?, ?, ?, ?) ON CONFLICT (identifier, token) DO UPDATE SET"+
			" key_auth = excluded.key_auth, expires_at = excluded.expires_at",
			identifier, token, keyAuth, micros(expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("putting the HTTP-01 challenge of %s: %w", identifier, err)
	}
	return nil
}

// DeleteHTTPChallenge removes one; nil when it does not exist.
func (s *Store) DeleteHTTPChallenge(ctx context.Context, identifier, token string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM acme_http_challenges WHERE identifier = ? AND token = ?", identifier, token)
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting the HTTP-01 challenge of %s: %w", identifier, err)
	}
	return nil
}

// HTTPChallenge returns the key authorization of (identifier, token) when
// it exists and has not expired at now.
func (s *Store) HTTPChallenge(ctx context.Context, identifier, token string, now time.Time) (string, bool, error) {
	var keyAuth string
	err := s.r.QueryRowContext(ctx, "SELECT key_auth FROM acme_http_challenges"+
		" WHERE identifier = ? AND token = ? AND expires_at > ?", identifier, token, micros(now)).Scan(&keyAuth)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading the HTTP-01 challenge of %s: %w", identifier, err)
	}
	return keyAuth, true, nil
}

// AddDCVValue adds value under label until expires (or extends it), and
// drops the label's long-dead values (see staleChallengeAge). store.ErrNotFound when no hostname has
// the label: the foreign key refuses it.
func (s *Store) AddDCVValue(ctx context.Context, label, value string, expires time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM dcv_values WHERE label = ? AND expires_at < ?",
			label, micros(expires.Add(-staleChallengeAge))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO dcv_values (label, value, expires_at) VALUES (?, ?, ?)"+
			" ON CONFLICT (label, value) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
			label, value, micros(expires))
		if isForeignKeyViolation(err) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("adding a DCV value under %s: %w", label, err)
	}
	return nil
}

// RemoveDCVValue removes one value; nil when it is not there.
func (s *Store) RemoveDCVValue(ctx context.Context, label, value string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM dcv_values WHERE label = ? AND value = ?", label, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("removing a DCV value under %s: %w", label, err)
	}
	return nil
}

// DCVValues returns label's values unexpired at now, in value order, and
// whether a hostname has the label. One snapshot answers both.
func (s *Store) DCVValues(ctx context.Context, label string, now time.Time) ([]string, bool, error) {
	var (
		values []string
		ok     bool
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM hostnames WHERE ssl_dcv_label = ?)",
			label).Scan(&ok); err != nil || !ok {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT value FROM dcv_values WHERE label = ? AND expires_at > ? ORDER BY value",
			label, micros(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return err
			}
			values = append(values, v)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading the DCV values of %s: %w", label, err)
	}
	return values, ok, nil
}
