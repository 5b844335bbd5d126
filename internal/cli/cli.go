// Package cli implements Portico's command line: `portico serve` and the
// operator commands that work on the same store. Commands meant for scripts
// print exactly one JSON object on stdout; logs and progress go to stderr.
package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/porticohq/portico/internal/config"
)

// Env is what a command may read of the outside world.
type Env struct {
	Args    []string // without the program name
	Environ []string
	Stdout  io.Writer
	Stderr  io.Writer
}

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "see a custom hostname go live over HTTPS, on this machine, in seconds", runDemo},
		{"serve", "run the control plane API", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"zone", "zone create | zone list", runZone},
		{"token", "token create --zone ZONE_ID", runToken},
		{"block", "block add NAME | block remove NAME | block list", runBlock},
		{"ca", "ca root: print the internal CA's root certificate (PEM)", runCA},
		{"webhook", "webhook add --zone ZONE_ID --url URL | webhook list --zone ZONE_ID | webhook remove --zone ZONE_ID --id ID", runWebhook},
		{"doctor", "check the configuration, DNS, CA and ports serve would use (serve's flags; --json)", runDoctor},
		{"version", "print the version, commit and Go version (--json)", runVersion},
	}
}

// Main runs the command named by env.Args and returns the process exit code.
func Main(ctx context.Context, env Env) int {
	if len(env.Args) == 0 || env.Args[0] == "help" || env.Args[0] == "-h" || env.Args[0] == "--help" {
		usage(env.Stderr)
		if len(env.Args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == env.Args[0] {
			if err := c.run(ctx, env, env.Args[1:]); err != nil {
				if err == flag.ErrHelp {
					return 0
				}
				fmt.Fprintf(env.Stderr, "portico %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(env.Stderr, "portico: unknown command %q\n\n", env.Args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: portico COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nEvery flag --some-flag can also be set as PORTICO_SOME_FLAG. Run `portico COMMAND -h` for its flags.")
}

// parse parses a command's flags from args and the environment, printing
// warnings about unknown PORTICO_ variables to stderr.
func parse(env Env, fs *flag.FlagSet, args []string) error {
	fs.SetOutput(env.Stderr)
	warnings, err := config.Parse(fs, args, withoutServeOnly(fs, env.Environ))
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(env.Stderr, "warning:", w)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}

// withoutServeOnly drops from environ the PORTICO_ variables that set a
// flag of serve but not of fs. Operator commands run with serve's
// environment file (docs/production.md), and a variable serve reads is not
// the typo the unknown-variable warning is for.
func withoutServeOnly(fs *flag.FlagSet, environ []string) []string {
	var serve config.Serve
	sfs := flag.NewFlagSet("serve", flag.ContinueOnError)
	serve.Register(sfs)
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		name := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k, config.EnvPrefix), "_", "-"))
		if strings.HasPrefix(k, config.EnvPrefix) && sfs.Lookup(name) != nil && fs.Lookup(name) == nil {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// printJSON writes v as one JSON object on its own line.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
