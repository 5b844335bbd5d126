package acme

import (
	"sync"
	"time"
)

// pacer holds the token buckets of Config.Pacing, by key ("account:<url>",
// "domain:<eTLD+1>"). Buckets start full and refill evenly.
type pacer struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// paceKey is one limit an order counts against.
type paceKey struct {
	key  string
	rate Rate
}

// reserve takes one token from every bucket when all have one and returns
// 0; otherwise it takes nothing and returns how long until all will have
// one.
func (p *pacer) reserve(now time.Time, keys ...paceKey) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buckets == nil {
		p.buckets = make(map[string]*bucket)
	}
	var wait time.Duration
	var live []*bucket
	for _, k := range keys {
		if k.rate.Count <= 0 {
			continue
		}
		b := p.buckets[k.key]
		capacity := float64(k.rate.Count)
		if b == nil {
			b = &bucket{tokens: capacity, last: now}
			p.buckets[k.key] = b
		}
		every := k.rate.Per / time.Duration(k.rate.Count)
		if now.After(b.last) {
			b.tokens = min(capacity, b.tokens+float64(now.Sub(b.last))/float64(every))
			b.last = now
		}
		if b.tokens < 1 {
			wait = max(wait, time.Duration((1-b.tokens)*float64(every))+time.Millisecond)
		}
		live = append(live, b)
	}
	if wait > 0 {
		return wait
	}
	for _, b := range live {
		b.tokens--
	}
	return 0
}
