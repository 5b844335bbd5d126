package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/internal/migration"
	"github.com/porticohq/portico/internal/store/storetest"
)

// adminDSN returns the DSN of PORTICO_TEST_POSTGRES, a database on a server
// where the tests may create and drop databases. Without it the tests skip,
// except under CI, where a missing database is a failure.
func adminDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("PORTICO_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PORTICO_TEST_POSTGRES is not set (required under CI)")
		}
		t.Skip("PORTICO_TEST_POSTGRES is not set")
	}
	return dsn
}

// newDatabase creates a database with a random name for one test and drops
// it when the test ends; it returns the new database's DSN and name.
func newDatabase(t *testing.T) (dsn, name string) {
	t.Helper()
	admin := adminDSN(t)
	var b [8]byte
	rand.Read(b[:])
	name = "portico_test_" + hex.EncodeToString(b[:])
	execAdmin(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() {
		execAdmin(t, admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+name+"' AND pid <> pg_backend_pid()")
		execAdmin(t, admin, "DROP DATABASE IF EXISTS "+name)
	})
	return withDatabase(t, admin, name), name
}

func execAdmin(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to PORTICO_TEST_POSTGRES: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// withDatabase returns dsn naming database name instead.
func withDatabase(t *testing.T, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parsing PORTICO_TEST_POSTGRES: %v", err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name // key=value form: the last setting wins
}

func openTest(t *testing.T) store.Store {
	t.Helper()
	dsn, _ := newDatabase(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	adminDSN(t)
	storetest.Run(t, openTest)
}

// TestConcurrentOpen opens one new database from several stores at once, as
// nodes starting together would: the advisory lock lets one migrate and
// the others find the schema applied.
func TestConcurrentOpen(t *testing.T) {
	dsn, _ := newDatabase(t)
	const n = 4
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var applied int
	if err := c.QueryRow(t.Context(), "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(ms) {
		t.Errorf("schema_migrations has %d rows, want one per migration (%d)", applied, len(ms))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn, _ := newDatabase(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	execAdmin(t, dsn, "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')")
	if s, err := Open(t.Context(), dsn); err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer binary succeeded")
	}
}

func TestPoolSize(t *testing.T) {
	dsn, _ := newDatabase(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	s, err := Open(t.Context(), dsn+sep+"pool_max_conns=2")
	if err != nil {
		t.Fatalf("Open with pool_max_conns: %v", err)
	}
	defer s.Close()
	if got := s.pool.size(); got != 2 {
		t.Errorf("pool size = %d, want 2", got)
	}
	// More callers than connections queue, and all get through.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := s.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
		})
	}
	wg.Wait()
	if _, err := Open(t.Context(), dsn+sep+"pool_max_conns=zero"); err == nil {
		t.Error("Open accepted pool_max_conns=zero")
	}
}

// TestPoolRecovers checks that the pool drops connections a cancelled call
// or the server closed, instead of handing them out again.
func TestPoolRecovers(t *testing.T) {
	dsn, name := newDatabase(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.pool.idlePing.Store(0) // ping on every reuse, so the test need not wait

	t.Run("cancelled mid-query", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err := s.pool.with(ctx, func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, "SELECT pg_sleep(10)")
			return err
		})
		if err == nil {
			t.Fatal("pg_sleep(10) under a 50ms deadline succeeded")
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping after a cancelled query: %v", err)
		}
	})
	t.Run("server closed the connections", func(t *testing.T) {
		// Fill the pool with idle connections, then have the server end them.
		var wg sync.WaitGroup
		for range s.pool.size() {
			wg.Go(func() { s.Ping(t.Context()) })
		}
		wg.Wait()
		execAdmin(t, adminDSN(t), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+name+"'")
		for range s.pool.size() + 1 {
			if _, err := s.CountHostnames(t.Context(), "z"); err != nil {
				t.Fatalf("CountHostnames after the server closed the connections: %v", err)
			}
		}
	})
}
