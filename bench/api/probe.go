package main

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// checkEncoding proves that the seeder writes what the store writes. For
// one hostname of each kind it (1) stores it with the store's own
// CreateHostname and reads the raw row, (2) deletes it, (3) stores the same
// value with the seeder's bulk path and reads the raw row, and compares the
// two column by column; then it checks that the store reads the seeded row
// back as the hostname the service built, and that the zone's count is
// where it started.
func checkEncoding(ctx context.Context, st store.Store, db benchDB, gen *generator) error {
	zoneID := gen.zoneID
	before, _, err := db.Counts(ctx, zoneID)
	if err != nil {
		return err
	}
	for v := range 4 {
		h, err := gen.build(ctx, specFor(v, fmt.Sprintf("probe-%d.customer-probe.com", v)))
		if err != nil {
			return err
		}
		if err := st.CreateHostname(ctx, h); err != nil {
			return fmt.Errorf("probe through the store: %w", err)
		}
		want, err := db.Row(ctx, h.ID)
		if err != nil {
			return fmt.Errorf("reading the store's row: %w", err)
		}
		if err := st.DeleteHostname(ctx, zoneID, h.ID); err != nil {
			return err
		}
		if err := db.Insert(ctx, 1, 1, func(int) (core.Hostname, error) { return h, nil }, func(int) {}); err != nil {
			return fmt.Errorf("probe through the seeder: %w", err)
		}
		got, err := db.Row(ctx, h.ID)
		if err != nil {
			return fmt.Errorf("reading the seeder's row: %w", err)
		}
		cols := make([]string, 0, len(want))
		for c := range want {
			cols = append(cols, c)
		}
		slices.Sort(cols)
		for _, c := range cols {
			if !reflect.DeepEqual(want[c], got[c]) {
				return fmt.Errorf("the seeder's encoding drifted from the store's: column %s is %#v from the store, %#v from the seeder (update bench/api/columns.go)",
					c, want[c], got[c])
			}
		}
		if len(got) != len(want) {
			return fmt.Errorf("the seeder's row has %d columns, the store's %d", len(got), len(want))
		}
		back, err := st.GetHostname(ctx, zoneID, h.ID)
		if err != nil {
			return fmt.Errorf("reading the seeded probe through the store: %w", err)
		}
		if d := cmp.Diff(h, back); d != "" {
			return fmt.Errorf("the store reads a seeded row back differently (-built +read):\n%s", d)
		}
		if err := st.DeleteHostname(ctx, zoneID, h.ID); err != nil {
			return err
		}
	}
	after, _, err := db.Counts(ctx, zoneID)
	if err != nil {
		return err
	}
	if after != before {
		return fmt.Errorf("the zone's hostname count moved from %d to %d over the probes", before, after)
	}
	return nil
}
