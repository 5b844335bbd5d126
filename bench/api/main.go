// Command api measures Portico's control plane API on a zone holding many
// custom hostnames: it seeds N hostnames into a fresh SQLite or PostgreSQL
// database, starts a real node on it, and times create, get, exact-name list
// and first and last pages through the HTTP API with one sequential
// keep-alive client. It prints a markdown table and can write JSON.
//
//	go run ./bench/api -db sqlite -n 1000000 -ops 2000 -out bench/out/api-sqlite.json
//	go run ./bench/api -db postgres -n 1000000 -ops 2000 -out bench/out/api-postgres.json
//
// See bench/README.md for the method and the last figures.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() { os.Exit(run()) }

func run() int {
	cfg := Config{Logf: func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}}
	flag.StringVar(&cfg.Backend, "db", "sqlite", "database: sqlite or postgres")
	flag.IntVar(&cfg.N, "n", 1_000_000, "hostnames to seed")
	flag.StringVar(&cfg.PostgresAdmin, "postgres", envOr("PORTICO_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		"PostgreSQL server DSN; a database portico_bench_<random> is created there and dropped at the end")
	flag.StringVar(&cfg.Node, "node", "exec", "exec: run `portico serve` as a child process; inprocess: run the daemon in this process")
	flag.StringVar(&cfg.Portico, "portico", "", "portico binary for -node exec (default: go build ./cmd/portico)")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the database (and -dir) at the end")
	dir := flag.String("dir", "", "work directory for the SQLite file, master key and node log (default: a temporary one)")
	ops := flag.Int("ops", 2000, "measured requests per phase")
	warmup := flag.Int("warmup", 100, "unmeasured requests before each phase")
	phaseTimeout := flag.Duration("phase-timeout", 2*time.Minute, "wall-clock cap per phase (warm-up included)")
	timeout := flag.Duration("timeout", time.Hour, "wall-clock cap on the whole run, seeding included")
	out := flag.String("out", "", "write the JSON report to this file")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured phases (with -node inprocess it covers the node)")
	flag.Parse()
	if cfg.N < 1 || *ops < 1 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "bench: -n and -ops must be positive, -warmup not negative")
		return 2
	}
	cfg.Samples = *ops + *warmup

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	cfg.Dir = *dir
	if cfg.Dir == "" {
		d, err := os.MkdirTemp("", "portico-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		cfg.Dir = d
		if !cfg.Keep {
			defer os.RemoveAll(d)
		}
	}
	rep, err := benchmark(ctx, cfg, *ops, *warmup, *phaseTimeout, *cpuprofile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	rep.Markdown(os.Stdout)
	if *out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err == nil {
			err = os.WriteFile(*out, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: writing the report:", err)
			return 1
		}
	}
	return 0
}

// benchmark sets up, measures every phase and tears down.
func benchmark(ctx context.Context, cfg Config, ops, warmup int, phaseTimeout time.Duration, cpuprofile string) (*Report, error) {
	b, err := setup(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer b.close(context.WithoutCancel(ctx))
	rep := b.rep
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	load := sampleLoad()
	for _, p := range b.phases() {
		s, err := p.run(ctx, ops, warmup, phaseTimeout)
		if err != nil {
			load.done()
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		cfg.Logf("%-24s n=%d median %.2f ms, p99 %.2f ms, max %.2f ms", s.Name, s.Count, s.Median, s.P99, s.Max)
		rep.Phases = append(rep.Phases, s)
	}
	rep.Load.DuringMin, rep.Load.DuringMedian, rep.Load.DuringMax = load.done()
	rep.Load.DuringSamples = len(load.vals)
	rep.Load.AtEnd = loadAvg()
	rep.HostnamesAtEnd = cfg.N + b.created
	rep.Connections = b.c.dials.Load()
	if rep.NodeRSS, rep.NodePeakRSS, err = b.node.Memory(); err != nil {
		return nil, err
	}
	rep.evaluate()
	return rep, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
