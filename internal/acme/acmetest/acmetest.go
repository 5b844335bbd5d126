// Package acmetest holds the acme engine's fault injection, shared by the
// engine's own kill matrix (over the in-memory store) and the SQLite
// store's (over a real file). Test-only: nothing here is linked into the
// portico binary.
package acmetest

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/porticohq/portico/internal/acme"
)

// Steps are the steps a successful HTTP-01 or DNS-01 issuance saves, in
// order.
var Steps = []acme.Step{acme.StepOrdered, acme.StepAuthorized, acme.StepChallengeReady,
	acme.StepChallengeSubmitted, acme.StepFinalizing, acme.StepDownloaded, acme.StepDone}

// ErrKilled stands for kill -9: the engine stops at once, with no cleanup.
var ErrKilled = errors.New("killed")

// KillingStore kills the engine at the save of step At: after the save is
// durable (the process dies right after the commit), or, with Before,
// before it (the network call was made, its result never written). Saves
// at other steps, and every save after the kill, pass through.
type KillingStore struct {
	acme.OrderStore
	At     acme.Step
	Before bool
	killed atomic.Bool
}

// SaveIssuance implements acme.OrderStore.
func (k *KillingStore) SaveIssuance(ctx context.Context, iss *acme.Issuance) error {
	if iss.Step != k.At || k.killed.Load() {
		return k.OrderStore.SaveIssuance(ctx, iss)
	}
	k.killed.Store(true)
	if k.Before {
		return ErrKilled
	}
	if err := k.OrderStore.SaveIssuance(ctx, iss); err != nil {
		return err
	}
	return ErrKilled
}
