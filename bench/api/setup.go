package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/database"
)

// Config is one benchmark setup.
type Config struct {
	Backend string // sqlite or postgres
	N       int    // hostnames seeded
	// Samples is how many seeded hostnames the reads ask for (drawn at
	// random, with a fixed seed, before seeding).
	Samples int
	// PostgresAdmin is a DSN of the server; the run creates its own
	// database there and drops it at the end.
	PostgresAdmin string
	// Node is "exec" (portico serve as a child process) or "inprocess".
	Node string
	// Portico is the binary for an exec node; "" builds ./cmd/portico.
	Portico string
	// Dir holds the SQLite file, master key and node log.
	Dir string
	// Keep leaves the database in place at the end.
	Keep bool
	// Logf reports progress.
	Logf func(format string, args ...any)
}

// sample is a seeded hostname the reads ask for.
type sample struct{ ID, Name string }

// bench is a seeded database behind a running node, and a client for it.
type bench struct {
	cfg     Config
	db      benchDB
	node    node
	c       *client
	zoneID  string
	samples []sample
	run     string // tells this run's created names apart
	created int
	rep     *Report
}

// setup creates the database, a zone and a token through the CLI, seeds N
// hostnames, and starts the node. On error it cleans up after itself.
func setup(ctx context.Context, cfg Config) (_ *bench, err error) {
	logf := cfg.Logf
	b := &bench{cfg: cfg, rep: newReport(cfg), run: fmt.Sprintf("%06x", rand.Uint32()&0xffffff)}
	b.rep.Load.AtStart = loadAvg()
	b.db, err = openBenchDB(ctx, cfg.Backend, filepath.Join(cfg.Dir, "db"), cfg.PostgresAdmin)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			b.close(context.WithoutCancel(ctx))
		}
	}()
	key := filepath.Join(cfg.Dir, "master.key")

	// The tenant, as an operator makes it.
	var z struct{ ID string }
	if err := runCLI(ctx, &z, "zone", "create", "--name", zoneName, "--cname-target", cnameTarget,
		"--database", b.db.Database(), "--master-key-file", key); err != nil {
		return nil, err
	}
	var tok struct{ Token string }
	if err := runCLI(ctx, &tok, "token", "create", "--zone", z.ID,
		"--database", b.db.Database(), "--master-key-file", key); err != nil {
		return nil, err
	}
	b.zoneID = z.ID

	st, err := database.Open(ctx, config.Store{Database: b.db.Database()})
	if err != nil {
		return nil, err
	}
	zone, err := st.GetZone(ctx, z.ID)
	if err != nil {
		st.Close()
		return nil, err
	}
	gen := newGenerator(zone, cfg.N)
	err = checkEncoding(ctx, st, b.db, gen)
	st.Close()
	if err != nil {
		return nil, err
	}

	if err := b.seed(ctx, gen); err != nil {
		return nil, err
	}

	nc := nodeConfig{Database: b.db.Database(), MasterKeyFile: key, LogFile: filepath.Join(cfg.Dir, "node.log")}
	switch cfg.Node {
	case "exec":
		bin := cfg.Portico
		if bin == "" {
			logf("building ./cmd/portico")
			if bin, err = buildPortico(ctx, cfg.Dir); err != nil {
				return nil, err
			}
		}
		b.node, err = startExecNode(ctx, bin, nc)
	case "inprocess":
		b.node, err = startInProcessNode(ctx, nc)
	default:
		err = fmt.Errorf("unknown node kind %q: want exec or inprocess", cfg.Node)
	}
	if err != nil {
		return nil, err
	}
	b.c = newClient(b.node.URL(), z.ID, tok.Token)
	total, err := b.c.total(ctx)
	if err != nil {
		return nil, err
	}
	if total != cfg.N {
		return nil, fmt.Errorf("the API counts %d hostnames; %d were seeded", total, cfg.N)
	}
	logf("node up at %s (%s)", b.node.URL(), cfg.Node)
	return b, nil
}

// seed bulk-inserts N hostnames built by the generator, remembering the
// sampled ones, checks the zone's count, settles the database and measures
// its size.
func (b *bench) seed(ctx context.Context, gen *generator) error {
	n, logf := b.cfg.N, b.cfg.Logf
	rng := rand.New(rand.NewPCG(1, 2))
	b.samples = make([]sample, b.cfg.Samples)
	wanted := map[int][]int{}
	for pos := range b.samples {
		i := rng.IntN(n)
		wanted[i] = append(wanted[i], pos)
	}
	next := func(i int) (core.Hostname, error) {
		h, err := gen.hostname(ctx, i)
		for _, pos := range wanted[i] {
			b.samples[pos] = sample{ID: h.ID, Name: h.Name}
		}
		return h, err
	}
	batch := 50_000 // rows per SQLite transaction
	if b.cfg.Backend == "postgres" {
		batch = 100_000 // rows per COPY
	}
	start := time.Now()
	progress := func(done int) {
		if done%200_000 == 0 || done == n {
			logf("seeded %d/%d in %v", done, n, time.Since(start).Round(time.Second))
		}
	}
	if err := b.db.Insert(ctx, n, batch, next, progress); err != nil {
		return err
	}
	b.rep.SeedSeconds = time.Since(start).Seconds()

	stored, counted, err := b.db.Counts(ctx, b.zoneID)
	if err != nil {
		return err
	}
	if stored != n || counted != n {
		return fmt.Errorf("after seeding %d: the zone's count is %d and it has %d rows", n, stored, counted)
	}
	start = time.Now()
	if err := b.db.Settle(ctx); err != nil {
		return err
	}
	b.rep.SettleSeconds = time.Since(start).Seconds()
	if b.rep.DBBytes, err = b.db.Size(ctx); err != nil {
		return err
	}
	if b.rep.Tables, err = b.db.Tables(ctx); err != nil {
		return err
	}
	if b.rep.Migrations, err = b.db.Migrations(ctx); err != nil {
		return err
	}
	b.rep.BytesPerHostname = float64(b.rep.DBBytes) / float64(n)
	b.rep.BytesPerHostnameSteady = float64(b.rep.DBBytes-b.rep.Tables[transientTable]) / float64(n)
	b.rep.Load.AfterSeed = loadAvg()
	logf("database %d MB, %.0f bytes per hostname (%.0f without %s)", b.rep.DBBytes>>20,
		b.rep.BytesPerHostname, b.rep.BytesPerHostnameSteady, transientTable)
	return nil
}

// close stops the node and removes the database (unless Keep).
func (b *bench) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var errs []error
	if b.node != nil {
		errs = append(errs, b.node.Stop(ctx))
		b.node = nil
	}
	if b.db != nil {
		errs = append(errs, b.db.Close(ctx, b.cfg.Keep))
		if b.cfg.Keep {
			b.cfg.Logf("kept the database: --database %s", b.db.Database())
		}
		b.db = nil
	}
	return errors.Join(errs...)
}

// runCLI runs `portico args...` in-process, as an operator would run it,
// and decodes the one JSON object it prints into out.
func runCLI(ctx context.Context, out any, args ...string) error {
	var stdout, stderr bytes.Buffer
	if code := cli.Main(ctx, cli.Env{Args: args, Stdout: &stdout, Stderr: &stderr}); code != 0 {
		return fmt.Errorf("portico %s: exit %d: %s", strings.Join(args[:2], " "), code, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("portico %s printed %q: %w", strings.Join(args[:2], " "), stdout.String(), err)
	}
	return nil
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() [3]float64 {
	var l [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err == nil {
		fmt.Sscan(string(b), &l[0], &l[1], &l[2])
	}
	return l
}
