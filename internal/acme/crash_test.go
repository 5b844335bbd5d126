package acme_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/porticohq/portico/internal/acme"
)

// errKilled stands for kill -9: the engine stops at once, with no cleanup.
var errKilled = errors.New("killed")

// killingStore kills the engine at the save of one step: after the save is
// durable (the process dies right after the commit), or before it (the
// network call was made, its result never written).
type killingStore struct {
	acme.OrderStore
	at     acme.Step
	before bool
	killed atomic.Bool
}

func (k *killingStore) SaveIssuance(ctx context.Context, iss *acme.Issuance) error {
	if iss.Step != k.at || k.killed.Load() {
		return k.OrderStore.SaveIssuance(ctx, iss)
	}
	k.killed.Store(true)
	if k.before {
		return errKilled
	}
	if err := k.OrderStore.SaveIssuance(ctx, iss); err != nil {
		return err
	}
	return errKilled
}

// The kill matrix (threat model F1): for each step, kill the engine right
// before or right after that step is saved, then run a fresh engine over
// the same store to the end. Every run ends with exactly one certificate;
// the only extra order is the one whose URL was never saved.
func TestCrashMatrix(t *testing.T) {
	steps := []acme.Step{acme.StepOrdered, acme.StepAuthorized, acme.StepChallengeReady,
		acme.StepChallengeSubmitted, acme.StepFinalizing, acme.StepDownloaded, acme.StepDone}
	for _, step := range steps {
		for _, before := range []bool{false, true} {
			name := string(step) + "/after_save"
			if before {
				name = string(step) + "/before_save"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t, envOptions{})
				e.httpHost("crash.example.com")
				id := e.create(acme.Issuance{Identifiers: []string{"crash.example.com"}})

				ks := &killingStore{OrderStore: e.orders, at: step, before: before}
				err := e.issuerOver(e.config(), ks).Run(t.Context(), id)
				if !errors.Is(err, errKilled) {
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
