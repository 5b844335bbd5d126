package main

import (
	"context"
	"fmt"

	"github.com/porticohq/portico/internal/core"
)

// benchDB is a fresh database for one run, and the bulk paths into it that
// the node does not have.
type benchDB interface {
	// Database is the --database value for the node and the CLI.
	Database() string
	// Insert writes rows n rows in transactions (SQLite) or COPY chunks
	// (PostgreSQL) of batch rows; next(i) returns row i. The database's
	// count triggers keep the zone's hostname count, as on every insert.
	Insert(ctx context.Context, n, batch int, next func(i int) (core.Hostname, error), progress func(done int)) error
	// Row returns the stored values of one hostname, every column, to
	// compare encodings.
	Row(ctx context.Context, id string) (map[string]any, error)
	// Counts returns the zone's stored hostname count and the rows counted.
	Counts(ctx context.Context, zoneID string) (stored, rows int, err error)
	// Settle makes the files what a long-running database's would be:
	// SQLite folds the WAL into the file; PostgreSQL runs VACUUM ANALYZE,
	// as autovacuum does after a bulk insert.
	Settle(ctx context.Context) error
	// Size returns the bytes the database takes on disk.
	Size(ctx context.Context) (int64, error)
	// Tables returns the bytes each table takes with its indexes.
	Tables(ctx context.Context) (map[string]int64, error)
	// Migrations returns the names of the applied migrations: which
	// schema the figures are for.
	Migrations(ctx context.Context) ([]string, error)
	// Explain returns the query plan of query.
	Explain(ctx context.Context, query string, args ...any) (string, error)
	// Close releases the database and, unless keep, deletes it.
	Close(ctx context.Context, keep bool) error
}

// openBenchDB creates a fresh database: a SQLite file in dir, or a new
// PostgreSQL database on the server that admin (a DSN) names.
func openBenchDB(ctx context.Context, backend, dir, admin string) (benchDB, error) {
	switch backend {
	case "sqlite":
		return newSQLiteDB(dir), nil
	case "postgres":
		return newPostgresDB(ctx, admin)
	}
	return nil, fmt.Errorf("unknown backend %q: want sqlite or postgres", backend)
}
