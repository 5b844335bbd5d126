package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pool wraps pgxpool with the one call the store uses: run fn on a pooled
// connection. pgxpool bounds the connections (pool_max_conns in the DSN),
// health-checks idle ones and drops those a failed or cancelled call left
// in doubt.
type pool struct {
	p *pgxpool.Pool
	// idlePing is how long (ns) a connection may sit idle before it is
	// pinged on reuse: a server restart or an idle-session timeout may have
	// closed it meanwhile. One second, as pgxpool does; tests lower it.
	idlePing atomic.Int64
}

func newPool(ctx context.Context, dsn string, defaultSize int) (*pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing DSN: %w", err)
	}
	if !dsnHasParam(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(defaultSize)
	}
	pl := &pool{}
	pl.idlePing.Store(int64(time.Second))
	cfg.ShouldPing = func(_ context.Context, sp pgxpool.ShouldPingParams) bool {
		return sp.IdleDuration >= time.Duration(pl.idlePing.Load())
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the connection pool: %w", err)
	}
	pl.p = p
	return pl, nil
}

func dsnHasParam(dsn, name string) bool { return strings.Contains(dsn, name+"=") }

// with runs fn on a connection from the pool.
func (p *pool) with(ctx context.Context, fn func(c *pgx.Conn) error) error {
	c, err := p.p.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return fn(c.Conn())
}

func (p *pool) close() { p.p.Close() }

// size is the most connections the pool opens.
func (p *pool) size() int { return int(p.p.Config().MaxConns) }

// rowTo adapts a scan function of the store (which also serves QueryRow) to
// pgx.AppendRows, so every multi-row read is one call instead of a loop.
func rowTo[T any](scan func(pgx.Row) (T, error)) pgx.RowToFunc[T] {
	return func(r pgx.CollectableRow) (T, error) { return scan(r) }
}
