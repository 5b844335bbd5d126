package postgres

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/store/storetest"
)

// TestBig seeds a zone with PORTICO_STORE_BIG hostnames (1 = a million) and
// logs what the product's latency bounds are about, and the bytes per
// hostname. With PORTICO_STORE_BIG_KEEP set it uses (and keeps) a database
// named portico_big, so that a second run skips the seeding.
func TestBig(t *testing.T) {
	n := storetest.BigSize(t)
	var dsn string
	if os.Getenv("PORTICO_STORE_BIG_KEEP") != "" {
		admin := adminDSN(t)
		var exists bool
		c, err := pgx.Connect(t.Context(), admin)
		if err != nil {
			t.Fatal(err)
		}
		c.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'portico_big')").Scan(&exists)
		c.Close(context.Background())
		if !exists {
			execAdmin(t, admin, "CREATE DATABASE portico_big")
		}
		dsn = withDatabase(t, admin, "portico_big")
	} else {
		dsn, _ = newDatabase(t)
	}
	s, err := Open(t.Context(), dsn)
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
	err = s.pool.with(ctx, func(c *pgx.Conn) error {
		// What autovacuum would have done by the time a zone holds a
		// million hostnames: statistics, and a visibility map for
		// index-only scans.
		if _, err := c.Exec(ctx, "VACUUM ANALYZE hostnames"); err != nil {
			return err
		}
		rows, err := c.Query(ctx, `SELECT relname, pg_total_relation_size(oid) FROM pg_class
			WHERE relname LIKE 'hostnames%' OR relname = 'certificates' ORDER BY 2 DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var size int64
			if err := rows.Scan(&name, &size); err != nil {
				return err
			}
			if name == "hostnames" {
				t.Logf("hostnames with indexes and TOAST: %d MB, %d bytes per hostname", size>>20, size/int64(n))
			} else if size > 1<<20 {
				t.Logf("  %-28s %5d MB", name, size>>20)
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MeasureBig(t, s, n)
}

// seed COPYs hostnames 0..n-1 in chunks of 100,000 rows: the same rows
// CreateHostname writes, at bulk speed. The count trigger is per statement,
// so each COPY updates the zone's count once.
func seed(t *testing.T, s *Store, n int) {
	const chunk = 100_000
	cols := strings.Split(strings.ReplaceAll(hostnameColumns, " ", ""), ",")
	ctx := t.Context()
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		err := s.pool.with(ctx, func(c *pgx.Conn) error {
			_, err := c.CopyFrom(ctx, pgx.Identifier{"hostnames"}, cols,
				pgx.CopyFromSlice(end-start, func(i int) ([]any, error) {
					h := storetest.BigHostname(start + i)
					return append([]any{h.ID, h.ZoneID, h.Name, h.CreatedAt, int64(1)}, mutableArgs(h)...), nil
				}))
			return err
		})
		if err != nil {
			t.Fatalf("seeding: %v", err)
		}
	}
}
