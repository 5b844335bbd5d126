package edge

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

// nameSet is the edge's index of the names it serves: a set of 64-bit
// hashes, not of names, in open-addressing tables (8 bytes a slot, at most
// three quarters full: 11–16 bytes a name, where a Go map takes about 40
// and names with their ids several hundred). A lookup hashes the name and
// probes one shard's table: no allocation, no I/O.
//
// Two different names share a hash with probability about n/2^64 (5e-14
// for a million names); the cost of such a false positive is one database
// lookup that finds nothing, after which the name is dropped. There are no
// false negatives.
type nameSet struct {
	seed   maphash.Seed
	shards [nameShards]nameShard
	size   atomic.Int64
}

const nameShards = 32

type nameShard struct {
	mu sync.RWMutex
	t  hashTable
}

func newNameSet(sizeHint int) *nameSet {
	s := &nameSet{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].t.init(sizeHint / nameShards)
	}
	return s
}

// hash returns name's hash; 0 marks an empty slot, so it becomes 1.
func (s *nameSet) hash(name string) uint64 {
	if h := maphash.String(s.seed, name); h != 0 {
		return h
	}
	return 1
}

// shard picks a shard by the top bits; the tables index by the low bits.
func (s *nameSet) shard(h uint64) *nameShard { return &s.shards[h>>59] }

func (s *nameSet) has(name string) bool {
	h := s.hash(name)
	sh := s.shard(h)
	sh.mu.RLock()
	ok := sh.t.has(h)
	sh.mu.RUnlock()
	return ok
}

func (s *nameSet) add(name string) {
	h := s.hash(name)
	sh := s.shard(h)
	sh.mu.Lock()
	if sh.t.add(h) {
		s.size.Add(1)
	}
	sh.mu.Unlock()
}

func (s *nameSet) remove(name string) {
	h := s.hash(name)
	sh := s.shard(h)
	sh.mu.Lock()
	if sh.t.remove(h) {
		s.size.Add(-1)
	}
	sh.mu.Unlock()
}

// hashTable is a set of non-zero uint64 with linear probing. Removal
// shifts the following run back instead of leaving tombstones, so that a
// table under churn never fills up with them.
type hashTable struct {
	slots []uint64 // len is a power of two; 0 is empty
	n     int
}

func (t *hashTable) init(hint int) {
	size := 16
	for size*3 < hint*4 {
		size *= 2
	}
	t.slots, t.n = make([]uint64, size), 0
}

func (t *hashTable) has(h uint64) bool {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case 0:
			return false
		case h:
			return true
		}
	}
}

// add inserts h and reports whether it was new.
func (t *hashTable) add(h uint64) bool {
	if (t.n+1)*4 > len(t.slots)*3 {
		old := t.slots
		t.slots, t.n = make([]uint64, 2*len(old)), 0
		for _, v := range old {
			if v != 0 {
				t.add(v)
			}
		}
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case 0:
			t.slots[i] = h
			t.n++
			return true
		case h:
			return false
		}
	}
}

// remove deletes h and reports whether it was there.
func (t *hashTable) remove(h uint64) bool {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for ; t.slots[i] != h; i = (i + 1) & mask {
		if t.slots[i] == 0 {
			return false
		}
	}
	// Backward shift: move each later entry of the run into the hole
	// unless its home slot lies cyclically after the hole.
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		home := t.slots[j] & mask
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
	return true
}

// index is the pair of sets the edge matches names against: exact names,
// and the bases of wildcard names ("x.com" for "*.x.com"), so that the
// wildcard probe for "a.x.com" is a lookup of its parent, a substring,
// with nothing to concatenate.
type index struct {
	exact, wild *nameSet
}

func newIndex(sizeHint int) *index {
	return &index{exact: newNameSet(sizeHint), wild: newNameSet(sizeHint / 8)}
}

// add records a stored name ("shop.x.com" or "*.x.com").
func (ix *index) add(stored string) {
	if base, ok := strings.CutPrefix(stored, "*."); ok {
		ix.wild.add(base)
		return
	}
	ix.exact.add(stored)
}

func (ix *index) remove(stored string) {
	if base, ok := strings.CutPrefix(stored, "*."); ok {
		ix.wild.remove(base)
		return
	}
	ix.exact.remove(stored)
}

func (ix *index) has(k routeKey) bool {
	if k.wild {
		return ix.wild.has(k.name)
	}
	return ix.exact.has(k.name)
}

func (ix *index) len() int64 { return ix.exact.size.Load() + ix.wild.size.Load() }

// routeKey names an entry of the index and of the route cache: an exact
// name, or the base of a wildcard (wild true: "x.com" stands for "*.x.com").
type routeKey struct {
	name string
	wild bool
}

// keyOf returns the key of a stored name.
func keyOf(stored string) routeKey {
	if base, ok := strings.CutPrefix(stored, "*."); ok {
		return routeKey{name: base, wild: true}
	}
	return routeKey{name: stored}
}

// stored returns the name as the database stores it. It allocates for a
// wildcard; only the slow path (loads) calls it.
func (k routeKey) stored() string {
	if k.wild {
		return "*." + k.name
	}
	return k.name
}

// wildcardKey returns the wildcard key that covers host: one label more
// than the base ("a.x.com" -> *.x.com). ok is false when host has no parent
// with at least two labels, since "*.com" is never a custom hostname.
func wildcardKey(host string) (routeKey, bool) {
	i := strings.IndexByte(host, '.')
	if i <= 0 || strings.IndexByte(host[i+1:], '.') < 0 {
		return routeKey{}, false
	}
	return routeKey{name: host[i+1:], wild: true}, true
}
