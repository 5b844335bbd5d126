package sqlite

import (
	"database/sql"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// checkpointInterval is how often the background checkpointer copies the
// write-ahead log into the database file.
const checkpointInterval = time.Second

// checkpointer moves WAL checkpoints out of the request path. SQLite's
// default auto-checkpoint runs inside the commit that crosses 1,000 WAL
// pages, so about one create in 65 paid 8-15 ms for it (bench/README.md: the
// whole p99 of create at a million hostnames). The writer connection turns
// auto-checkpoints off; this goroutine runs a PASSIVE checkpoint on its own
// connection, which never waits for readers or the writer, so the WAL stays
// small without any request paying for it.
type checkpointer struct {
	db       *sql.DB
	done     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

func startCheckpointer(abs string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds())},
	}))
	if err != nil {
		return nil, fmt.Errorf("opening the checkpoint connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, done: make(chan struct{})}
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer c.wg.Done()
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			// A failed checkpoint is retried on the next tick; the WAL
			// only grows meanwhile, no data is at risk.
			_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// stop ends the loop. No final checkpoint is needed: SQLite folds the WAL
// into the file when the last connection to it closes.
// It is safe to call more than once (Store.Close may be).
func (c *checkpointer) stop() error {
	c.stopOnce.Do(func() {
		close(c.done)
		c.wg.Wait()
		c.stopErr = c.db.Close()
	})
	return c.stopErr
}
