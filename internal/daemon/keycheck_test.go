package daemon_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/daemon"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/testkit/node"
)

// TestWrongMasterKeyFailsClosed: a node started on a database whose keys
// were sealed with another master key refuses to start (threat model D1),
// and the right key starts it again.
func TestWrongMasterKeyFailsClosed(t *testing.T) {
	var cfg config.Serve
	n := node.Start(t, "sqlite", func(c *config.Serve) { cfg = *c })
	ctx := t.Context()
	svc := n.Daemon.Service()
	z, err := svc.CreateZone(ctx, service.ZoneInput{Name: "saasprovider.com", CNAMETarget: "customers.saasprovider.com"})
	if err != nil {
		t.Fatal(err)
	}
	// The customer's DNS points at the edge, so that verification (which
	// runs on creation) keeps the hostname active.
	n.DNS.SetA("customers.saasprovider.com", "127.0.0.1")
	n.DNS.SetCNAME("shop.example-customer.com", "customers.saasprovider.com")
	h, err := svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: "shop.example-customer.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetHostnameStatus(ctx, z.ID, h.ID, core.HostnamePending, core.HostnameActive); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, err := svc.GetHostname(ctx, z.ID, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SSL.Status == core.SSLActive && len(got.SSL.Certificates) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no certificate: hostname %s, ssl %+v", got.Status, got.SSL)
		}
	}
	n.Stop(t)

	// Another master key (and its own internal CA, so that only the
	// database's keys can refuse it).
	other := cfg
	dir := t.TempDir()
	other.Secrets = config.Secrets{MasterKeyFile: filepath.Join(dir, "master.key")}
	d := daemon.New(other, slog.New(slog.DiscardHandler))
	err = d.Start(ctx)
	if err == nil {
		_ = d.Shutdown(context.Background())
		t.Fatal("started with a master key that does not open the stored keys")
	}
	if !strings.Contains(err.Error(), "does not open with this master key") {
		t.Errorf("error %q does not say what is wrong", err)
	}

	d = daemon.New(cfg, slog.New(slog.DiscardHandler))
	if err := d.Start(ctx); err != nil {
		t.Fatalf("the right key: %v", err)
	}
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
