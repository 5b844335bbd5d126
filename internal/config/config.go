package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"
)

// DefaultDataDir is where Portico keeps its embedded database and master key
// when nothing else is configured.
const DefaultDataDir = "./portico-data"

// Store selects the database. Every command that touches state embeds it.
type Store struct {
	// Database is "sqlite:PATH" (the default, sqlite:./portico-data/portico.db)
	// or a PostgreSQL URL "postgres://..." / "postgresql://...".
	Database string
}

// Register adds the store flags to fs.
func (s *Store) Register(fs *flag.FlagSet) {
	fs.StringVar(&s.Database, "database", "sqlite:"+filepath.Join(DefaultDataDir, "portico.db"),
		"database: sqlite:PATH or postgres://user@host:port/db")
}

// IsPostgres reports whether the database is PostgreSQL.
func (s Store) IsPostgres() bool {
	return strings.HasPrefix(s.Database, "postgres://") || strings.HasPrefix(s.Database, "postgresql://")
}

// SQLitePath returns the file of a sqlite: database.
func (s Store) SQLitePath() string { return strings.TrimPrefix(s.Database, "sqlite:") }

// Validate checks the database setting.
func (s Store) Validate() error {
	switch {
	case s.IsPostgres():
		return nil
	case strings.HasPrefix(s.Database, "sqlite:") && len(s.SQLitePath()) > 0:
		return nil
	}
	return fmt.Errorf("--database %q: want sqlite:PATH or postgres://...", s.Database)
}

// DataDir is the directory for local state (master key, embedded database).
// For SQLite it is the database's directory; for PostgreSQL ./portico-data.
func (s Store) DataDir() string {
	if s.IsPostgres() {
		return DefaultDataDir
	}
	return filepath.Dir(s.SQLitePath())
}

// Secrets says where the master key that encrypts private keys at rest comes
// from. MasterKey (PORTICO_MASTER_KEY) wins over MasterKeyFile; when neither is
// set, the key file in the data directory is used and created on first run.
type Secrets struct {
	MasterKey     string
	MasterKeyFile string
}

// Register adds the secrets flags to fs.
func (s *Secrets) Register(fs *flag.FlagSet) {
	fs.StringVar(&s.MasterKey, "master-key", "", "master key (base64 of 32 bytes); prefer the environment variable PORTICO_MASTER_KEY")
	fs.StringVar(&s.MasterKeyFile, "master-key-file", "", "file holding the master key (default: master.key in the data directory, created if absent)")
}

// Serve configures `portico serve`.
type Serve struct {
	Store
	Secrets
	Verify
	Edge
	Certs
	Webhooks
	Mail
	// APIListen is the control plane's address (default 127.0.0.1:8080).
	APIListen string
	// LogLevel is debug, info, warn or error (default info).
	LogLevel string
	// LogFormat is text or json (default text).
	LogFormat string
	// DCVZone is the provider's zone for delegated ACME DNS-01 validation
	// (e.g. dcv.saasprovider.com); hostnames under it are refused.
	DCVZone string
	// CustomCertRoots is a PEM bundle added to the system roots when uploaded
	// certificates are bundled (bundle_method ubiquitous/optimal).
	CustomCertRoots string
	// Quota is the number of custom hostnames a zone may hold (0: no limit).
	Quota int
	// ShutdownTimeout bounds graceful shutdown (default 15s).
	ShutdownTimeout time.Duration
}

// Register adds the serve flags to fs.
func (c *Serve) Register(fs *flag.FlagSet) {
	c.Store.Register(fs)
	c.Secrets.Register(fs)
	c.Verify.Register(fs)
	c.Edge.Register(fs)
	c.Certs.Register(fs)
	c.Webhooks.Register(fs)
	c.Mail.Register(fs)
	fs.StringVar(&c.APIListen, "api-listen", "127.0.0.1:8080", "control plane API listen address")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.DCVZone, "dcv-zone", "", "zone for delegated ACME DNS-01 validation, e.g. dcv.saasprovider.com")
	fs.StringVar(&c.CustomCertRoots, "custom-cert-roots", "", "PEM file of extra roots trusted when bundling uploaded certificates")
	fs.IntVar(&c.Quota, "quota", 0, "custom hostnames allowed per zone (0: no limit)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long graceful shutdown may take")
}

// Validate checks the serve configuration.
func (c Serve) Validate() error {
	var errs []error
	errs = append(errs, c.Store.Validate(), c.Verify.Validate(), c.Edge.Validate(), c.Certs.Validate(c.DCVZone), c.Webhooks.Validate(), c.Mail.Validate())
	if _, _, err := net.SplitHostPort(c.APIListen); err != nil {
		errs = append(errs, fmt.Errorf("--api-listen %q: %w", c.APIListen, err))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	if c.Quota < 0 {
		errs = append(errs, fmt.Errorf("--quota %d: must not be negative", c.Quota))
	}
	return errors.Join(errs...)
}
