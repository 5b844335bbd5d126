package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/store/storetest"
)

// TestBig seeds a zone with PORTICO_STORE_BIG hostnames (1 = a million) and
// logs what the product's latency bounds are about, and the bytes per
// hostname (the bound is 2 KB). Set PORTICO_STORE_BIG_DIR to keep the file.
func TestBig(t *testing.T) {
	n := storetest.BigSize(t)
	dir := os.Getenv("PORTICO_STORE_BIG_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "big.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()

	if c, _ := s.CountHostnames(ctx, storetest.BigZone().ID); c < n {
		start := time.Now()
		if err := s.CreateZone(ctx, storetest.BigZone()); err != nil {
			t.Fatal(err)
		}
		seed(t, s, n)
		t.Logf("seeded %d hostnames in %v", n, time.Since(start).Round(time.Second))
	}
	// Fold the WAL into the file, so that its size is the data's.
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("file %d MB, %d bytes per hostname", fi.Size()>>20, fi.Size()/int64(n))
	logIndexSizes(t, s)
	storetest.MeasureBig(t, s, n)
}

// seed bulk-inserts hostnames 0..n-1 in transactions of 50,000 rows through
// one prepared statement: the same rows CreateHostname writes, without a
// commit (and an fsync) per row.
func seed(t *testing.T, s *Store, n int) {
	const batch = 50_000
	ctx := t.Context()
	for start := 0; start < n; start += batch {
		err := s.write(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, insertHostname)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for i := start; i < min(start+batch, n); i++ {
				h := storetest.BigHostname(i)
				if _, err := stmt.ExecContext(ctx, append([]any{h.ID, h.ZoneID, h.Name, micros(h.CreatedAt), int64(1)},
					mutableArgs(h)...)...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seeding: %v", err)
		}
	}
}

// logIndexSizes logs the bytes each table and index takes, from dbstat when
// the build has it.
func logIndexSizes(t *testing.T, s *Store) {
	rows, err := s.r.QueryContext(context.Background(),
		"SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
	if err != nil {
		t.Logf("no dbstat: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var size int64
		if rows.Scan(&name, &size) == nil && size > 1<<20 {
			t.Logf("  %-28s %5d MB", name, size>>20)
		}
	}
}
