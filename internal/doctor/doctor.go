package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/daemon"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/verify"
)

// Options tune a run. The zero value gives the defaults.
type Options struct {
	// Timeout bounds each probe: one DNS lookup, one HTTP request. Default
	// 3 s.
	Timeout time.Duration
	// EnvWarnings are the warnings config.Parse gave (PORTICO_ variables
	// that name no flag: likely typos in an environment file); each becomes
	// a WARN.
	EnvWarnings []string
}

// Run checks cfg, the configuration `portico serve` would run with, and
// returns every check's result. It honours ctx; a check cut short reports
// what it could not do.
func Run(ctx context.Context, cfg config.Serve, opts Options) Report {
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	r := &run{cfg: cfg, opts: opts, accounts: map[string]acme.Account{}, cas: configuredCAs(cfg.Certs)}
	defer r.close()
	r.checkConfig()
	r.checkMasterKey()
	r.checkDatabase(ctx)
	r.checkSealedKeys(ctx)
	r.checkIssuer(ctx)
	r.checkListeners(ctx)
	r.checkResolver()
	r.checkCNAMETargets(ctx)
	r.checkDCVDelegation(ctx)
	r.checkDCVServer(ctx)
	r.checkCAA(ctx)
	return newReport(r.results)
}

// run is one doctor run: the configuration, the results so far, and what
// earlier checks found that later ones need.
type run struct {
	cfg     config.Serve
	opts    Options
	results []Result

	box        *secrets.Box // nil: no usable master key
	keyMissing bool         // the key file does not exist yet
	keyPath    string       // the key file ("" when the key is in the environment)

	store   store.Store // nil unless the database is current and open
	dbState dbState
	zones   []core.Zone

	cas      []caInfo                // the ACME CAs, default first; none for the internal CA
	accounts map[string]acme.Account // by CA name, when the database has one

	portico  bool            // a Portico answers /healthz on --api-listen
	bindable map[string]bool // listen address -> it could be bound
	inUse    map[string]bool // listen address -> another socket holds it
	resolver *verify.DNSResolver
	caa      *acme.DNSCAAResolver
}

// dbState is what the database check found.
type dbState int

const (
	dbBroken  dbState = iota // unreadable, too new, or misconfigured
	dbMissing                // a SQLite file serve will create
	dbPending                // readable, migrations pending: not opened
	dbOpen                   // current and open: r.store is set
)

func (r *run) close() {
	if r.store != nil {
		_ = r.store.Close()
	}
}

func (r *run) add(check, subject string, status Status, msg, fix string) {
	r.results = append(r.results, Result{Check: check, Subject: subject, Status: status, Message: msg, Fix: fix})
}

func (r *run) ok(check, subject, msg string) { r.add(check, subject, OK, msg, "") }

func (r *run) warn(check, subject, msg, fix string) { r.add(check, subject, Warn, msg, fix) }

func (r *run) fail(check, subject, msg, fix string) { r.add(check, subject, Fail, msg, fix) }

// probe returns a context for one network probe.
func (r *run) probe(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.opts.Timeout)
}

func (r *run) checkConfig() {
	if err := r.cfg.Validate(); err != nil {
		r.fail("config", "", strings.ReplaceAll(err.Error(), "\n", "; "),
			"correct the flags or PORTICO_ environment variables named above: serve refuses to start with them")
	} else {
		r.ok("config", "", fmt.Sprintf("the flags and environment are valid (database %s, issuer %s)",
			databaseKind(r.cfg.Store), r.cfg.Certs.EffectiveIssuer()))
	}
	for _, w := range r.opts.EnvWarnings {
		r.warn("environment", "", w, "correct the variable's name (every flag --some-flag is PORTICO_SOME_FLAG) or remove it")
	}
}

func databaseKind(s config.Store) string {
	if s.IsPostgres() {
		return "PostgreSQL"
	}
	return "SQLite"
}

// dataDir is where serve keeps local state: the master key file by default
// and the internal CA.
func (r *run) dataDir() string { return r.cfg.Store.DataDir() }

// dcvZone is --dcv-zone in canonical form ("" when unset).
func (r *run) dcvZone() string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(r.cfg.DCVZone)), ".")
}

// edgeAddrs returns --edge-ipv4 and --edge-ipv6 (nil when unset or
// invalid: the config check reports invalid ones).
func (r *run) edgeAddrs() []netip.Addr {
	v4, v6, err := r.cfg.EdgeAddrs()
	if err != nil {
		return nil
	}
	return append(v4, v6...)
}

// joinAddrs renders addresses for messages.
func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// compareAddrs splits found into the addresses that are in want and those
// that are not, and lists the addresses of want that found lacks.
func compareAddrs(found, want []netip.Addr) (in, out, missing []netip.Addr) {
	for _, a := range found {
		if slices.Contains(want, a) {
			in = append(in, a)
		} else {
			out = append(out, a)
		}
	}
	for _, a := range want {
		if !slices.Contains(found, a) {
			missing = append(missing, a)
		}
	}
	return in, out, missing
}

// internalCADir is the internal CA's directory (daemon.InternalCADir).
func (r *run) internalCADir() string { return filepath.Join(r.dataDir(), daemon.InternalCADir) }
