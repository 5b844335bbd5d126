package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/store/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the pg_advisory_lock key that serialises migrations
// across nodes: "portico" in ASCII.
const migrationLock int64 = 0x706f727469636f

// migrate applies the embedded migrations the database lacks. It holds a
// session advisory lock meanwhile, so a second node starting at the same
// time waits, then finds them applied. Each migration runs in its own
// transaction with its bookkeeping row, so a failure leaves no half change.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	err = s.pool.with(ctx, func(c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
			return fmt.Errorf("taking the migration lock: %w", err)
		}
		// A failed unlock (the connection died) releases the lock anyway;
		// the pool then drops the connection.
		defer c.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock)

		if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("creating schema_migrations: %w", err)
		}
		var current int
		if err := c.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
			return fmt.Errorf("reading schema version: %w", err)
		}
		if n := len(ms); n > 0 && current > ms[n-1].Version {
			return fmt.Errorf("database schema version %d is newer than this binary's %d", current, ms[n-1].Version)
		}
		for _, m := range ms {
			if m.Version <= current {
				continue
			}
			err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, m.SQL); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
				return err
			})
			if err != nil {
				return fmt.Errorf("applying migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	return nil
}
