package main

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkAPI runs the program's phases as Go benchmarks, on a smaller zone:
// PORTICO_BENCH_N hostnames (default 10,000). PostgreSQL runs when
// PORTICO_TEST_POSTGRES names a server. The node runs in-process (no build
// step). Besides ns/op each phase reports its median and p99 in ms:
//
//	go test ./bench/api -run '^$' -bench . -benchtime 2000x
//	PORTICO_BENCH_N=1000000 go test ./bench/api -run '^$' -bench 'API/sqlite' -benchtime 2000x -timeout 1h
func BenchmarkAPI(b *testing.B) {
	n := 10_000
	if v := os.Getenv("PORTICO_BENCH_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("PORTICO_BENCH_N=%q: want a positive number", v)
		}
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			admin := os.Getenv("PORTICO_TEST_POSTGRES")
			if backend == "postgres" && admin == "" {
				b.Skip("PORTICO_TEST_POSTGRES is not set")
			}
			bn, err := setup(b.Context(), Config{
				Backend: backend, N: n, Samples: 1000, PostgresAdmin: admin,
				Node: "inprocess", Dir: b.TempDir(), Logf: b.Logf,
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				if err := bn.close(context.Background()); err != nil {
					b.Error(err)
				}
			})
			for _, p := range bn.phases() {
				b.Run(p.Key, func(b *testing.B) {
					var d []time.Duration
					k := 0
					for b.Loop() {
						x, err := p.Do(b.Context(), k)
						if err != nil {
							b.Fatal(err)
						}
						d = append(d, x)
						k++
					}
					slices.Sort(d)
					b.ReportMetric(ms(quantile(d, 0.5)), "p50-ms")
					b.ReportMetric(ms(quantile(d, 0.99)), "p99-ms")
				})
			}
		})
	}
}
