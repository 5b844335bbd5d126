package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/doctor"
)

// runDoctor checks the configuration serve would run with: it takes the
// same flags and PORTICO_ variables as serve (so `portico doctor` with the
// unit's environment file checks exactly what the unit runs), plus --json
// and --timeout. It prints every check with its fix, and fails when one
// check failed.
func runDoctor(ctx context.Context, env Env, args []string) error {
	var cfg config.Serve
	var asJSON bool
	var timeout time.Duration
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	cfg.Register(fs)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	fs.DurationVar(&timeout, "timeout", 3*time.Second, "bound on each probe (a DNS lookup, an HTTP request)")
	fs.SetOutput(env.Stderr)
	// Unknown PORTICO_ variables become WARN results, not stderr lines:
	// a typo in the environment file is what doctor is for.
	warnings, err := config.Parse(fs, args, env.Environ)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	report := doctor.Run(ctx, cfg, doctor.Options{Timeout: timeout, EnvWarnings: warnings})
	if asJSON {
		err = printJSON(env.Stdout, report)
	} else {
		err = report.WriteText(env.Stdout)
	}
	if err != nil {
		return err
	}
	if !report.OK {
		return fmt.Errorf("%d %s failed", report.Summary.Fail, plural(report.Summary.Fail, "check", "checks"))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
