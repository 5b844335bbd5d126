package main

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// op is one measured request; k numbers the requests of a phase.
type op func(ctx context.Context, k int) (time.Duration, error)

// phase is one kind of request the benchmark measures.
type phase struct {
	Name string // in the report
	Key  string // as a sub-benchmark
	Do   op
}

// phases are the requests measured, in the order they run. Creates run
// first, so the pages after them include the created rows.
func (b *bench) phases() []phase {
	samp := func(k int) sample { return b.samples[k%len(b.samples)] }
	total := func() int { return b.cfg.N + b.created }
	return []phase{
		{"create", "create", func(ctx context.Context, k int) (time.Duration, error) {
			d, err := b.c.create(ctx, specFor(k, createdName(b.run, b.created)))
			if err == nil {
				b.created++
			}
			return d, err
		}},
		{"get by id", "get", func(ctx context.Context, k int) (time.Duration, error) {
			s := samp(k)
			return b.c.get(ctx, s.ID, s.Name)
		}},
		{"list hostname=exact", "list_exact", func(ctx context.Context, k int) (time.Duration, error) {
			s := samp(k)
			return b.c.listExact(ctx, s.ID, s.Name)
		}},
		{"last page, per_page=50", "last_page_50", func(ctx context.Context, _ int) (time.Duration, error) {
			return b.c.page(ctx, lastPage(total(), 50), 50, total())
		}},
		{"last page, per_page=20", "last_page_20", func(ctx context.Context, _ int) (time.Duration, error) {
			return b.c.page(ctx, lastPage(total(), 20), 20, total())
		}},
		{"first page, per_page=50", "first_page_50", func(ctx context.Context, _ int) (time.Duration, error) {
			return b.c.page(ctx, 1, 50, total())
		}},
		{"first page, per_page=20", "first_page_20", func(ctx context.Context, _ int) (time.Duration, error) {
			return b.c.page(ctx, 1, 20, total())
		}},
	}
}

// lastPage is the number of the last page of total rows (Cloudflare's API
// has no "last": a client computes it from result_info.total_count).
func lastPage(total, perPage int) int { return max(1, (total+perPage-1)/perPage) }

// Stats summarise one phase. Durations are milliseconds.
type Stats struct {
	Name     string  `json:"name"`
	Count    int     `json:"count"`
	Median   float64 `json:"median_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	Mean     float64 `json:"mean_ms"`
	Seconds  float64 `json:"seconds"`
	TimedOut bool    `json:"timed_out,omitempty"`
}

// run measures one phase: warmup unmeasured requests, then up to ops
// measured ones, all within timeout (the cap also ends a slow warm-up).
// It stops at the first wrong answer.
func (p phase) run(ctx context.Context, ops, warmup int, timeout time.Duration) (Stats, error) {
	deadline := time.Now().Add(timeout)
	for k := range warmup {
		if time.Now().After(deadline) {
			break
		}
		if _, err := p.Do(ctx, k); err != nil {
			return Stats{}, err
		}
	}
	d := make([]time.Duration, 0, ops)
	start := time.Now()
	timedOut := false
	for k := range ops {
		if time.Now().After(deadline) {
			timedOut = true
			break
		}
		x, err := p.Do(ctx, warmup+k)
		if err != nil {
			return Stats{}, err
		}
		d = append(d, x)
	}
	s := summarize(p.Name, d)
	s.Seconds, s.TimedOut = time.Since(start).Seconds(), timedOut
	return s, nil
}

func summarize(name string, d []time.Duration) Stats {
	s := Stats{Name: name, Count: len(d)}
	if len(d) == 0 {
		return s
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	s.Median, s.P90, s.P99 = ms(quantile(d, 0.5)), ms(quantile(d, 0.9)), ms(quantile(d, 0.99))
	s.Max, s.Mean = ms(d[len(d)-1]), ms(sum/time.Duration(len(d)))
	return s
}

// quantile is the nearest-rank quantile of sorted d.
func quantile(d []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(i, 0), len(d)-1)]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// loadSampler samples the 1-minute load average every two seconds until
// stopped.
type loadSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	vals []float64
}

func sampleLoad() *loadSampler {
	l := &loadSampler{stop: make(chan struct{})}
	l.wg.Go(func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			l.mu.Lock()
			l.vals = append(l.vals, loadAvg()[0])
			l.mu.Unlock()
			select {
			case <-l.stop:
				return
			case <-t.C:
			}
		}
	})
	return l
}

// done stops sampling and returns the minimum, median and maximum.
func (l *loadSampler) done() (lo, median, hi float64) {
	close(l.stop)
	l.wg.Wait()
	v := slices.Clone(l.vals)
	slices.Sort(v)
	return v[0], v[len(v)/2], v[len(v)-1]
}
