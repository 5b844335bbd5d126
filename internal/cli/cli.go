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

// Version is set at build time with -ldflags "-X .../cli.Version=...".
var Version = "dev"

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
		{"serve", "run the control plane API", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"zone", "zone create | zone list", runZone},
		{"token", "token create --zone ZONE_ID", runToken},
		{"block", "block add NAME | block remove NAME | block list", runBlock},
		{"version", "print the version", runVersion},
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
	warnings, err := config.Parse(fs, args, env.Environ)
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

func runVersion(_ context.Context, env Env, _ []string) error {
	return printJSON(env.Stdout, map[string]string{"version": Version})
}
