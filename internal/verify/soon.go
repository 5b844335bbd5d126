package verify

import (
	"context"
	"sync"
	"time"
)

// soonRequest is one CheckSoon waiting for RunOnce.
type soonRequest struct{ zoneID, hostnameID string }

// CheckSoon asks for a check of the hostname as soon as a worker is free,
// without waiting for it: the edge calls it when a request arrives for a
// hostname that is still pending, the moment its customer most likely just
// changed DNS. It never blocks and does no I/O on the caller's goroutine.
//
// Requests are rate-limited per hostname (one per SoonInterval; a flood of
// visitors to one pending name costs one check a minute) and dropped when
// the queue is full. It reports whether the request was taken. It moves the
// next check forward without restarting the schedule.
func (s *Scheduler) CheckSoon(zoneID, hostnameID string) bool {
	if !s.limiter.allow(hostnameID, s.d.Clock.Now()) {
		return false
	}
	select {
	case s.soon <- soonRequest{zoneID, hostnameID}:
		s.Wake()
		return true
	default:
		return false
	}
}

// drainSoon makes the queued CheckSoon hostnames due now.
func (s *Scheduler) drainSoon(ctx context.Context) {
	for {
		select {
		case r := <-s.soon:
			if err := s.d.Checks.ScheduleCheck(ctx, r.zoneID, r.hostnameID, s.d.Clock.Now(), false); err != nil {
				s.d.Log.DebugContext(ctx, "scheduling a requested check", "zone_id", r.zoneID, "hostname_id", r.hostnameID, "err", err)
			}
		default:
			return
		}
	}
}

// limiter admits one event per key per interval, remembering at most max
// keys: memory stays bounded however many names visitors try.
type limiter struct {
	mu        sync.Mutex
	every     time.Duration
	max       int
	last      map[string]time.Time
	lastPrune time.Time
}

func newLimiter(every time.Duration, max int) *limiter {
	return &limiter{every: every, max: max, last: make(map[string]time.Time)}
}

// allow reports whether key may act at now, and if so records it.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.every && !now.Before(t) {
		return false
	}
	if len(l.last) >= l.max {
		// Pruning walks the map, so it runs at most once per interval: a
		// flood of fresh keys is refused, not paid for in CPU.
		if now.Sub(l.lastPrune) < l.every {
			return false
		}
		l.lastPrune = now
		for k, t := range l.last {
			if now.Sub(t) >= l.every {
				delete(l.last, k)
			}
		}
		if len(l.last) >= l.max {
			return false
		}
	}
	l.last[key] = now
	return true
}
