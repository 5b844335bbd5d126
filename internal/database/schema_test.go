package database

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/testkit/pgtest"
)

// TestSchemaVersion reads the schema version before and after Open on both
// databases, and checks that reading it creates and migrates nothing.
func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var cfg config.Store
			var path string
			if backend == "postgres" {
				cfg.Database = pgtest.NewDatabase(t)
			} else {
				path = filepath.Join(t.TempDir(), "p.db")
				cfg.Database = "sqlite:" + path
				if _, err := SchemaVersion(ctx, cfg); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("missing file: %v, want fs.ErrNotExist", err)
				}
				if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("SchemaVersion created the file: %v", err)
				}
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before, err := SchemaVersion(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if before.Current != 0 || before.Latest < 1 || !before.Pending() || before.Newer() {
				t.Fatalf("empty database: %+v", before)
			}
			if again, err := SchemaVersion(ctx, cfg); err != nil || again != before {
				t.Fatalf("second read migrated something: %+v, %v", again, err)
			}
			st, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
			after, err := SchemaVersion(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if after.Current != after.Latest || after.Pending() || after.Newer() {
				t.Fatalf("after Open: %+v", after)
			}
		})
	}
}
