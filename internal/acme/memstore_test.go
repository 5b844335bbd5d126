package acme

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestMemOrders(t *testing.T) {
	ctx := context.Background()
	var m MemOrders
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	iss := Issuance{ID: "a", Identifiers: []string{"x.example.com"}, Step: StepNew, NextAttemptAt: now}
	if err := m.CreateIssuance(ctx, &iss); err != nil || iss.Version != 1 {
		t.Fatalf("create: %v, version %d", err, iss.Version)
	}
	if err := m.CreateIssuance(ctx, &Issuance{ID: "a"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate create: %v", err)
	}
	if _, err := m.GetIssuance(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}

	// Values are copied: changing what was passed in or read changes
	// nothing stored.
	iss.Identifiers[0] = "changed.example.com"
	got, _ := m.GetIssuance(ctx, "a")
	if got.Identifiers[0] != "x.example.com" {
		t.Fatal("the store shares its slices with the caller")
	}

	stale := got
	got.Step = StepOrdered
	if err := m.SaveIssuance(ctx, &got); err != nil || got.Version != 2 {
		t.Fatalf("save: %v, version %d", err, got.Version)
	}
	stale.Step = StepFailed
	if err := m.SaveIssuance(ctx, &stale); !errors.Is(err, ErrStale) || stale.Version != 1 {
		t.Fatalf("stale save: %v, version %d", err, stale.Version)
	}
	if err := m.SaveIssuance(ctx, &Issuance{ID: "missing", Version: 1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("save missing: %v", err)
	}

	later := Issuance{ID: "b", Step: StepNew, NextAttemptAt: now.Add(time.Hour)}
	done := Issuance{ID: "c", Step: StepDone}
	_ = m.CreateIssuance(ctx, &later)
	_ = m.CreateIssuance(ctx, &done)
	due, err := m.DueIssuances(ctx, now, 10)
	if err != nil || len(due) != 1 || due[0].ID != "a" {
		t.Fatalf("due now: %v %+v", err, due)
	}
	due, _ = m.DueIssuances(ctx, now.Add(2*time.Hour), 1)
	if len(due) != 1 || due[0].ID != "a" {
		t.Fatalf("due later, limit 1: %+v", due)
	}

	// One winner per version under concurrency.
	var wg sync.WaitGroup
	wins := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := got
			wins <- m.SaveIssuance(ctx, &c) == nil
		}()
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d concurrent saves of one version won, want 1", n)
	}
}

func TestMemAccounts(t *testing.T) {
	ctx := context.Background()
	var m MemAccounts
	if _, err := m.GetAccount(ctx, "le", "https://dir"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := m.CreateAccount(ctx, Account{CA: "le", DirectoryURL: "https://dir", KeyCiphertext: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateAccount(ctx, Account{CA: "le", DirectoryURL: "https://dir"}); !errors.Is(err, ErrConflict) {
		t.Fatal(err)
	}
	if err := m.SetAccountURL(ctx, "le", "https://dir", "https://dir/acct/1"); err != nil {
		t.Fatal(err)
	}
	a, err := m.GetAccount(ctx, "le", "https://dir")
	if err != nil || a.URL != "https://dir/acct/1" || len(a.KeyCiphertext) != 1 {
		t.Fatalf("%v %+v", err, a)
	}
}
