// Command edgebench measures Portico's edge against nginx and HAProxy as
// SNI-based TLS-terminating reverse proxies in front of one upstream, on
// loopback, in interleaved rounds, and prints a Markdown table of ratios
// to nginx. bench/edge/run.sh installs the peers, builds the binaries,
// seeds the hostnames (edgesetup) and runs it; see bench/README.md.
//
// Placement: every proxy runs pinned to -proxy-cpu; edgebench itself (the
// load generator), the upstream and h2load run on -load-cpu (run.sh pins
// edgebench there, and the upstream inherits it).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type bench struct {
	work           string
	out            string
	sizes          []int
	rounds         int
	peerNames      []string
	warmup, dur    time.Duration
	proxyCPU       string
	loadCPU        string
	portico        string
	porticoB       string
	upstream       string
	edgesetup      string
	porticoArgs    []string
	porticoEnv     []string
	nginxBlocksMax int
	startupMax     time.Duration
	kaConns        int
	hsConns        int
	h2Conns        int
	h2Streams      int
	tests          map[string]bool // nil: all

	results []sample
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &bench{}
	var sizes, peerList, pArgs, pEnv, tests string
	var timeout time.Duration
	flag.StringVar(&b.work, "work", "/dev/shm/portico-bench-edge", "seeded directories (edgesetup seed), one per size: WORK/nN")
	flag.StringVar(&b.out, "out", "bench/edge", "where results.md and results.json go")
	flag.StringVar(&sizes, "sizes", "1,10000,100000", "hostname counts (each needs WORK/nN)")
	flag.IntVar(&b.rounds, "rounds", 3, "interleaved rounds")
	flag.StringVar(&peerList, "peers", "nginx,haproxy,portico", "proxies, in the first round's order (rotated each round)")
	flag.DurationVar(&b.warmup, "warmup", time.Second, "unmeasured start of each phase")
	flag.DurationVar(&b.dur, "duration", 5*time.Second, "measured length of each phase")
	flag.StringVar(&b.proxyCPU, "proxy-cpu", "0", "core the proxies run on")
	flag.StringVar(&b.loadCPU, "load-cpu", "1", "core of the upstream and h2load (run edgebench itself there)")
	flag.StringVar(&b.portico, "portico", "bin/portico", "the portico binary")
	flag.StringVar(&b.porticoB, "portico-b", "", "a second portico binary, run as the peer portico-b (A/B runs)")
	flag.StringVar(&b.upstream, "upstream", "bin/upstream", "the upstream binary")
	flag.StringVar(&b.edgesetup, "edgesetup", "bin/edgesetup", "the edgesetup binary")
	flag.StringVar(&pArgs, "portico-args", "", "extra `portico serve` flags, space-separated")
	flag.StringVar(&pEnv, "portico-env", "", "extra environment for portico (e.g. GOGC=200), space-separated")
	flag.IntVar(&b.nginxBlocksMax, "nginx-blocks-max", 1, "largest N for which nginx gets a server block per hostname; above, the cert-by-variable configuration")
	flag.DurationVar(&b.startupMax, "startup-max", 10*time.Minute, "longest a proxy may take to serve its first request")
	flag.IntVar(&b.kaConns, "ka-conns", 50, "connections of the keep-alive tests")
	flag.IntVar(&b.hsConns, "hs-conns", 16, "concurrent handshakes")
	flag.IntVar(&b.h2Conns, "h2-conns", 10, "HTTP/2 connections (h2load -c)")
	flag.IntVar(&b.h2Streams, "h2-streams", 10, "HTTP/2 streams per connection (h2load -m)")
	flag.StringVar(&tests, "tests", "", "run only these tests, comma-separated: latency,ka100,ka16k,h2,handshake,ka-many (default: all)")
	flag.DurationVar(&timeout, "timeout", 90*time.Minute, "cap on the whole run")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fatal(fmt.Errorf("-sizes: %q", s))
		}
		b.sizes = append(b.sizes, n)
	}
	for _, p := range strings.Split(peerList, ",") {
		if _, ok := peers[p]; !ok {
			fatal(fmt.Errorf("-peers: unknown %q", p))
		}
		b.peerNames = append(b.peerNames, p)
	}
	b.porticoArgs, b.porticoEnv = strings.Fields(pArgs), strings.Fields(pEnv)
	if tests != "" {
		b.tests = map[string]bool{}
		for _, t := range strings.Split(tests, ",") {
			b.tests[strings.TrimSpace(t)] = true
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	env := describeMachine()
	if err := b.run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "edgebench:", err)
		if len(b.results) == 0 {
			os.Exit(1)
		}
		env.Notes = append(env.Notes, "incomplete run: "+err.Error())
	}
	env.LoadEnd = loadAvg()
	md := b.report(env)
	fmt.Print(md)
	if err := os.WriteFile(filepath.Join(b.out, "results.md"), []byte(md), 0o644); err != nil {
		fatal(err)
	}
	raw, _ := json.MarshalIndent(struct {
		Env     machine  `json:"machine"`
		Samples []sample `json:"samples"`
	}{env, b.results}, "", "  ")
	if err := os.WriteFile(filepath.Join(b.out, "results.json"), raw, 0o644); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "edgebench:", err)
	os.Exit(1)
}

