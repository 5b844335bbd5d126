package dnsname

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// corpusPath is the shared hostname corpus. Its assumptions: wildcards on,
// provider zones saasprovider.com and saas-edge.net.
const corpusPath = "../../testdata/hostnames.jsonl"

var corpusPolicy = Policy{AllowWildcard: true, ProviderDomains: []string{"saasprovider.com", "saas-edge.net"}}

type corpusCase struct {
	Input     string `json:"input"`
	Accept    bool   `json:"accept"`
	Canonical string `json:"canonical"`
	Reason    string `json:"reason"`
}

func loadCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		tb.Fatalf("opening corpus: %v", err)
	}
	defer f.Close()
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var c corpusCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatalf("%s:%d: %v", corpusPath, line, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("reading corpus: %v", err)
	}
	if len(cases) == 0 {
		tb.Fatal("empty corpus")
	}
	return cases
}

// TestCorpus holds accept/reject, the canonical form and the reason fixed for
// every line of the shared corpus.
func TestCorpus(t *testing.T) {
	for _, c := range loadCorpus(t) {
		t.Run(c.Input, func(t *testing.T) {
			checkParse(t, c.Input, corpusPolicy, c.Accept, c.Canonical, c.Reason)
		})
	}
}

// checkParse asserts one verdict: the canonical form when accept is true,
// the reason otherwise.
func checkParse(t *testing.T, input string, p Policy, accept bool, canonical, reason string) {
	t.Helper()
	n, err := Parse(input, p)
	if accept {
		if err != nil {
			t.Fatalf("Parse(%q) = %v, want %q", input, err, canonical)
		}
		if n.String() != canonical {
			t.Fatalf("Parse(%q) = %q, want %q", input, n, canonical)
		}
		return
	}
	if err == nil {
		t.Fatalf("Parse(%q) = %q, want reason %s", input, n, reason)
	}
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("Parse(%q) error %T, want *Error", input, err)
	}
	if e.Reason != reason || e.Input != input {
		t.Fatalf("Parse(%q) = %+v, want reason %s", input, *e, reason)
	}
	if n != (Name{}) {
		t.Fatalf("Parse(%q) returned %q with an error", input, n)
	}
}
