package edge

import (
	"sync"
	"time"
)

// tokenBucket allows rate events per second with bursts of burst. It guards
// the few paths where a visitor's request can cause a database query for a
// name the edge does not serve.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64) *tokenBucket {
	burst := max(1, 2*rate)
	return &tokenBucket{rate: rate, burst: burst, tokens: burst}
}

func (b *tokenBucket) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// keyLimiter allows one event per key per interval. It remembers at most
// maxKeys keys and forgets them all when full: at worst an event repeats
// early, never an unbounded map.
type keyLimiter struct {
	mu       sync.Mutex
	interval time.Duration
	maxKeys  int
	last     map[string]time.Time
}

func newKeyLimiter(interval time.Duration, maxKeys int) *keyLimiter {
	return &keyLimiter{interval: interval, maxKeys: maxKeys, last: map[string]time.Time{}}
}

func (l *keyLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.interval {
		return false
	}
	if len(l.last) >= l.maxKeys {
		clear(l.last)
	}
	l.last[key] = now
	return true
}