// sample is one measurement: a test of one peer at one size in one round.
type sample struct {
	Round int    `json:"round"`
	Size  int    `json:"size"`
	Peer  string `json:"peer"`
	Test  string `json:"test"`
	loadResult
	// CPUus is the proxy's CPU time (user+system, all its processes) per
	// operation during the measured window and its warm-up.
	CPUus    float64 `json:"cpu_us_per_op,omitempty"`
	PeakRSS  int64   `json:"peak_rss_bytes,omitempty"`
	RSS      int64   `json:"rss_bytes,omitempty"`
	StartupS float64 `json:"startup_s,omitempty"`
}

// The tests.
const (
	testLatency   = "latency"    // 1 connection, sequential 100 B requests
	testKA100     = "ka100"      // keep-alive, 100 B
	testKA16k     = "ka16k"      // keep-alive, 16 KiB
	testH2        = "h2"         // HTTP/2, h2load
	testHandshake = "handshake"  // new connection + TLS 1.3 handshake + 1 request
	testKAMany    = "ka-many"    // keep-alive, each connection to its own random hostname
	testMemory    = "memory"     // peak RSS after the tests, startup time
	peerDirect    = "(upstream)" // the latency baseline, no proxy
)

func (b *bench) run(ctx context.Context) error {
	runDir, err := os.MkdirTemp("", "edgebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(runDir)
	up, upAddr, err := b.startUpstream(runDir)
	if err != nil {
		return err
	}
	defer up.stop()
	fmt.Fprintf(os.Stderr, "edgebench: upstream on %s\n", upAddr)
	names := map[int][]string{}
	for _, n := range b.sizes {
		ns, err := readNames(sizeDir(b.work, n))
		if err != nil {
			return fmt.Errorf("size %d: %w (run edgesetup seed first)", n, err)
		}
		if len(ns) != n {
			return fmt.Errorf("size %d: %s holds %d names", n, sizeDir(b.work, n), len(ns))
		}
		names[n] = ns
	}
	for round := 1; round <= b.rounds; round++ {
		// The baseline: the upstream without a proxy, plain HTTP.
		r, err := runLoad(ctx, loadSpec{addr: upAddr, names: []string{"direct.example"}, path: "/", conns: 1,
			warmup: b.warmup, duration: b.dur, maxSamples: 1 << 20})
		if err != nil {
			return fmt.Errorf("direct latency: %w", err)
		}
		b.add(sample{Round: round, Size: 1, Peer: peerDirect, Test: testLatency, loadResult: r})
		order := rotate(b.peerNames, round-1)
		for _, n := range b.sizes {
			for _, name := range order {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err := b.runPeer(ctx, round, peers[name], n, names[n], upAddr, runDir); err != nil {
					fmt.Fprintf(os.Stderr, "edgebench: round %d, %s, N=%d: %v\n", round, name, n, err)
				}
			}
		}
	}
	return nil
}

// runPeer starts one peer for size n, measures its startup, runs the
// size's tests against it, reads its memory, and stops it.
func (b *bench) runPeer(ctx context.Context, round int, pr peer, n int, names []string, upAddr, runDir string) error {
	dir := sizeDir(b.work, n)
	listen, err := freeAddr()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "edgebench: round %d, %s, N=%d: starting\n", round, pr.name, n)
	t0 := time.Now()
	p, err := pr.start(b, dir, n, listen, upAddr, runDir)
	if err != nil {
		return err
	}
	defer p.stop()
	// Ready when the last hostname's request succeeds with a certificate
	// that verifies for it: every hostname is loaded by then.
	if err := b.probe(ctx, p, listen, names[len(names)-1], filepath.Join(dir, "ca.pem")); err != nil {
		return fmt.Errorf("not serving: %w (log: %s)", err, tail(p.log.Name()))
	}
	startup := time.Since(t0).Seconds()
	add := func(test string, ops func() (loadResult, error)) {
		if b.tests != nil && !b.tests[test] {
			return
		}
		before := p.cpuTicks()
		r, err := ops()
		ticks := p.cpuTicks() - before
		if err != nil {
			fmt.Fprintf(os.Stderr, "edgebench: round %d, %s, N=%d, %s: %v\n", round, pr.name, n, test, err)
			return
		}
		s := sample{Round: round, Size: n, Peer: pr.name, Test: test, loadResult: r}
		if r.Ops > 0 {
			// The window includes the warm-up; so do the ticks.
			opsAll := r.Rate * (b.warmup + b.dur).Seconds()
			s.CPUus = float64(ticks) / ticksPerSecond * 1e6 / opsAll
		}
		b.add(s)
	}
	spec := func(path string, conns int, newConn bool) loadSpec {
		return loadSpec{addr: listen, tls: true, names: names, path: path, conns: conns, newConn: newConn,
			warmup: b.warmup, duration: b.dur, maxSamples: 1 << 20}
	}
	if n == 1 {
		add(testLatency, func() (loadResult, error) { return runLoad(ctx, spec("/", 1, false)) })
		add(testKA100, func() (loadResult, error) { return runLoad(ctx, spec("/", b.kaConns, false)) })
		add(testKA16k, func() (loadResult, error) { return runLoad(ctx, spec("/16k", b.kaConns, false)) })
		add(testH2, func() (loadResult, error) { return b.h2load(ctx, listen, names[0]) })
	} else {
		add(testKAMany, func() (loadResult, error) { return runLoad(ctx, spec("/", b.kaConns, false)) })
	}
	add(testHandshake, func() (loadResult, error) { return runLoad(ctx, spec("/", b.hsConns, true)) })
	peak, now, err := p.memory()
	if err != nil {
		return err
	}
	b.add(sample{Round: round, Size: n, Peer: pr.name, Test: testMemory, PeakRSS: peak, RSS: now, StartupS: startup})
	return nil
}

