package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/porticohq/portico/internal/store/internal/migration"
)

// SchemaVersion reports, without changing anything, the newest migration
// applied to the database file at path (0 when none) and the newest this
// binary embeds. A missing file is an error wrapping fs.ErrNotExist: unlike
// Open, it creates nothing. It is for `portico doctor`, which must not
// migrate a database it only inspects.
func SchemaVersion(ctx context.Context, path string) (current, latest int, err error) {
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		return 0, 0, err
	}
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, latest, fmt.Errorf("resolving %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return 0, latest, err
	}
	// mode=rw never creates the file; query_only refuses any write. (Not
	// mode=ro: a read-only connection cannot set up the WAL index when no
	// other process has the file open.)
	db, err := sql.Open("sqlite", dsn(abs, url.Values{
		"mode":    {"rw"},
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "query_only(1)"},
	}))
	if err != nil {
		return 0, latest, fmt.Errorf("opening %s: %w", abs, err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&tables); err != nil {
		return 0, latest, fmt.Errorf("reading %s: %w", abs, err)
	}
	if tables == 0 {
		return 0, latest, nil
	}
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return 0, latest, fmt.Errorf("reading the schema version: %w", err)
	}
	return current, latest, nil
}
