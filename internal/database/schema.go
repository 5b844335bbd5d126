package database

import (
	"context"
	"fmt"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/store/postgres"
	"github.com/porticohq/portico/internal/store/sqlite"
)

// Schema is where a database's schema stands against this binary.
type Schema struct {
	// Current is the newest migration applied (0: none).
	Current int
	// Latest is the newest migration this binary embeds.
	Latest int
}

// Pending reports whether Open would apply migrations.
func (s Schema) Pending() bool { return s.Current < s.Latest }

// Newer reports whether a newer binary has migrated the database: this one
// refuses to open it.
func (s Schema) Newer() bool { return s.Current > s.Latest }

// SchemaVersion reads the schema version of the database cfg names without
// opening it as a store: nothing is created or migrated. A SQLite file that
// does not exist is an error wrapping fs.ErrNotExist.
func SchemaVersion(ctx context.Context, cfg config.Store) (Schema, error) {
	if err := cfg.Validate(); err != nil {
		return Schema{}, err
	}
	var s Schema
	var err error
	if cfg.IsPostgres() {
		s.Current, s.Latest, err = postgres.SchemaVersion(ctx, cfg.Database)
		if err != nil {
			return s, fmt.Errorf("PostgreSQL: %w", err)
		}
		return s, nil
	}
	s.Current, s.Latest, err = sqlite.SchemaVersion(ctx, cfg.SQLitePath())
	if err != nil {
		return s, fmt.Errorf("SQLite %s: %w", cfg.SQLitePath(), err)
	}
	return s, nil
}
