package doctor_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/porticohq/portico/internal/doctor"
	"github.com/porticohq/portico/internal/testkit/pgtest"
)

// TestDatabase checks the schema against this binary without migrating it,
// on SQLite and PostgreSQL.
func TestDatabase(t *testing.T) {
	quiet := []string{"--api-listen", "127.0.0.1:0", "--https-listen", "off", "--http-listen", "off", "--resolver", "127.0.0.1:1"}
	// sqliteWith makes a migrated SQLite database with a zone, then runs
	// stmt on it directly.
	sqliteWith := func(t *testing.T, stmt string) string {
		dir := t.TempDir()
		path := filepath.Join(dir, "portico.db")
		cliRun(t, "zone", "create", "--name", zoneName, "--cname-target", target, "--database", "sqlite:"+path,
			"--master-key-file", filepath.Join(dir, "master.key"))
		if stmt != "" {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		return path
	}
	version := func(t *testing.T, path string) int {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v int
		if err := db.QueryRow("SELECT max(version) FROM schema_migrations").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("pending migrations are not applied", func(t *testing.T) {
		path := sqliteWith(t, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
		before := version(t, path)
		code, rep := runDoctor(t, nil, append([]string{"--database", "sqlite:" + path}, quiet...)...)
		expect(t, rep, "database", "sqlite:", doctor.Warn, "serve applies the pending migrations")
		if code != 0 {
			t.Errorf("exit %d: pending migrations are a warning", code)
		}
		if rs := results(rep, "cname_target", ""); len(rs) != 0 {
			t.Errorf("zones were read from a database behind its migrations: %+v", rs)
		}
		if after := version(t, path); after != before {
			t.Errorf("doctor migrated the database: version %d -> %d", before, after)
		}
	})
	t.Run("newer schema", func(t *testing.T) {
		path := sqliteWith(t, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)")
		code, rep := runDoctor(t, nil, append([]string{"--database", "sqlite:" + path}, quiet...)...)
		expect(t, rep, "database", "sqlite:", doctor.Fail, "schema version 9999 is newer than this binary's")
		if code == 0 {
			t.Error("exit 0 with a failed check")
		}
	})
	t.Run("file readable by others", func(t *testing.T) {
		path := sqliteWith(t, "")
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		_, rep := runDoctor(t, nil, append([]string{"--database", "sqlite:" + path}, quiet...)...)
		expect(t, rep, "database", "sqlite:", doctor.Warn, "mode 0644")
	})
	t.Run("not a database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "portico.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("not sqlite ", 100)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, rep := runDoctor(t, nil, append([]string{"--database", "sqlite:" + path}, quiet...)...)
		expect(t, rep, "database", "sqlite:", doctor.Fail, "cannot be read")
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		cliRun(t, "zone", "create", "--name", zoneName, "--cname-target", target, "--database", dsn,
			"--master-key-file", filepath.Join(t.TempDir(), "master.key"))
		_, rep := runDoctor(t, nil, append([]string{"--database", dsn, "--master-key-file", filepath.Join(t.TempDir(), "k")}, quiet...)...)
		expect(t, rep, "database", "postgres", doctor.OK, "(current), 1 zone")
	})
	t.Run("postgres unreachable", func(t *testing.T) {
		dsn := "postgres://portico:s3cret-pw@127.0.0.1:1/portico?sslmode=disable&connect_timeout=1"
		code, rep := runDoctor(t, nil, append([]string{"--database", dsn, "--master-key-file", filepath.Join(t.TempDir(), "k")}, quiet...)...)
		r := expect(t, rep, "database", "postgres://portico:xxxxx@127.0.0.1:1/", doctor.Fail, "cannot be read")
		if code == 0 || strings.Contains(r.Message+r.Subject+r.Fix, "s3cret") {
			t.Errorf("exit %d, result %+v: must fail without showing the password", code, r)
		}
	})
}
