// Package workqueue drains work that several nodes share through a store:
// each claims due items with a lease, as many as it has free workers, and
// processes them while it claims more.
package workqueue

import (
	"context"
	"sync"
)

// Drain claims and processes items until claim finds none, claim fails, or
// ctx ends, with at most workers items in flight. claim is asked for n
// items (1 <= n <= workers, as many as are free) and may return fewer.
// Drain returns how many items it started, after they have all finished,
// and claim's error (unwrapped: the caller says what it claims) or ctx's.
func Drain[T any](ctx context.Context, workers int, claim func(ctx context.Context, n int) ([]T, error), process func(ctx context.Context, item T)) (int, error) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, max(workers, 1))
	ran := 0
	for ctx.Err() == nil {
		free := acquire(slots)
		batch, err := claim(ctx, free)
		for range free - len(batch) {
			<-slots
		}
		if err != nil {
			return ran, err
		}
		if len(batch) == 0 {
			return ran, nil
		}
		for _, item := range batch {
			wg.Go(func() {
				defer func() { <-slots }()
				process(ctx, item)
			})
		}
		ran += len(batch)
	}
	return ran, ctx.Err()
}

// acquire takes one slot, waiting for it, and then as many more as are
// free at once; it returns how many it took.
func acquire(slots chan struct{}) int {
	slots <- struct{}{}
	n := 1
	for n < cap(slots) {
		select {
		case slots <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}
