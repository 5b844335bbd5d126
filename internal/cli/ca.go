package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/porticohq/portico/internal/acme/internalca"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/daemon"
)

// runCA handles `portico ca root`: it prints the internal CA's root
// certificate (PEM), creating the CA if the data directory has none yet, so
// that clients can trust what `--issuer internal` signs before the first
// serve.
func runCA(_ context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "root" {
		return fmt.Errorf("want: ca root")
	}
	var st config.Store
	var sec config.Secrets
	var dir string
	fs := flag.NewFlagSet("ca root", flag.ContinueOnError)
	st.Register(fs)
	sec.Register(fs)
	fs.StringVar(&dir, "internal-ca-dir", "", "directory of the internal CA (as given to serve)")
	if err := parse(env, fs, args[1:]); err != nil {
		return err
	}
	box, err := daemon.LoadSecrets(st, sec)
	if err != nil {
		return err
	}
	ca, err := internalca.LoadOrCreate(daemon.InternalCAPath(st, sec, dir), box, clock.Real{})
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(ca.RootPEM())
	return err
}
