package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/store/internal/migration"
)

// SchemaVersion reports, without changing anything, the newest migration
// applied to the database dsn names (0 when none) and the newest this binary
// embeds. Unlike Open, it neither migrates nor waits for the migration lock.
// It is for `portico doctor`, which must not migrate a database it only
// inspects.
func SchemaVersion(ctx context.Context, dsn string) (current, latest int, err error) {
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		return 0, 0, err
	}
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	p, err := newPool(ctx, dsn, 1)
	if err != nil {
		return 0, latest, err
	}
	defer p.close()
	err = p.with(ctx, func(c *pgx.Conn) error {
		var exists bool
		if err := c.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return nil
		}
		return c.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current)
	})
	if err != nil {
		return 0, latest, fmt.Errorf("reading the schema version: %w", err)
	}
	return current, latest, nil
}
