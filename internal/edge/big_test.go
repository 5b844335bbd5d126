package edge

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store/sqlite"
)

// TestBigIndex measures what a large store costs the edge: seed
// PORTICO_EDGE_BIG active hostnames (e.g. 1000000) in SQLite, then time
// the index load and a cold route load, and weigh the index. Opt-in: the
// seeding takes a while.
func TestBigIndex(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PORTICO_EDGE_BIG"))
	if n <= 0 {
		t.Skip("set PORTICO_EDGE_BIG=1000000 to measure")
	}
	path := filepath.Join(t.TempDir(), "big.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	z := core.Zone{ID: ident.ZoneID(), Name: "big-saas.com", CNAMETarget: "c.big-saas.com", CreatedAt: time.Now()}
	if err := st.CreateZone(t.Context(), z); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	seedActive(t, path, z.ID, n)
	t.Logf("seeded %d active hostnames in %v", n, time.Since(start).Round(time.Second))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e := New(Config{}, st, nil, clock.Real{}, nil, nil)
	start = time.Now()
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	started := time.Since(start)
	<-e.Ready()
	loaded := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("Start returned in %v; index of %d names loaded in %v; heap +%d MiB (%d bytes a name)",
		started.Round(time.Microsecond), e.index.Load().len(), loaded.Round(time.Millisecond),
		(after.HeapAlloc-before.HeapAlloc)>>20, (after.HeapAlloc-before.HeapAlloc)/uint64(n))

	ctx := context.Background()
	for _, name := range []string{fmt.Sprintf("h%d.big-customer.com", n/2), fmt.Sprintf("h%d.big-customer.com", n/3)} {
		t0 := time.Now()
		r := e.resolve(ctx, name)
		cold := time.Since(t0)
		t0 = time.Now()
		e.resolve(ctx, name)
		hot := time.Since(t0)
		t.Logf("%s: cold load %v, cached %v (route found: %v)", name, cold, hot, r != nil)
	}
	t0 := time.Now()
	const misses = 100_000
	for i := range misses {
		e.resolve(ctx, "x"+strconv.Itoa(i)+".unknown-big.com")
	}
	t.Logf("unknown name rejected in %v each", time.Since(t0)/misses)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = e.Shutdown(sctx)
}

// seedActive inserts n active hostnames in one statement.
func seedActive(t *testing.T, path, zoneID string, n int) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(t.Context(), `INSERT INTO hostnames (id, zone_id, name, status, ownership_token,
		custom_origin_server, custom_origin_sni, ssl_id, ssl_type, ssl_method, ssl_status, ssl_wildcard, ssl_ca,
		ssl_bundle_method, created_at, updated_at, version)
	WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
	SELECT printf('%08x-0000-4000-8000-000000000000', i), ?, 'h' || i || '.big-customer.com', 'active', 'tok',
		'', '', printf('%08x-0000-4000-8000-000000000001', i), 'dv', 'http', 'active', 0, '', 'ubiquitous', 0, 0, 1
	FROM c`, n, zoneID)
	if err != nil {
		t.Fatal(err)
	}
}
