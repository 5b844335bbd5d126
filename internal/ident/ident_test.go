package ident

import (
	"regexp"
	"testing"
)

func TestShapes(t *testing.T) {
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	secretRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	zoneRE := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u, s, z := UUID(), Secret128(), ZoneID()
		if !uuidRE.MatchString(u) || !secretRE.MatchString(s) || !zoneRE.MatchString(z) {
			t.Fatalf("bad shapes: %q %q %q", u, s, z)
		}
		if seen[u] || seen[s] || seen[z] {
			t.Fatal("repeated value")
		}
		seen[u], seen[s], seen[z] = true, true, true
	}
}
