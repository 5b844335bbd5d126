// Package node starts a real Portico node (the same daemon `portico serve`
// runs) on loopback for tests, on SQLite or PostgreSQL, and drives the
// operator CLI against its store.
package node

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/daemon"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/pgtest"
)

// Backends are the databases a node can run on.
var Backends = []string{"sqlite", "postgres"}

// Node is a running Portico node.
type Node struct {
	Daemon   *daemon.Daemon
	Database string // the --database value
	DataDir  string
	// BaseURL is the API root, e.g. http://127.0.0.1:PORT.
	BaseURL string
	// Logs collects everything the node logged.
	Logs *SyncBuffer
	// DNS is the node's --resolver: a loopback DNS server in which tests
	// publish customers' records (ownership TXT, CNAME). It starts empty,
	// so that checks get "not there" at once instead of waiting on the
	// machine's resolvers.
	DNS *dnstest.Server

	stopOnce sync.Once
}

// Start runs a node on backend ("sqlite" or "postgres") until the test ends.
// mutate, when not nil, adjusts the configuration first; opts (a fake clock,
// say) go to the daemon. Verification asks the node's own DNS server and may
// fetch HTTP tokens from loopback.
func Start(t testing.TB, backend string, mutate func(*config.Serve), opts ...daemon.Option) *Node {
	t.Helper()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "portico.db")
	if backend == "postgres" {
		db = pgtest.NewDatabase(t)
	}
	cfg := config.Serve{
		Store:           config.Store{Database: db},
		Secrets:         config.Secrets{MasterKeyFile: filepath.Join(dir, "master.key")},
		APIListen:       "127.0.0.1:0",
		LogLevel:        "debug",
		LogFormat:       "json",
		ShutdownTimeout: 5 * time.Second,
	}
	dns := dnstest.New(t)
	cfg.Verify = config.Verify{Resolver: dns.Addr(), VerifyAllowPrivate: true}
	if mutate != nil {
		mutate(&cfg)
	}
	logs := &SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := daemon.New(cfg, log, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatalf("starting portico: %v", err)
	}
	n := &Node{Daemon: d, Database: db, DataDir: dir, BaseURL: "http://" + d.APIAddr(), Logs: logs, DNS: dns}
	t.Cleanup(func() {
		n.Stop(t)
		n.logErrors(t)
	})
	return n
}

// logErrors puts the node's ERROR lines into a failed test's output: a 500
// says only "quote the request id", and the cause is in the log.
func (n *Node) logErrors(t testing.TB) {
	if !t.Failed() {
		return
	}
	for _, line := range strings.Split(string(n.Logs.Bytes()), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Log("node: " + line)
		}
	}
}

// Stop shuts the node down (once; the test's end does it otherwise). Its
// database stays: a test restarts on it with Start and a mutator that
// sets Database and MasterKeyFile to this node's.
func (n *Node) Stop(t testing.TB) {
	n.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Daemon.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

// CLI runs `portico args...` against the node's store and decodes the one
// JSON object it prints into out (when out is not nil).
func (n *Node) CLI(t testing.TB, out any, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	full := append(append([]string{}, args...), "--database", n.Database, "--master-key-file", filepath.Join(n.DataDir, "master.key"))
	code := cli.Main(context.Background(), cli.Env{Args: full, Stdout: &stdout, Stderr: &stderr})
	if code != 0 {
		t.Fatalf("portico %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			t.Fatalf("portico %s printed %q: %v", strings.Join(args, " "), stdout.String(), err)
		}
	}
}

// Tenant is a zone with an API token.
type Tenant struct {
	ZoneID string
	Token  string
}

// NewTenant creates a zone (name, CNAME target customers.<name>) and a token
// through the CLI, as an operator would.
func (n *Node) NewTenant(t testing.TB, name string, extra ...string) Tenant {
	t.Helper()
	var z struct{ ID string }
	n.CLI(t, &z, append([]string{"zone", "create", "--name", name, "--cname-target", "customers." + name}, extra...)...)
	var tok struct{ Token string }
	n.CLI(t, &tok, "token", "create", "--zone", z.ID)
	if z.ID == "" || tok.Token == "" {
		t.Fatalf("zone %q or token %q empty", z.ID, tok.Token)
	}
	return Tenant{ZoneID: z.ID, Token: tok.Token}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

var _ io.Writer = (*SyncBuffer)(nil)

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of what was written.
func (b *SyncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}
