package sqlite

import (
	"database/sql"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/store/internal/migration"
)

// TestUpgradeTo0004 opens a file that has hostnames from before migration
// 0004: they read back without a DCV label, and the label index admits
// them all (their labels are NULL, not a repeated "").
func TestUpgradeTo0004(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portico.db")
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, url.Values{}))
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{"CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT"}
	for _, m := range ms {
		if m.Version < 4 {
			stmts = append(stmts, m.SQL, "INSERT INTO schema_migrations VALUES ("+strconv.Itoa(m.Version)+", '"+m.Name+"', 0)")
		}
	}
	stmts = append(stmts, "INSERT INTO zones (id, name, cname_target, no_wildcards, created_at) VALUES ('z', 'saas.example', 'c.saas.example', 0, 0)")
	for _, id := range []string{"a", "b"} {
		stmts = append(stmts, "INSERT INTO hostnames (id, zone_id, name, status, ownership_token, custom_origin_server,"+
			" custom_origin_sni, ssl_id, ssl_type, ssl_method, ssl_status, ssl_wildcard, ssl_ca, ssl_bundle_method,"+
			" created_at, updated_at, version) VALUES ('"+id+"', 'z', '"+id+".customer.example', 'active', 't', '', '',"+
			" 's"+id+"', 'dv', 'http', 'active', 0, '', 'ubiquitous', 0, 0, 1)")
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open of a 0003 file: %v", err)
	}
	defer s.Close()
	for _, id := range []string{"a", "b"} {
		h, err := s.GetHostname(t.Context(), "z", id)
		if err != nil || h.SSL.DCVLabel != "" {
			t.Errorf("hostname %s after the upgrade: %v, label %q", id, err, h.SSL.DCVLabel)
		}
	}
	if _, ok, err := s.DCVValues(t.Context(), "", time.Now()); err != nil || ok {
		t.Errorf("the empty label: %v, %v; want NXDOMAIN", ok, err)
	}
}
