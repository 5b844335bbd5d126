package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the NOTIFY channel the 0003_edge triggers signal on.
const changesChannel = "portico_edge_changes"

// WatchChanges listens for change feed notifications on a connection of
// its own (outside the pool, which it would otherwise hold forever). After
// each (re)connection it signals once, since notifications sent while it
// was disconnected are lost; the reader then polls and catches up. It
// reconnects with backoff (100 ms doubling to 10 s) until ctx ends, then
// closes the channel.
func (s *Store) WatchChanges(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	signal := func() {
		select {
		case ch <- struct{}{}:
		default: // one pending signal is enough: the reader reads everything new
		}
	}
	cfg := s.pool.p.Config().ConnConfig.Copy()
	go func() {
		defer close(ch)
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			if s.listenOnce(ctx, cfg, signal) {
				backoff = 100 * time.Millisecond
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
		}
	}()
	return ch
}

// listenOnce connects, listens and forwards notifications until the
// connection fails or ctx ends. It reports whether it got as far as
// listening, so that the caller resets its backoff.
func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, signal func()) bool {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return false
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return false
	}
	signal()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true
		}
		signal()
	}
}
