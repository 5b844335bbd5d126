// Package postgres is Portico's PostgreSQL store, for deployments that run
// several nodes on one database. It speaks to the server through pgx/v5
// with a small connection pool, and applies its embedded migrations on Open
// under an advisory lock, so nodes starting together do not race.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/porticohq/portico/internal/store"
)

// Store is a store.Store on a PostgreSQL database. It is safe for concurrent
// use.
type Store struct {
	pool *pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database dsn names (a postgres:// URL or key=value
// string; pool_max_conns=N sets the pool size, default max(4, 2×GOMAXPROCS))
// and applies any pending migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	p, err := newPool(ctx, dsn, max(4, 2*runtime.GOMAXPROCS(0)))
	if err != nil {
		return nil, err
	}
	s := &Store{pool: p}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.close()
	return nil
}

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.with(ctx, func(c *pgx.Conn) error { return c.Ping(ctx) }); err != nil {
		return fmt.Errorf("pinging PostgreSQL: %w", err)
	}
	return nil
}

// exec runs one statement on a pooled connection.
func (s *Store) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		var err error
		tag, err = c.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

// tx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) tx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	return s.pool.with(ctx, func(c *pgx.Conn) error {
		return pgx.BeginTxFunc(ctx, c, opts, fn)
	})
}

// snapshot is the transaction mode for reads that make several queries:
// they all see one snapshot, so a list's total and its page agree.
var snapshot = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// PostgreSQL error codes the store translates.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

func errorCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// expectRows returns none when tag says no row changed: the compare-and-swap
// or the scoped lookup of the statement matched nothing.
// lockHostname takes the hostname's row lock as a transaction's first
// write. DeleteHostname's cascade locks the hostname and then the rows
// hanging off it (its check, certificates, ACME records); a transaction
// that wrote one of those first and the hostname second would deadlock
// against it, and PostgreSQL would abort one of the two (40P01).
// ErrNotFound when the zone has no such hostname.
func lockHostname(ctx context.Context, tx pgx.Tx, zoneID, id string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM hostnames WHERE zone_id = $1 AND id = $2 FOR NO KEY UPDATE", zoneID, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

func expectRows(tag pgconn.CommandTag, none error) error {
	if tag.RowsAffected() == 0 {
		return none
	}
	return nil
}

// utc returns t in UTC: pgx decodes timestamptz in the local zone.
func utc(t time.Time) time.Time { return t.UTC() }

// queryer is what *pgx.Conn and pgx.Tx share.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}
