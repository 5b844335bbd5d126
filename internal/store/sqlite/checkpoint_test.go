package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// TestBackgroundCheckpoint: with auto-checkpoints off, the WAL is still
// folded into the database file, by the checkpointer while open and by
// SQLite when the store closes.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&mode); err != nil || mode != "0" {
		t.Fatalf("wal_autocheckpoint = %q, %v; want 0", mode, err)
	}
	before := fileSize(t, path)
	for i := range 400 {
		z := core.Zone{ID: fmt.Sprintf("%032x", i), Name: "saasprovider.com", CNAMETarget: "customers.saasprovider.com", CreatedAt: time.Now()}
		if err := s.CreateZone(ctx, z); err != nil {
			t.Fatal(err)
		}
	}
	// Commits only append to the WAL; the database file grows only when a
	// checkpoint copies pages into it, which here only the checkpointer does.
	deadline := time.Now().Add(20 * checkpointInterval)
	for fileSize(t, path) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes: no background checkpoint", before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err == nil {
		// A second Close must not panic; database/sql may report it closed.
		t.Log("second Close: ok")
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Errorf("WAL left with %d bytes after Close", fi.Size())
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
