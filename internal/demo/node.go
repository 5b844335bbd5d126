package demo

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/daemon"
)

// The names the demo plays with. Portico's hostname parser refuses the
// special-use TLDs (.example, .test), so the demo uses the names of the
// README's quick start; nothing leaves the machine: every lookup goes to
// the stand-in DNS and every connection to loopback.
const (
	zoneName    = "saasprovider.com"
	cnameTarget = "customers.saasprovider.com"
	dcvZone     = "dcv.saasprovider.com"
	customer    = "example-customer.com"
	hostname    = "shop." + customer
)

// logFileName is Portico's log inside the demo's directory.
const logFileName = "portico.log"

// serveConfig is the configuration of the demo's node: `portico serve`'s
// defaults (read from its flags, so that they never drift) with SQLite in
// dir, the internal CA, every listener on a loopback port the kernel picks,
// and the stand-in DNS as the resolver.
func serveConfig(dir, resolver string) (config.Serve, error) {
	var cfg config.Serve
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	cfg.Register(fs)
	if err := fs.Parse(nil); err != nil {
		return cfg, err
	}
	cfg.Database = "sqlite:" + filepath.Join(dir, "portico.db")
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	cfg.APIListen = "127.0.0.1:0"
	cfg.HTTPSListen = "127.0.0.1:0"
	cfg.HTTPListen = "127.0.0.1:0"
	cfg.Issuer = config.IssuerInternal
	cfg.DCVZone = dcvZone
	cfg.DNSListen = "127.0.0.1:0"
	cfg.Resolver = resolver
	cfg.EdgeIPv4 = "127.0.0.1"
	cfg.VerifyAllowPrivate = true // the customer's DNS points at loopback
	cfg.LogLevel = "debug"
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg, cfg.Validate()
}

// startNode starts a Portico node as `portico serve` would, logging to
// logFileName in dir.
func startNode(ctx context.Context, dir, resolver string) (*daemon.Daemon, *os.File, error) {
	cfg, err := serveConfig(dir, resolver)
	if err != nil {
		return nil, nil, fmt.Errorf("demo configuration: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, logFileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := daemon.New(cfg, log)
	if err := d.Start(ctx); err != nil {
		logf.Close()
		return nil, nil, fmt.Errorf("starting Portico: %w", err)
	}
	if d.Edge() == nil || d.InternalCARoot() == nil || d.DNSAddr() == "" {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		_ = d.Shutdown(sctx)
		logf.Close()
		return nil, nil, fmt.Errorf("starting Portico: the edge, the internal CA or the DCV DNS server did not start")
	}
	return d, logf, nil
}
