package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the driver the store uses

	"github.com/porticohq/portico/internal/core"
)

// sqliteDB is a SQLite file in a directory of its own. Its connection opens
// on first use, after the CLI has created and migrated the file.
type sqliteDB struct {
	dir, path string
	db        *sql.DB
}

func newSQLiteDB(dir string) *sqliteDB {
	return &sqliteDB{dir: dir, path: filepath.Join(dir, "portico.db")}
}

func (s *sqliteDB) Database() string { return "sqlite:" + s.path }

// conn opens the bulk connection: one connection, synchronous=OFF and a
// 256 MiB page cache, which only the seeding needs (the file is thrown away
// if the machine fails meanwhile). The node opens the file with its own
// settings (WAL, synchronous=FULL, 16 MiB cache).
func (s *sqliteDB) conn() (*sql.DB, error) {
	if s.db != nil {
		return s.db, nil
	}
	if _, err := os.Stat(s.path); err != nil {
		return nil, fmt.Errorf("SQLite file not created yet: %w", err)
	}
	params := url.Values{
		"_txlock": {"immediate"},
		"_pragma": {"busy_timeout(10000)", "foreign_keys(1)", "synchronous(OFF)", "cache_size(-262144)"},
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: filepath.ToSlash(s.path)}).EscapedPath()+"?"+params.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	s.db = db
	return db, nil
}

func (s *sqliteDB) Insert(ctx context.Context, n, batch int, next func(int) (core.Hostname, error), progress func(int)) error {
	db, err := s.conn()
	if err != nil {
		return err
	}
	insert := "INSERT INTO hostnames (" + strings.Join(hostnameColumns, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(hostnameColumns)-1) + ")"
	for start := 0; start < n; start += batch {
		err := func() error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			stmt, err := tx.PrepareContext(ctx, insert)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for i := start; i < min(start+batch, n); i++ {
				h, err := next(i)
				if err != nil {
					return err
				}
				if _, err := stmt.ExecContext(ctx, rowValues(h, unixMicros)...); err != nil {
					return fmt.Errorf("inserting %s: %w", h.Name, err)
				}
			}
			return tx.Commit()
		}()
		if err != nil {
			return fmt.Errorf("seeding rows %d..: %w", start, err)
		}
		progress(min(start+batch, n))
	}
	return nil
}

func (s *sqliteDB) Row(ctx context.Context, id string) (map[string]any, error) {
	db, err := s.conn()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT * FROM hostnames WHERE id = ?", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanOne(rows)
}

// scanOne returns the one row of rows as column -> value.
func scanOne(rows *sql.Rows) (map[string]any, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("no such row")
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(cols))
	for i, c := range cols {
		out[c] = vals[i]
	}
	return out, rows.Err()
}

func (s *sqliteDB) Counts(ctx context.Context, zoneID string) (int, int, error) {
	db, err := s.conn()
	if err != nil {
		return 0, 0, err
	}
	var stored, counted int
	if err := db.QueryRowContext(ctx, "SELECT hostname_count FROM zones WHERE id = ?", zoneID).Scan(&stored); err != nil {
		return 0, 0, err
	}
	err = db.QueryRowContext(ctx, "SELECT count(*) FROM hostnames WHERE zone_id = ?", zoneID).Scan(&counted)
	return stored, counted, err
}

func (s *sqliteDB) Settle(ctx context.Context) error {
	db, err := s.conn()
	if err != nil {
		return err
	}
	var busy, logged, done int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &done); err != nil {
		return fmt.Errorf("checkpointing: %w", err)
	}
	if busy != 0 {
		return errors.New("checkpointing: the WAL is in use")
	}
	return nil
}

// Size is the file plus its WAL (empty right after Settle).
func (s *sqliteDB) Size(context.Context) (int64, error) {
	var total int64
	for _, suffix := range []string{"", "-wal"} {
		fi, err := os.Stat(s.path + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		total += fi.Size()
	}
	return total, nil
}

// Tables reads the pages of each table and its indexes from dbstat; free
// pages are in no table.
func (s *sqliteDB) Tables(ctx context.Context) (map[string]int64, error) {
	db, err := s.conn()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT m.tbl_name, sum(d.pgsize) FROM dbstat d
		JOIN sqlite_schema m ON m.name = d.name GROUP BY m.tbl_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			return nil, err
		}
		out[name] = size
	}
	return out, rows.Err()
}

func (s *sqliteDB) Migrations(ctx context.Context) ([]string, error) {
	db, err := s.conn()
	if err != nil {
		return nil, err
	}
	return collect(db.QueryContext(ctx, "SELECT name FROM schema_migrations ORDER BY version"))
}

// collect returns the one text column of rows.
func collect(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *sqliteDB) Explain(ctx context.Context, query string, args ...any) (string, error) {
	db, err := s.conn()
	if err != nil {
		return "", err
	}
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s\n", detail)
	}
	return b.String(), rows.Err()
}

func (s *sqliteDB) Close(_ context.Context, keep bool) error {
	var err error
	if s.db != nil {
		err = s.db.Close()
	}
	if !keep {
		err = errors.Join(err, os.RemoveAll(s.dir))
	}
	return err
}
