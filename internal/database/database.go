// Package database opens the configured store: embedded SQLite or
// PostgreSQL, chosen by the --database setting. Opening applies migrations,
// so every command works on a fresh database.
package database

import (
	"context"
	"fmt"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/postgres"
	"github.com/porticohq/portico/internal/store/sqlite"
)

// Open opens (and migrates) the store that cfg names.
func Open(ctx context.Context, cfg config.Store) (store.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.IsPostgres() {
		st, err := postgres.Open(ctx, cfg.Database)
		if err != nil {
			return nil, fmt.Errorf("opening PostgreSQL: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, cfg.SQLitePath())
	if err != nil {
		return nil, fmt.Errorf("opening SQLite %s: %w", cfg.SQLitePath(), err)
	}
	return st, nil
}