func (b *bench) add(s sample) {
	b.results = append(b.results, s)
	line, _ := json.Marshal(s)
	fmt.Fprintf(os.Stderr, "edgebench: %s\n", line)
}

// probe waits until a request to name through addr answers 200 over a
// verified TLS connection, polling every 20 ms.
func (b *bench) probe(ctx context.Context, p *proc, addr, name, caFile string) error {
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return errors.New("no CA certificate in " + caFile)
	}
	// Until the peer listens, connections are refused (HAProxy loading
	// 100,000 certificates takes minutes). Once it listens, it must serve
	// within a minute: a TLS alert that lasts is a broken configuration.
	deadline := time.Now().Add(b.startupMax)
	var last error
	var listening time.Time
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if p.exited() {
			return errors.New("the process exited")
		}
		if last = probeOnce(ctx, addr, name, pool); last == nil {
			return nil
		}
		var op *net.OpError
		if !errors.As(last, &op) || op.Op != "dial" {
			if listening.IsZero() {
				listening = time.Now()
			} else if time.Since(listening) > time.Minute {
				return fmt.Errorf("listening but not serving for a minute: %w", last)
			}
		}
		sleep(20)
	}
	return fmt.Errorf("after %s: %w", b.startupMax, last)
}

func probeOnce(ctx context.Context, addr, name string, pool *x509.CertPool) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	tc := tls.Client(c, &tls.Config{ServerName: name, RootCAs: pool, NextProtos: []string{"http/1.1"}})
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := tc.Write(request(name, "/", true)); err != nil {
		return err
	}
	return readResponse(bufio.NewReader(tc))
}

// freeAddr returns a loopback address with a port that was free a moment
// ago (the peers take a fixed port in their configuration).
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func readNames(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "names.txt"))
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

func rotate(s []string, k int) []string {
	k %= len(s)
	return append(append([]string{}, s[k:]...), s[:k]...)
}

func sleep(ms int) { time.Sleep(time.Duration(ms) * time.Millisecond) }

// tail is the end of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return path
	}
	if len(b) > 400 {
		b = b[len(b)-400:]
	}
	return strings.TrimSpace(string(b))
}
