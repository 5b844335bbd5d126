package edge

import (
	"crypto/tls"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/secrets"
)

// routeCache holds the routes of the hostnames being served: parsed
// certificates, per-host TLS configuration, origin and proxy. It is bounded
// (Config.CacheSize) and evicts approximately the least recently used
// entry, so memory follows the hostnames actually served, not those stored.
//
// Reads take a shard's read lock and, at most once per epoch, store the
// epoch in the route: no allocation and no write-shared cache line on the
// hot path. The epoch is a coarse clock the change feed advances on each
// tick. Eviction samples a few entries of the shard it inserts into and
// drops the one used longest ago (as Redis does): O(1), no list to keep
// in order under a lock on every hit.
type routeCache struct {
	capacity int
	epoch    atomic.Int64
	size     atomic.Int64
	shards   [cacheShards]cacheShard
}

const (
	cacheShards   = 32
	evictSamples  = 6
	epochInterval = time.Second
)

type cacheShard struct {
	mu sync.RWMutex
	m  map[routeKey]*route
}

func newRouteCache(capacity int) *routeCache {
	c := &routeCache{capacity: capacity}
	for i := range c.shards {
		c.shards[i].m = make(map[routeKey]*route)
	}
	return c
}

// shardOf spreads keys by a cheap hash of the name (FNV-1a).
func (c *routeCache) shardOf(k routeKey) *cacheShard {
	h := uint32(2166136261)
	for i := 0; i < len(k.name); i++ {
		h = (h ^ uint32(k.name[i])) * 16777619
	}
	if k.wild {
		h = ^h
	}
	return &c.shards[h%cacheShards]
}

func (c *routeCache) get(k routeKey) *route {
	sh := c.shardOf(k)
	sh.mu.RLock()
	r := sh.m[k]
	sh.mu.RUnlock()
	if r != nil {
		if e := c.epoch.Load(); r.lastUsed.Load() != e {
			r.lastUsed.Store(e)
		}
	}
	return r
}

// peek is get without marking the route used (for the change feed, whose
// refreshes must not keep cold routes warm).
func (c *routeCache) peek(k routeKey) *route {
	sh := c.shardOf(k)
	sh.mu.RLock()
	r := sh.m[k]
	sh.mu.RUnlock()
	return r
}

// put stores r under its key, replacing any previous route, and evicts when
// the cache is over capacity.
func (c *routeCache) put(r *route) {
	r.lastUsed.Store(c.epoch.Load())
	sh := c.shardOf(r.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[r.key]; !ok {
		c.size.Add(1)
	}
	sh.m[r.key] = r
	if c.size.Load() <= int64(c.capacity) {
		return
	}
	var victim *route
	n := 0
	for k, v := range sh.m { // map iteration starts at a random entry
		if k == r.key {
			continue
		}
		if victim == nil || v.lastUsed.Load() < victim.lastUsed.Load() {
			victim = v
		}
		if n++; n >= evictSamples {
			break
		}
	}
	if victim != nil {
		delete(sh.m, victim.key)
		c.size.Add(-1)
	}
}

// replace stores r only if its key is cached (a change refreshes what is
// hot and leaves what is cold to load on demand). It reports whether it
// did.
func (c *routeCache) replace(r *route) bool {
	sh := c.shardOf(r.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, ok := sh.m[r.key]
	if !ok {
		return false
	}
	r.lastUsed.Store(old.lastUsed.Load())
	sh.m[r.key] = r
	return true
}

func (c *routeCache) remove(k routeKey) {
	sh := c.shardOf(k)
	sh.mu.Lock()
	if _, ok := sh.m[k]; ok {
		delete(sh.m, k)
		c.size.Add(-1)
	}
	sh.mu.Unlock()
}

// keys returns the cached keys for which keep returns true.
func (c *routeCache) keys(keep func(*route) bool) []routeKey {
	var out []routeKey
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		for k, r := range sh.m {
			if keep(r) {
				out = append(out, k)
			}
		}
		sh.mu.RUnlock()
	}
	return out
}

// loadCertificates opens the sealed keys of a hostname's certificates and
// returns them in serving order: uploaded (custom) before managed, newest
// first within each (the store's order), and certificates past their
// expiry only when nothing unexpired is left, so that a renewal that
// failed still leaves the old certificate served rather than none. The
// plaintext key PEM is wiped once parsed; the parsed key stays in memory,
// as the TLS stack needs it. Certificates that fail to open or parse are
// skipped and reported.
func loadCertificates(box *secrets.Box, hostnameID string, certs []core.Certificate, now time.Time) ([]tls.Certificate, []error) {
	if len(certs) == 0 {
		return nil, nil
	}
	if box == nil {
		return nil, []error{fmt.Errorf("no master key to open the certificate keys of hostname %s", hostnameID)}
	}
	ordered := slices.Clone(certs)
	slices.SortStableFunc(ordered, func(a, b core.Certificate) int {
		return sourceRank(a.Source) - sourceRank(b.Source)
	})
	var valid, expired []tls.Certificate
	var errs []error
	for _, c := range ordered {
		keyPEM, err := box.Open(c.KeyCiphertext, "certificate_key:"+c.ID+":"+hostnameID)
		if err != nil {
			errs = append(errs, fmt.Errorf("opening the key of certificate %s: %w", c.ID, err))
			continue
		}
		pair, err := tls.X509KeyPair(c.ChainPEM, keyPEM)
		clear(keyPEM)
		if err != nil {
			errs = append(errs, fmt.Errorf("parsing certificate %s: %w", c.ID, err))
			continue
		}
		if pair.Leaf != nil && now.After(pair.Leaf.NotAfter) {
			expired = append(expired, pair)
			continue
		}
		valid = append(valid, pair)
	}
	if len(valid) == 0 {
		return expired, errs
	}
	return valid, errs
}

func sourceRank(s core.CertificateSource) int {
	if s == core.SourceCustom {
		return 0
	}
	return 1
}
