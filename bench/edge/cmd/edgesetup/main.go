// Command edgesetup prepares what the edge benchmark (bench/edge/run.sh)
// serves: N hostnames with an ECDSA P-256 certificate each, as PEM files for
// nginx and HAProxy and as a Portico SQLite database holding the same
// hostnames, active, with the same certificates uploaded; and the nginx and
// HAProxy configurations that put those certificates in front of the
// benchmark's upstream.
//
//	edgesetup seed    -dir D -n N            # certificates + database, once per D
//	edgesetup origin  -dir D -origin URL     # the zone's fallback origin (each run: the upstream's port)
//	edgesetup nginx   -dir D -listen A -upstream A [-by-variable]
//	edgesetup haproxy -dir D -listen A -upstream A
//
// A seeded directory holds names.txt (one hostname a line), certs/NAME.pem
// (leaf certificate then its PKCS#8 key: both nginx and HAProxy read that
// combined file), master.key and portico.db.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "edgesetup:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: edgesetup seed|origin|nginx|haproxy -dir DIR ...")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	dir := fs.String("dir", "", "the seeded directory")
	n := fs.Int("n", 1, "seed: hostnames")
	origin := fs.String("origin", "", "origin: the zone's fallback origin, e.g. http://127.0.0.1:8081")
	listen := fs.String("listen", "127.0.0.1:8443", "nginx, haproxy: the TLS listen address")
	upstream := fs.String("upstream", "127.0.0.1:8081", "nginx, haproxy: the upstream's address")
	byVariable := fs.Bool("by-variable", false, "nginx: one server block that loads certs/$ssl_server_name.pem per handshake, instead of a block per hostname")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	switch args[0] {
	case "seed":
		return seed(ctx, *dir, *n)
	case "origin":
		return setOrigin(ctx, *dir, *origin)
	case "nginx":
		return writeNginx(os.Stdout, *dir, *listen, *upstream, *byVariable)
	case "haproxy":
		return writeHAProxy(os.Stdout, *dir, *listen, *upstream)
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}
