// Package sqlite is Portico's embedded store: one SQLite file, driven by the
// pure-Go modernc.org/sqlite so that the binary needs no C toolchain.
//
// The file runs in WAL mode with synchronous=FULL (a committed write survives
// power loss) and foreign keys on. A Store holds two connection pools on the
// file: one writer connection, through which every write runs in a BEGIN
// IMMEDIATE transaction, and a pool of read-only connections. SQLite admits
// one writer at a time anyway; queueing writers on one connection in Go
// instead of letting them collide inside SQLite means no SQLITE_BUSY and no
// lock-upgrade deadlock between this process's own transactions, while WAL
// lets readers proceed during a write. Other processes on the same file
// (a second `portico migrate`, say) are waited for through busy_timeout.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/porticohq/portico/internal/store"
)

// Store is a store.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	w    *sql.DB // exactly one connection: every write
	r    *sql.DB // read-only connections: every read outside a write
	ckpt *checkpointer
}

var _ store.Store = (*Store)(nil)

// busyTimeout is how long a connection waits for another process's lock
// before SQLITE_BUSY. In-process writers queue on the writer pool instead.
const busyTimeout = 10 * time.Second

// Open opens (creating it and its directory, 0700, if needed) the database at
// path and applies any pending migrations. Two processes may Open one file at
// once: migrations run inside an IMMEDIATE transaction, so one applies them
// and the other then finds them applied.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("creating database directory: %w", err)
	}
	// Create the file ourselves so it is private (0600): it holds sealed keys
	// and token hashes. SQLite gives the -wal and -shm files the same mode.
	if f, err := os.OpenFile(abs, os.O_RDONLY|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("creating database file: %w", err)
	} else {
		f.Close()
	}
	w, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_txlock": {"immediate"},
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
			"journal_mode(WAL)",
			"synchronous(FULL)",
			// No checkpoint inside a commit: the checkpointer does it in
			// the background (see checkpoint.go).
			"wal_autocheckpoint(0)",
			"foreign_keys(1)",
			"cache_size(-16384)", // 16 MiB: index pages of a large zone stay hot
		},
	}))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	// Readers never change the file: query_only turns a stray write through
	// this pool into an error instead of a second writer.
	r, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
			"query_only(1)",
			"cache_size(-16384)",
		},
	}))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	// SQLite reads are CPU-bound once the pages are cached, but a reader
	// waiting on the disk leaves its core idle. Measured on 2 cores with a
	// million hostnames (mixed gets and pages, 16 callers): 1 reader 2,400
	// ops/s, 2: 3,900, 4: 4,900, 8: 3,600. Hence twice the cores.
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	s := &Store{w: w, r: r}
	if err := s.migrateWhenFree(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.ckpt, err = startCheckpointer(abs); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// migrateWhenFree runs migrate, again while it fails with SQLITE_BUSY, for
// up to busyTimeout. Processes that open one new file together race to
// switch it to WAL, and SQLite can answer the loser SQLITE_BUSY at once,
// without its busy handler (seen about once in a hundred concurrent opens
// in TestConcurrentOpen); once the file is in WAL mode, busy_timeout does
// the waiting.
func (s *Store) migrateWhenFree(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		err := s.migrate(ctx)
		if err == nil || errorCode(err)&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause + rand.N(pause)):
		}
	}
}

// dsn builds a modernc.org/sqlite URI for the file at abs. The path is
// escaped so that '?', '#' or '%' in a directory name stay part of it.
func dsn(abs string, params url.Values) string {
	return "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?" + params.Encode()
}

// Close closes both pools.
func (s *Store) Close() error {
	var err error
	if s.ckpt != nil {
		err = s.ckpt.stop()
	}
	return errors.Join(err, s.r.Close(), s.w.Close())
}

// Ping checks that the file can be read.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("pinging SQLite: %w", err)
	}
	return nil
}

// write runs fn in an IMMEDIATE transaction on the writer connection and
// commits it when fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning write: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// read runs fn in a read transaction, so that every query fn makes sees one
// snapshot of the file (a list's total and its page agree).
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("beginning read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// errorCode returns the extended SQLite result code in err's chain, or 0.
func errorCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	c := errorCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKeyViolation(err error) bool {
	return errorCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// micros is how a time is stored: unix microseconds, the precision the store
// contract promises and PostgreSQL keeps.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of micros, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// expectRows returns none when res changed no row: the compare-and-swap
// or the scoped lookup of the statement matched nothing.
func expectRows(res sql.Result, none error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("reading rows affected: %w", err)
	}
	if n == 0 {
		return none
	}
	return nil
}

// queryer is what *sql.DB and *sql.Tx share.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
