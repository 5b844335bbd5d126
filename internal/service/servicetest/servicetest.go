// Package servicetest builds a real Service for tests: a SQLite store in a
// temporary directory, a fake clock, a sealing box, a captured log, recorded
// hooks and a test CA whose root the service trusts for uploaded
// certificates. It is for tests only (it takes a testing.TB).
package servicetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/sqlite"
)

// Start is the fake clock's initial time: a fixed instant with a fractional
// second, so that time formatting is exercised.
var Start = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// Env is a service with everything around it.
type Env struct {
	Svc   *service.Service
	Store store.Store
	Box   *secrets.Box
	Clock *clock.Fake
	Logs  *LogBuffer
	Hooks *Hooks
	CA    *CA
}

// New returns an Env. configure, when not nil, adjusts the service config
// (CertRoots is preset to the test CA).
func New(t testing.TB, configure func(*service.Config)) *Env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "portico.db"))
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatalf("creating the box: %v", err)
	}
	e := &Env{Store: st, Box: box, Clock: clock.NewFake(Start), Logs: &LogBuffer{}, Hooks: &Hooks{}}
	e.CA = NewCA(t, e.Clock)
	cfg := service.Config{CertRoots: e.CA.Pool}
	if configure != nil {
		configure(&cfg)
	}
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Svc = service.New(cfg, st, box, e.Clock, log)
	e.Svc.SetHooks(e.Hooks)
	return e
}

// Zone creates a zone and a token for it.
func (e *Env) Zone(t testing.TB, in service.ZoneInput) (core.Zone, string) {
	t.Helper()
	ctx := context.Background()
	z, err := e.Svc.CreateZone(ctx, in)
	if err != nil {
		t.Fatalf("creating zone %s: %v", in.Name, err)
	}
	tok, _, err := e.Svc.CreateToken(ctx, z.ID)
	if err != nil {
		t.Fatalf("creating a token: %v", err)
	}
	return z, tok
}

// Count returns how many hostnames a zone holds.
func (e *Env) Count(t testing.TB, zoneID string) int {
	t.Helper()
	n, err := e.Store.CountHostnames(context.Background(), zoneID)
	if err != nil {
		t.Fatalf("counting hostnames: %v", err)
	}
	return n
}

// LogBuffer collects JSON log lines; safe for concurrent use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Records returns the log lines as decoded objects whose every key/value
// pair in match is equal (values compared as strings).
func (b *LogBuffer) Records(match map[string]string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(b.String(), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		ok := true
		for k, v := range match {
			if s, _ := m[k].(string); s != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// Hooks records HostnameChanged calls.
type Hooks struct {
	mu    sync.Mutex
	calls []string
}

// HostnameChanged records "reason hostnameID".
func (h *Hooks) HostnameChanged(_ context.Context, zoneID, hostnameID, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, reason+" "+hostnameID)
}

// Take returns the calls so far and forgets them.
func (h *Hooks) Take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls
	h.calls = nil
	return c
}
