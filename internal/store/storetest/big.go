package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// BigSize returns how many hostnames the large-zone measurement seeds, from
// PORTICO_STORE_BIG ("1" means 1,000,000; a larger number is the count), and
// skips t when the variable is unset: seeding takes minutes.
func BigSize(t *testing.T) int {
	t.Helper()
	v := os.Getenv("PORTICO_STORE_BIG")
	if v == "" {
		t.Skip("PORTICO_STORE_BIG is not set")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("PORTICO_STORE_BIG=%q: want 1 or a number of hostnames", v)
	}
	if n == 1 {
		n = 1_000_000
	}
	return n
}

// BigZone is the zone the large-zone measurement seeds.
func BigZone() core.Zone {
	return core.Zone{ID: "b16b16b16b16b16b16b16b16b16b16b1", Name: "big.example", CNAMETarget: "customers.big.example", CreatedAt: base}
}

// BigHostname returns the i-th hostname of the large zone: what a hostname
// looks like right after creation (pending, with its validation records and
// token), so that the bytes per hostname are realistic. Ids are random-looking
// but derived from i, so the measurement can pick rows without a list.
func BigHostname(i int) core.Hostname {
	name := fmt.Sprintf("shop-%07d.customer-%07d.example", i, i*7919%1_000_003)
	token := bigID("token", i)
	h := core.Hostname{
		ID:                 bigID("hostname", i),
		ZoneID:             BigZone().ID,
		Name:               name,
		Status:             core.HostnamePending,
		VerificationErrors: []string{"custom hostname does not CNAME to this zone."},
		OwnershipToken:     token,
		SSL: core.SSL{
			ID:     bigID("ssl", i),
			Type:   "dv",
			Method: core.DCVHTTP,
			Status: core.SSLPendingValidation,
			ValidationRecords: []core.ValidationRecord{{
				HTTPURL:  "http://" + name + "/.well-known/acme-challenge/" + token[:8] + "-Zm9vYmFyYmF6cXV4cXV1eGNvcmdl",
				HTTPBody: token + ".Q2VydGlmaWNhdGVUaHVtYnByaW50",
				Status:   "pending",
			}},
			DCVDelegation: []core.ValidationRecord{{CNAME: "_acme-challenge." + name, CNAMETarget: name + ".dcv.big.example"}},
		},
		CreatedAt: base.Add(time.Duration(i) * 37 * time.Millisecond),
		UpdatedAt: base.Add(time.Duration(i) * 37 * time.Millisecond),
		Version:   1,
	}
	switch i % 4 {
	case 1:
		h.CustomMetadata = json.RawMessage(fmt.Sprintf(`{"customer_id":%d,"plan":"pro"}`, i))
	case 2:
		h.CustomOriginServer = "origin-" + strconv.Itoa(i%50) + ".big.example"
		h.SSL.Settings = core.TLSSettings{MinTLSVersion: "1.2"}
	}
	return h
}

func bigID(kind string, i int) string {
	sum := sha256.Sum256([]byte(kind + strconv.Itoa(i)))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// MeasureBig times, on a store seeded with BigHostname(0..n-1), the
// operations the product bounds (create, get and exact-name list under 2 ms
// median; the last page of the unfiltered list under 50 ms) and some that it
// does not, and logs the medians. It fails only on wrong answers: timing is
// for the reader, as the machine it runs on varies.
func MeasureBig(t *testing.T, s store.Store, n int) {
	z := BigZone()
	// A rerun on a kept database creates after the rows earlier runs made.
	next, err := s.CountHostnames(ctx(t), z.ID)
	if err != nil {
		t.Fatal(err)
	}
	pick := func(k int) int { return (k * 104729) % n } // spread over the zone
	page := func(q store.HostnameQuery, wantLen int) func(k int) {
		return func(k int) {
			p, err := s.ListHostnames(ctx(t), z.ID, q)
			if err != nil {
				t.Fatalf("ListHostnames(%+v): %v", q, err)
			}
			if len(p.Hostnames) != wantLen || (!isFiltered(q) && p.Total < n) {
				t.Fatalf("ListHostnames(%+v): %d of %d", q, len(p.Hostnames), p.Total)
			}
		}
	}
	steps := []struct {
		name string
		runs int
		do   func(k int)
	}{
		{"get", 500, func(k int) {
			want := BigHostname(pick(k))
			h, err := s.GetHostname(ctx(t), z.ID, want.ID)
			if err != nil || h.Name != want.Name {
				t.Fatalf("GetHostname(%d) = %s, %v", pick(k), h.Name, err)
			}
		}},
		{"list exact name", 500, func(k int) {
			want := BigHostname(pick(k))
			p, err := s.ListHostnames(ctx(t), z.ID, store.HostnameQuery{NameExact: want.Name, Limit: 20})
			if err != nil || p.Total != 1 || len(p.Hostnames) != 1 || p.Hostnames[0].ID != want.ID {
				t.Fatalf("ListHostnames(NameExact %s) = %+v, %v", want.Name, p, err)
			}
		}},
		{"create", 200, func(k int) {
			h := BigHostname(next + k)
			if err := s.CreateHostname(ctx(t), h); err != nil {
				t.Fatalf("CreateHostname: %v", err)
			}
		}},
		{"count", 200, func(int) {
			if c, err := s.CountHostnames(ctx(t), z.ID); err != nil || c < n {
				t.Fatalf("CountHostnames = %d, %v", c, err)
			}
		}},
		{"first page, 50", 100, page(store.HostnameQuery{Limit: 50}, 50)},
		{"last page, offset n-20, 20", 100, page(store.HostnameQuery{Offset: n - 20, Limit: 20}, 20)},
		{"last page, offset n-20, 50", 100, page(store.HostnameQuery{Offset: n - 20, Limit: 50}, 50)},
		{"first page by name desc, 50", 50, page(store.HostnameQuery{Order: store.OrderHostname, Desc: true, Limit: 50}, 50)},
		{"status filter pending, 50", 50, page(store.HostnameQuery{HostnameStatus: core.HostnamePending, Limit: 50}, 50)},
		{"middle page, offset n/2", 5, page(store.HostnameQuery{Offset: n / 2, Limit: 50}, 50)},
		{"name prefix, 50", 20, page(store.HostnameQuery{NameStartsWith: "shop-00001", Limit: 50}, 50)},
		{"name contains (scan), 50", 3, page(store.HostnameQuery{NameContains: "shop-0000123.", Limit: 50}, 1)},
		{"order by ssl method (sort), 50", 3, page(store.HostnameQuery{Order: store.OrderSSL, Limit: 50}, 50)},
	}
	for _, st := range steps {
		d := make([]time.Duration, st.runs)
		for k := range st.runs {
			start := time.Now()
			st.do(k)
			d[k] = time.Since(start)
		}
		slices.Sort(d)
		t.Logf("%-32s median %9v  p90 %9v  (%d runs)", st.name, d[len(d)/2].Round(time.Microsecond),
			d[len(d)*9/10].Round(time.Microsecond), st.runs)
	}
}

func isFiltered(q store.HostnameQuery) bool {
	return q.NameContains != "" || q.NameStartsWith != "" || q.HostnameStatus != ""
}
