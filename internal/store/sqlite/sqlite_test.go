package sqlite

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/internal/migration"
	"github.com/porticohq/portico/internal/store/storetest"
)

func openTest(t *testing.T) store.Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "data", "portico.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTest)
}

func TestOpenSettings(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?#%", "nested")
	s, err := Open(t.Context(), filepath.Join(dir, "portico.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode = %v, want 0700", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(dir, "portico.db")); err != nil {
		t.Errorf("database file not at the path given: %v", err)
	}
	pragmas := []struct {
		db   *sql.DB
		name string
		want string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "synchronous", "2"}, // FULL
		{s.w, "foreign_keys", "1"},
		{s.w, "busy_timeout", "10000"},
		{s.r, "query_only", "1"},
		{s.r, "busy_timeout", "10000"},
	}
	for _, p := range pragmas {
		var got string
		if err := p.db.QueryRowContext(t.Context(), "PRAGMA "+p.name).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", p.name, err)
		}
		if got != p.want {
			t.Errorf("PRAGMA %s = %q, want %q", p.name, got, p.want)
		}
	}
	if _, err := s.r.ExecContext(t.Context(), "DELETE FROM zones"); err == nil {
		t.Error("a write through the reader pool succeeded")
	}
}

// TestConcurrentOpen opens one new file from several stores at once, as
// two processes starting together would: each must come up with the schema
// applied exactly once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portico.db")
	const n = 4
	errs := make(chan error, n)
	stores := make(chan *Store, n)
	for range n {
		go func() {
			s, err := Open(t.Context(), path)
			errs <- err
			stores <- s
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
		if s := <-stores; s != nil {
			defer s.Close()
		}
	}
	s, err := Open(t.Context(), path) // and again, with nothing to apply
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer s.Close()
	var versions, applied int
	if err := s.r.QueryRowContext(t.Context(), "SELECT count(*), count(DISTINCT version) FROM schema_migrations").
		Scan(&applied, &versions); err != nil {
		t.Fatal(err)
	}
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(ms) || versions != len(ms) {
		t.Errorf("schema_migrations has %d rows for %d versions, want %d", applied, versions, len(ms))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portico.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(t.Context(), "INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(t.Context(), path); err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer binary succeeded")
	}
}

// TestTwoWritersOneFile writes through two stores on one file at once, as
// two processes would: IMMEDIATE transactions queue on the file's write lock
// (busy_timeout) instead of failing with SQLITE_BUSY on a lock upgrade.
func TestTwoWritersOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portico.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	z := core.Zone{ID: ident.ZoneID(), Name: "two.example", CNAMETarget: "c.two.example"}
	if err := stores[0].CreateZone(t.Context(), z); err != nil {
		t.Fatal(err)
	}
	const perStore = 25
	var wg sync.WaitGroup
	for i, s := range stores {
		for j := range perStore {
			wg.Go(func() {
				h := core.Hostname{ID: ident.UUID(), ZoneID: z.ID, Name: fmt.Sprintf("w%d-%d.customer.example", i, j),
					Status: core.HostnamePending, SSL: core.SSL{ID: ident.UUID(), Status: core.SSLInitializing}}
				if err := s.CreateHostname(t.Context(), h); err != nil {
					t.Errorf("CreateHostname: %v", err)
				}
			})
		}
	}
	wg.Wait()
	for _, s := range stores {
		if n, err := s.CountHostnames(t.Context(), z.ID); err != nil || n != 2*perStore {
			t.Errorf("CountHostnames = %d, %v; want %d", n, err, 2*perStore)
		}
	}
}
