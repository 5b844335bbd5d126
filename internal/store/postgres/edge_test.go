package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

func edgeTestZone(t *testing.T, s *Store) core.Zone {
	t.Helper()
	id := ident.ZoneID()
	z := core.Zone{ID: id, Name: id[:8] + ".example", CNAMETarget: "c.edge.example", CreatedAt: time.Now()}
	if err := s.CreateZone(t.Context(), z); err != nil {
		t.Fatal(err)
	}
	return z
}

func edgeTestHostname(zoneID, name string) core.Hostname {
	return core.Hostname{ID: ident.UUID(), ZoneID: zoneID, Name: name, Status: core.HostnamePending,
		OwnershipToken: ident.Secret128(), SSL: core.SSL{ID: ident.UUID(), Status: core.SSLInitializing},
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
}

// TestChangesOfAnOlderTransaction checks the case that makes the feed
// order by transaction: a transaction that wrote its change first but
// commits last must not end up behind a reader's cursor.
func TestChangesOfAnOlderTransaction(t *testing.T) {
	dsn, _ := newDatabase(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	z := edgeTestZone(t, s)
	cur, err := s.LatestChange(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The old transaction writes a hostname and stays open.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := edgeTestHostname(z.ID, "old.customer.example")
	if _, err := tx.Exec(ctx, insertHostname,
		append([]any{old.ID, old.ZoneID, old.Name, old.CreatedAt, int64(1)}, mutableArgs(old)...)...); err != nil {
		t.Fatal(err)
	}
	// A newer transaction commits meanwhile (in another zone: the open one
	// holds the row lock of its zone's hostname count).
	if err := s.CreateHostname(ctx, edgeTestHostname(edgeTestZone(t, s).ID, "new.customer.example")); err != nil {
		t.Fatal(err)
	}
	changes, err := s.ChangesSince(ctx, cur, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Name != "new.customer.example" || changes[0].Settled {
		t.Fatalf("with an older transaction open, changes = %+v; want new.customer.example, unsettled", changes)
	}
	// The reader keeps its cursor behind the unsettled change; once the old
	// transaction commits, both arrive, in transaction order, settled.
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Settled is judged against the oldest transaction of the whole
	// cluster, so a transaction of another test (or another package's
	// tests on the same server) can hold it back for a moment: wait a
	// bounded time for it to pass.
	for deadline := time.Now().Add(15 * time.Second); ; {
		if changes, err = s.ChangesSince(ctx, cur, 100); err != nil {
			t.Fatal(err)
		}
		if len(changes) == 2 && changes[0].Settled && changes[1].Settled || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var names []string
	for _, c := range changes {
		if !c.Settled {
			t.Errorf("change %s unsettled after every transaction ended", c.Name)
		}
		names = append(names, c.Name)
	}
	if len(names) != 2 || names[0] != "old.customer.example" || names[1] != "new.customer.example" {
		t.Errorf("changes after commit = %v, want old then new", names)
	}
}

// TestWatchChanges checks that a committed change reaches a watcher through
// NOTIFY, and that the watcher signals once it listens.
func TestWatchChanges(t *testing.T) {
	dsn, _ := newDatabase(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	ch := s.WatchChanges(ctx)
	wait := func(what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("no signal after %s", what)
		}
	}
	wait("listening")
	z := edgeTestZone(t, s)
	if err := s.CreateHostname(t.Context(), edgeTestHostname(z.ID, "notify.customer.example")); err != nil {
		t.Fatal(err)
	}
	wait("a hostname insert")
	if err := s.SetFallbackOrigin(t.Context(), z.ID, &core.FallbackOrigin{Origin: "o.example.net", Status: core.FallbackActive}); err != nil {
		t.Fatal(err)
	}
	wait("a fallback origin change")
	cancel()
	select {
	case _, ok := <-ch:
		for ok {
			_, ok = <-ch
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
	var _ store.ChangeNotifier = s
}
