package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/porticohq/portico/internal/database"
	"github.com/porticohq/portico/internal/store"
)

// checkDatabase reads the schema version without migrating, and opens the
// store only when it is current (opening applies migrations), to read the
// zones and the ACME accounts the later checks need.
func (r *run) checkDatabase(ctx context.Context) {
	cfg := r.cfg.Store
	subject := redactDSN(cfg.Database)
	if err := cfg.Validate(); err != nil {
		r.fail("database", subject, err.Error(), "set --database to sqlite:PATH or postgres://user@host:port/db")
		return
	}
	schema, err := database.SchemaVersion(ctx, cfg)
	switch {
	case !cfg.IsPostgres() && errors.Is(err, fs.ErrNotExist):
		r.dbState = dbMissing
		r.ok("database", subject, fmt.Sprintf("does not exist yet: serve creates it (and its directory, mode 0700) and applies the %d migrations", schema.Latest))
		return
	case err != nil:
		fix := "check the path, and that the user serve runs as may read and write the file and its directory"
		if cfg.IsPostgres() {
			fix = "check that the server runs and the DSN (host, port, user, database, sslmode); pg_hba.conf must let this user connect"
		}
		r.fail("database", subject, "cannot be read: "+scrubDSN(err.Error(), cfg.Database), fix)
		return
	case schema.Newer():
		r.fail("database", subject, fmt.Sprintf("schema version %d is newer than this binary's %d: a newer Portico has migrated it, and this one refuses to open it",
			schema.Current, schema.Latest), "run the newer binary (downgrades are not supported; to go back, restore the backup taken before the upgrade)")
		return
	case schema.Pending():
		r.dbState = dbPending
		r.warn("database", subject, fmt.Sprintf("schema version %d, this binary's is %d: serve applies the pending migrations when it starts (zones are not read until then)",
			schema.Current, schema.Latest), "back up the database, then run `portico migrate` or start serve")
		return
	}
	st, err := database.Open(ctx, cfg) // current: no migration runs
	if err == nil {
		err = st.Ping(ctx)
		if err != nil {
			st.Close()
		}
	}
	if err != nil {
		r.fail("database", subject, "cannot be opened: "+scrubDSN(err.Error(), cfg.Database), "check that the database is reachable and writable by the user serve runs as")
		return
	}
	r.store, r.dbState = st, dbOpen
	zones, err := st.ListZones(ctx)
	if err != nil {
		r.fail("database", subject, "cannot be read: "+scrubDSN(err.Error(), cfg.Database), "check the database's health (its logs)")
		return
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].Name < zones[j].Name })
	r.zones = zones
	r.readAccounts(ctx)

	msg := fmt.Sprintf("schema version %d (current), %d %s", schema.Current, len(zones), plural(len(zones), "zone", "zones"))
	if !cfg.IsPostgres() {
		if fi, err := os.Stat(cfg.SQLitePath()); err == nil && fi.Mode().Perm()&0o077 != 0 {
			r.warn("database", subject, fmt.Sprintf("%s; but the file has mode %04o: it holds sealed keys and token hashes", msg, fi.Mode().Perm()),
				"chmod 600 "+cfg.SQLitePath())
			return
		}
	}
	r.ok("database", subject, msg)
}

// readAccounts loads the ACME account of each configured CA, if one was
// registered: its key is a sealed sample, its URL matters for CAA.
func (r *run) readAccounts(ctx context.Context) {
	st, ok := r.store.(store.Issuances)
	if !ok {
		return
	}
	for _, ca := range r.cas {
		if a, err := st.GetAccount(ctx, ca.name, ca.directory); err == nil {
			r.accounts[ca.name] = a
		}
	}
}

// redactDSN hides a PostgreSQL password.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return kvPassword.ReplaceAllString(dsn, "password=xxxxx")
}

var kvPassword = regexp.MustCompile(`password=\S+`)

// scrubDSN removes the DSN's password from an error message, in case a
// driver quotes it.
func scrubDSN(msg, dsn string) string {
	var pw string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		pw, _ = u.User.Password()
	} else if m := kvPassword.FindString(dsn); m != "" {
		pw = strings.TrimPrefix(m, "password=")
	}
	if pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}
