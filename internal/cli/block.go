package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/config"
)

// runBlock manages the operator's blocklist: names no zone may hold, with
// everything under them. Each subcommand prints one JSON object.
//
//	portico block add example-brand.com
//	portico block remove example-brand.com
//	portico block list
//
// Adding an entry also makes every hostname at or under the name due for a
// check now, so that a running `portico serve` on the same database blocks
// them within a second; blocked is final (only deleting the hostname lifts
// it).
func runBlock(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("want a subcommand: add NAME, remove NAME or list")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "add", "remove", "list":
	default:
		return fmt.Errorf("unknown subcommand %q: want add, remove or list", sub)
	}
	var a adminFlags
	fs := flag.NewFlagSet("block "+sub, flag.ContinueOnError)
	a.register(fs)
	name, err := parseWithName(env, fs, rest, sub != "list")
	if err != nil {
		return err
	}
	svc, st, err := openService(ctx, a, env.Stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "add":
		res, err := svc.BlockName(ctx, name)
		if err != nil {
			return publicError(err)
		}
		return printJSON(env.Stdout, map[string]any{"name": res.Name, "added": res.Added, "rescheduled": res.Rescheduled})
	case "remove":
		n, err := svc.UnblockName(ctx, name)
		if err != nil {
			return publicError(err)
		}
		return printJSON(env.Stdout, map[string]any{"name": n, "removed": true})
	}
	blocks, err := svc.ListBlocks(ctx)
	if err != nil {
		return publicError(err)
	}
	type entry struct {
		Name      string    `json:"name"`
		CreatedAt time.Time `json:"created_at"`
	}
	out := make([]entry, 0, len(blocks))
	for _, b := range blocks {
		out = append(out, entry{b.Name, b.CreatedAt})
	}
	return printJSON(env.Stdout, map[string]any{"blocks": out})
}

// parseWithName parses flags and, when wantName, exactly one positional
// NAME, before or after the flags.
func parseWithName(env Env, fs *flag.FlagSet, args []string, wantName bool) (string, error) {
	var name string
	if wantName && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	fs.SetOutput(env.Stderr)
	warnings, err := config.Parse(fs, args, withoutServeOnly(fs, env.Environ))
	if err != nil {
		return "", err
	}
	for _, w := range warnings {
		fmt.Fprintln(env.Stderr, "warning:", w)
	}
	left := fs.Args()
	if wantName && name == "" && len(left) > 0 {
		name, left = left[0], left[1:]
	}
	if len(left) > 0 {
		return "", fmt.Errorf("unexpected arguments: %s", strings.Join(left, " "))
	}
	if wantName && name == "" {
		return "", fmt.Errorf("want: block %s NAME", strings.TrimPrefix(fs.Name(), "block "))
	}
	return name, nil
}
