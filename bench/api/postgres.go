package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/core"
)

// postgresDB is a database of its own, portico_bench_<random>, on the
// server of an admin DSN; Close drops it.
type postgresDB struct {
	admin, name, dsn string
	conn             *pgx.Conn
}

func newPostgresDB(ctx context.Context, admin string) (*postgresDB, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	p := &postgresDB{admin: admin, name: "portico_bench_" + hex.EncodeToString(b[:])}
	u, err := url.Parse(admin)
	if err != nil {
		return nil, fmt.Errorf("parsing the PostgreSQL DSN: %w", err)
	}
	u.Path = "/" + p.name
	p.dsn = u.String()
	if err := p.adminExec(ctx, "CREATE DATABASE "+p.name); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *postgresDB) adminExec(ctx context.Context, sql string) error {
	c, err := pgx.Connect(ctx, p.admin)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

func (p *postgresDB) Database() string { return p.dsn }

// c connects on first use, after the CLI has migrated the database.
func (p *postgresDB) c(ctx context.Context) (*pgx.Conn, error) {
	if p.conn != nil {
		return p.conn, nil
	}
	c, err := pgx.Connect(ctx, p.dsn)
	if err != nil {
		return nil, err
	}
	p.conn = c
	return c, nil
}

func (p *postgresDB) Insert(ctx context.Context, n, batch int, next func(int) (core.Hostname, error), progress func(int)) error {
	c, err := p.c(ctx)
	if err != nil {
		return err
	}
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		_, err := c.CopyFrom(ctx, pgx.Identifier{"hostnames"}, hostnameColumns,
			pgx.CopyFromSlice(end-start, func(i int) ([]any, error) {
				h, err := next(start + i)
				if err != nil {
					return nil, err
				}
				return rowValues(h, timestamp), nil
			}))
		if err != nil {
			return fmt.Errorf("seeding rows %d..%d: %w", start, end, err)
		}
		progress(end)
	}
	return nil
}

func (p *postgresDB) Row(ctx context.Context, id string) (map[string]any, error) {
	c, err := p.c(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, "SELECT * FROM hostnames WHERE id = $1", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("no such row")
	}
	vals, err := rows.Values()
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(vals))
	for i, f := range rows.FieldDescriptions() {
		out[f.Name] = vals[i]
	}
	return out, rows.Err()
}

func (p *postgresDB) Counts(ctx context.Context, zoneID string) (int, int, error) {
	c, err := p.c(ctx)
	if err != nil {
		return 0, 0, err
	}
	var stored, counted int
	if err := c.QueryRow(ctx, "SELECT hostname_count FROM zones WHERE id = $1", zoneID).Scan(&stored); err != nil {
		return 0, 0, err
	}
	err = c.QueryRow(ctx, "SELECT count(*) FROM hostnames WHERE zone_id = $1", zoneID).Scan(&counted)
	return stored, counted, err
}

func (p *postgresDB) Settle(ctx context.Context) error {
	c, err := p.c(ctx)
	if err != nil {
		return err
	}
	_, err = c.Exec(ctx, "VACUUM ANALYZE")
	return err
}

// Size is pg_database_size: tables, indexes, TOAST and the catalogs.
func (p *postgresDB) Size(ctx context.Context) (int64, error) {
	c, err := p.c(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	err = c.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&total)
	return total, err
}

func (p *postgresDB) Tables(ctx context.Context) (map[string]int64, error) {
	c, err := p.c(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`)
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

func (p *postgresDB) Migrations(ctx context.Context) ([]string, error) {
	c, err := p.c(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, "SELECT name FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (p *postgresDB) Explain(ctx context.Context, query string, args ...any) (string, error) {
	c, err := p.c(ctx)
	if err != nil {
		return "", err
	}
	rows, err := c.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}

func (p *postgresDB) Close(ctx context.Context, keep bool) error {
	var err error
	if p.conn != nil {
		err = p.conn.Close(ctx)
	}
	if !keep {
		err = errors.Join(err, p.adminExec(ctx, "DROP DATABASE IF EXISTS "+p.name+" WITH (FORCE)"))
	}
	return err
}
