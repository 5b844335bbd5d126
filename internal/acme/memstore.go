package acme

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemOrders is an in-memory OrderStore, safe for concurrent use. Its zero
// value is empty and ready to use. Tests use it; it forgets everything when
// the process ends.
type MemOrders struct {
	mu   sync.Mutex
	recs map[string]Issuance
}

var _ OrderStore = (*MemOrders)(nil)

// CreateIssuance implements OrderStore.
func (m *MemOrders) CreateIssuance(ctx context.Context, iss *Issuance) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if iss.Version != 0 {
		return fmt.Errorf("creating issuance %s: version must be 0, is %d", iss.ID, iss.Version)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = make(map[string]Issuance)
	}
	if _, ok := m.recs[iss.ID]; ok {
		return fmt.Errorf("creating issuance %s: %w", iss.ID, ErrConflict)
	}
	iss.Version = 1
	m.recs[iss.ID] = iss.Clone()
	return nil
}

// GetIssuance implements OrderStore.
func (m *MemOrders) GetIssuance(ctx context.Context, id string) (Issuance, error) {
	if err := ctx.Err(); err != nil {
		return Issuance{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	iss, ok := m.recs[id]
	if !ok {
		return Issuance{}, fmt.Errorf("issuance %s: %w", id, ErrNotFound)
	}
	return iss.Clone(), nil
}

// SaveIssuance implements OrderStore.
func (m *MemOrders) SaveIssuance(ctx context.Context, iss *Issuance) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recs[iss.ID]
	if !ok {
		return fmt.Errorf("saving issuance %s: %w", iss.ID, ErrNotFound)
	}
	if cur.Version != iss.Version {
		return fmt.Errorf("saving issuance %s at version %d (stored %d): %w", iss.ID, iss.Version, cur.Version, ErrStale)
	}
	iss.Version++
	m.recs[iss.ID] = iss.Clone()
	return nil
}

// DueIssuances implements OrderStore.
func (m *MemOrders) DueIssuances(ctx context.Context, now time.Time, limit int) ([]Issuance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	var due []Issuance
	for _, iss := range m.recs {
		if !iss.Step.Terminal() && !iss.NextAttemptAt.After(now) {
			due = append(due, iss.Clone())
		}
	}
	m.mu.Unlock()
	slices.SortFunc(due, func(a, b Issuance) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if limit >= 0 && len(due) > limit {
		due = due[:limit]
	}
	return due, nil
}

// MemAccounts is an in-memory AccountStore, safe for concurrent use. Its
// zero value is ready to use.
type MemAccounts struct {
	mu   sync.Mutex
	accs map[[2]string]Account
}

var _ AccountStore = (*MemAccounts)(nil)

// GetAccount implements AccountStore.
func (m *MemAccounts) GetAccount(ctx context.Context, ca, directoryURL string) (Account, error) {
	if err := ctx.Err(); err != nil {
		return Account{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accs[[2]string{ca, directoryURL}]
	if !ok {
		return Account{}, fmt.Errorf("account for %s: %w", ca, ErrNotFound)
	}
	a.KeyCiphertext = slices.Clone(a.KeyCiphertext)
	return a, nil
}

// CreateAccount implements AccountStore.
func (m *MemAccounts) CreateAccount(ctx context.Context, a Account) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.accs == nil {
		m.accs = make(map[[2]string]Account)
	}
	k := [2]string{a.CA, a.DirectoryURL}
	if _, ok := m.accs[k]; ok {
		return fmt.Errorf("account for %s: %w", a.CA, ErrConflict)
	}
	a.KeyCiphertext = slices.Clone(a.KeyCiphertext)
	m.accs[k] = a
	return nil
}

// SetAccountURL implements AccountStore.
func (m *MemAccounts) SetAccountURL(ctx context.Context, ca, directoryURL, url string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{ca, directoryURL}
	a, ok := m.accs[k]
	if !ok {
		return fmt.Errorf("account for %s: %w", ca, ErrNotFound)
	}
	a.URL = url
	m.accs[k] = a
	return nil
}
