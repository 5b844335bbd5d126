package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// peer is one TLS-terminating reverse proxy under test.
type peer struct {
	name string
	// start runs the peer for the seeded directory dir (size n), listening
	// on listen and proxying to upstream, pinned to cpu. runDir holds its
	// configuration and log.
	start func(b *bench, dir string, n int, listen, upstream, runDir string) (*proc, error)
}

var peers = map[string]peer{
	"nginx":   {"nginx", startNginx},
	"haproxy": {"haproxy", startHAProxy},
	"portico": {"portico", func(b *bench, dir string, n int, listen, upstream, runDir string) (*proc, error) {
		return startPortico(b, b.portico, dir, n, listen, upstream, runDir)
	}},
	// portico-b is a second Portico binary (-portico-b), for A/B runs of a
	// change in the same interleaved rounds.
	"portico-b": {"portico-b", func(b *bench, dir string, n int, listen, upstream, runDir string) (*proc, error) {
		return startPortico(b, b.porticoB, dir, n, listen, upstream, runDir)
	}},
}

// startNginx runs nginx with a server block per hostname up to
// -nginx-blocks-max hostnames and the cert-by-variable configuration above.
func startNginx(b *bench, dir string, n int, listen, upstream, runDir string) (*proc, error) {
	args := []string{"nginx", "-dir", dir, "-listen", listen, "-upstream", upstream}
	if n > b.nginxBlocksMax {
		args = append(args, "-by-variable")
	}
	conf := filepath.Join(runDir, "nginx.conf")
	if err := b.setup(conf, args...); err != nil {
		return nil, err
	}
	return startPinned("nginx", b.proxyCPU, filepath.Join(runDir, "nginx.log"), nil, "nginx", "-c", conf)
}

func startHAProxy(b *bench, dir string, _ int, listen, upstream, runDir string) (*proc, error) {
	cfg := filepath.Join(runDir, "haproxy.cfg")
	if err := b.setup(cfg, "haproxy", "-dir", dir, "-listen", listen, "-upstream", upstream); err != nil {
		return nil, err
	}
	return startPinned("haproxy", b.proxyCPU, filepath.Join(runDir, "haproxy.log"), nil, "haproxy", "-f", cfg)
}

// startPortico runs `portico serve` on the seeded SQLite database with the
// zone's fallback origin pointed at this run's upstream. Access logs are
// off as they are for the peers; the API listens on a free port and the
// plain HTTP listener is off.
func startPortico(b *bench, bin, dir string, _ int, listen, upstream, runDir string) (*proc, error) {
	if err := b.setup("", "origin", "-dir", dir, "-origin", "http://"+upstream); err != nil {
		return nil, err
	}
	api, err := freeAddr()
	if err != nil {
		return nil, err
	}
	argv := []string{bin, "serve",
		"--database", "sqlite:" + filepath.Join(dir, "portico.db"),
		"--master-key-file", filepath.Join(dir, "master.key"),
		"--api-listen", api, "--https-listen", listen, "--http-listen", "off",
		"--edge-access-log=false", "--log-level", "warn",
		"--verify-workers", "1", "--resolver", "127.0.0.1:9",
	}
	argv = append(argv, b.porticoArgs...)
	return startPinned("portico", b.proxyCPU, filepath.Join(runDir, "portico.log"), b.porticoEnv, argv...)
}

// setup runs edgesetup with args, its output to out ("" for none).
func (b *bench) setup(out string, args ...string) error {
	cmd := exec.Command(b.edgesetup, args...)
	cmd.Stderr = os.Stderr
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		cmd.Stdout = f
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("edgesetup %s: %w", args[0], err)
	}
	return nil
}

// upstream starts the benchmark's origin on the load generator's core and
// returns it with its address.
func (b *bench) startUpstream(runDir string) (*proc, string, error) {
	p, err := startPinned("upstream", b.loadCPU, filepath.Join(runDir, "upstream.log"), []string{"GOMAXPROCS=1"}, b.upstream)
	if err != nil {
		return nil, "", err
	}
	for range 200 { // its first line is the address; ~2 s at most
		if buf, err := os.ReadFile(filepath.Join(runDir, "upstream.log")); err == nil {
			for i, c := range buf {
				if c == '\n' {
					return p, string(buf[:i]), nil
				}
			}
		}
		if p.exited() {
			break
		}
		sleep(10)
	}
	p.stop()
	return nil, "", fmt.Errorf("upstream did not print its address")
}

func sizeDir(work string, n int) string { return filepath.Join(work, "n"+strconv.Itoa(n)) }
