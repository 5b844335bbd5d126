package cli

import (
	"context"
	"flag"
	"os"

	"github.com/porticohq/portico/internal/demo"
)

// runDemo handles `portico demo [--keep]`: a complete Portico on loopback
// that takes a custom hostname from creation to HTTPS (package demo).
//
// Unlike the other commands it reads no PORTICO_ variables: the demo must
// behave the same on every machine and never touch the database or ports a
// configured `serve` uses, so warning about those variables would be noise.
func runDemo(ctx context.Context, env Env, args []string) error {
	var o demo.Options
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.BoolVar(&o.Keep, "keep", false, "keep Portico running until Ctrl-C, print commands to explore it, and keep its directory")
	if err := parse(Env{Stdout: env.Stdout, Stderr: env.Stderr}, fs, args); err != nil {
		return err
	}
	o.Out = env.Stdout
	o.TTY = isTerminal(env.Stdout)
	return demo.Run(ctx, o)
}

// isTerminal reports whether w is a character device (a terminal), where
// a line may be redrawn in place.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
