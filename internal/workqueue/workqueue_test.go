package workqueue

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// queue hands out 0..total-1 in claims of at most n.
type queue struct {
	mu    sync.Mutex
	next  int
	total int
	asks  []int
	fail  error
}

func (q *queue) claim(_ context.Context, n int) ([]int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.asks = append(q.asks, n)
	if q.fail != nil && q.next >= q.total/2 {
		return nil, q.fail
	}
	var out []int
	for ; len(out) < n && q.next < q.total; q.next++ {
		out = append(out, q.next)
	}
	return out, nil
}

func TestDrain(t *testing.T) {
	for _, tc := range []struct {
		name           string
		workers, total int
		fail           error
	}{
		{"nothing due", 4, 0, nil},
		{"fewer than the workers", 4, 3, nil},
		{"many", 3, 100, nil},
		{"one worker", 1, 10, nil},
		{"zero workers means one", 0, 5, nil},
		{"claim fails halfway", 4, 40, errors.New("database down")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &queue{total: tc.total, fail: tc.fail}
			var inFlight, peak atomic.Int32
			seen := make([]atomic.Int32, tc.total)
			ran, err := Drain(t.Context(), tc.workers, q.claim, func(_ context.Context, i int) {
				n := inFlight.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				seen[i].Add(1)
				inFlight.Add(-1)
			})
			if !errors.Is(err, tc.fail) {
				t.Fatalf("err %v, want %v", err, tc.fail)
			}
			if inFlight.Load() != 0 {
				t.Error("Drain returned with work in flight")
			}
			if w := max(tc.workers, 1); int(peak.Load()) > w {
				t.Errorf("%d in flight at once, want at most %d", peak.Load(), w)
			}
			for _, n := range q.asks {
				if n < 1 || n > max(tc.workers, 1) {
					t.Errorf("asked for %d", n)
				}
			}
			done := 0
			for i := range seen {
				switch seen[i].Load() {
				case 0:
				case 1:
					done++
				default:
					t.Errorf("item %d processed %d times", i, seen[i].Load())
				}
			}
			if done != ran {
				t.Errorf("ran %d, processed %d", ran, done)
			}
			if tc.fail == nil && ran != tc.total {
				t.Errorf("ran %d of %d", ran, tc.total)
			}
		})
	}
}

func TestDrainStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	q := &queue{total: 1000}
	ran, err := Drain(ctx, 2, q.claim, func(context.Context, int) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if ran >= 1000 {
		t.Errorf("ran %d after the context ended", ran)
	}
}
