package acme_test

import (
	"errors"
	"testing"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/acme/acmetest"
)

// The kill matrix (threat model F1): for each step, kill the engine right
// before or right after that step is saved, then run a fresh engine over
// the same store to the end. Every run ends with exactly one certificate;
// the only extra order is the one whose URL was never saved.
func TestCrashMatrix(t *testing.T) {
	for _, step := range acmetest.Steps {
		for _, before := range []bool{false, true} {
			name := string(step) + "/after_save"
			if before {
				name = string(step) + "/before_save"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t, envOptions{})
				e.httpHost("crash.example.com")
				id := e.create(acme.Issuance{Identifiers: []string{"crash.example.com"}})

				ks := &acmetest.KillingStore{OrderStore: e.orders, At: step, Before: before}
				err := e.issuerOver(e.config(), ks).Run(t.Context(), id)
				if !errors.Is(err, acmetest.ErrKilled) {
					t.Fatalf("first engine: %v, want killed", err)
				}

				// A new process: new engine, new ACME client, same database.
				if err := e.issuer(e.config()).Run(t.Context(), id); err != nil {
					t.Fatalf("after restart: %v", err)
				}
				e.checkIssued(id, "crash.example.com")
				wantOrders := 1
				if before && step == acme.StepOrdered {
					wantOrders = 2
				}
				if got := e.pebble.Orders(); got != wantOrders {
					t.Errorf("%d orders, want %d", got, wantOrders)
				}
				if got := e.pebble.Finalized(); got != 1 {
					t.Errorf("%d certificates issued, want exactly 1", got)
				}
				if got := e.pebble.Accounts(); got != 1 {
					t.Errorf("%d accounts, want 1", got)
				}
			})
		}
	}
}
