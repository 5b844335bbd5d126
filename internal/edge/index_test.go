package edge

import (
	"math/rand/v2"
	"testing"
)

// TestHashTable checks the open-addressing set against a map under random
// adds and removes, with clustered values that make long probe runs.
func TestHashTable(t *testing.T) {
	var ht hashTable
	ht.init(0)
	ref := map[uint64]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200_000 {
		v := uint64(r.IntN(5000))<<1 | 1 // few distinct values, dense low bits
		if i%3 == 0 {
			v = r.Uint64() | 1
		}
		switch r.IntN(3) {
		case 0, 1:
			if got := ht.add(v); got == ref[v] {
				t.Fatalf("add(%d) = %v with present=%v", v, got, ref[v])
			}
			ref[v] = true
		case 2:
			if got := ht.remove(v); got != ref[v] {
				t.Fatalf("remove(%d) = %v with present=%v", v, got, ref[v])
			}
			delete(ref, v)
		}
		if ht.n != len(ref) {
			t.Fatalf("size %d, want %d", ht.n, len(ref))
		}
	}
	for v := range ref {
		if !ht.has(v) {
			t.Fatalf("lost %d", v)
		}
	}
	for range 10_000 {
		if v := r.Uint64() | 1; !ref[v] && ht.has(v) {
			t.Fatalf("has(%d) without add", v)
		}
	}
}

func TestIndexWildcards(t *testing.T) {
	ix := newIndex(0)
	ix.add("shop.x.com")
	ix.add("*.x.com")
	for _, tc := range []struct {
		k    routeKey
		want bool
	}{
		{routeKey{name: "shop.x.com"}, true},
		{routeKey{name: "x.com", wild: true}, true},
		{routeKey{name: "x.com"}, false},
		{routeKey{name: "shop.x.com", wild: true}, false},
	} {
		if got := ix.has(tc.k); got != tc.want {
			t.Errorf("has(%+v) = %v", tc.k, got)
		}
	}
	ix.remove("*.x.com")
	if ix.has(routeKey{name: "x.com", wild: true}) || ix.len() != 1 {
		t.Errorf("after remove: len %d", ix.len())
	}
	for host, want := range map[string]string{"a.x.com": "x.com", "x.com": "", "com": "", ".x.com": ""} {
		k, ok := wildcardKey(host)
		if (ok && k.name != want) || ok != (want != "") {
			t.Errorf("wildcardKey(%q) = %v %v, want %q", host, k, ok, want)
		}
	}
}

func BenchmarkUnknownSNI(b *testing.B) {
	e := &Edge{cache: newRouteCache(10)}
	ix := newIndex(1 << 20)
	for i := range 1 << 20 {
		ix.add("h" + string(rune('a'+i%26)) + ".customer.com")
	}
	e.index.Store(ix)
	b.ReportAllocs()
	for b.Loop() {
		if e.resolve(b.Context(), "random-1234.unknown.com") != nil {
			b.Fatal("found")
		}
	}
}
