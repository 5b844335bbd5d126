package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/daemon"
)

// node is a running Portico node.
type node interface {
	// URL is the API root, http://127.0.0.1:PORT.
	URL() string
	// Memory returns the node's resident set size and its peak, in bytes.
	Memory() (rss, peak int64, err error)
	// Stop shuts the node down gracefully, bounded by ctx.
	Stop(ctx context.Context) error
}

// nodeConfig is what both kinds of node are started with: the defaults of
// `portico serve` (info logs, no quota, no DCV zone), JSON logs to a file.
type nodeConfig struct {
	Database      string
	MasterKeyFile string
	LogFile       string
}

// execNode is `portico serve` in a process of its own: its memory is the
// node's alone, and neither the seeder's heap nor the client's garbage
// shares its garbage collector.
type execNode struct {
	cmd    *exec.Cmd
	url    string
	exited chan error
}

// buildPortico builds ./cmd/portico of the module the working directory is
// in, into dir.
func buildPortico(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" || strings.TrimSpace(string(out)) == os.DevNull {
		return "", fmt.Errorf("finding the module root (run from inside the repository): %v", err)
	}
	bin := filepath.Join(dir, "portico")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/portico")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/portico: %v\n%s", err, out)
	}
	return bin, nil
}

func startExecNode(ctx context.Context, bin string, nc nodeConfig) (*execNode, error) {
	logf, err := os.Create(nc.LogFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--database", nc.Database, "--master-key-file", nc.MasterKeyFile,
		"--api-listen", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = environWithoutPortico()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	n := &execNode{cmd: cmd, exited: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		// Copy the log to its file, and read the bound address from the
		// "api listening" line. Wait only once the pipe is drained.
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Bytes()
			logf.Write(append(line, '\n'))
			if !found {
				var m struct{ Msg, Addr string }
				if json.Unmarshal(line, &m) == nil && m.Msg == "api listening" && m.Addr != "" {
					found = true
					addr <- m.Addr
				}
			}
		}
		_, _ = io.Copy(logf, stderr)
		logf.Close()
		n.exited <- cmd.Wait()
	}()
	select {
	case a := <-addr:
		n.url = "http://" + a
		return n, nil
	case err := <-n.exited:
		return nil, fmt.Errorf("portico serve exited before listening (%v); see %s", err, nc.LogFile)
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill()
	<-n.exited
	return nil, fmt.Errorf("portico serve did not listen within 60s; see %s", nc.LogFile)
}

// environWithoutPortico is this process's environment without PORTICO_*
// variables, so that the node runs on its defaults and the flags given.
func environWithoutPortico() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTICO_") {
			env = append(env, kv)
		}
	}
	return env
}

func (n *execNode) URL() string { return n.url }

func (n *execNode) Memory() (int64, int64, error) { return procMemory(n.cmd.Process.Pid) }

func (n *execNode) Stop(ctx context.Context) error {
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-n.exited:
		return err
	case <-ctx.Done():
		_ = n.cmd.Process.Kill()
		<-n.exited
		return fmt.Errorf("portico serve did not stop in time: killed")
	}
}

// inProcessNode is the daemon `portico serve` runs, in this process: no
// build step, and a CPU profile of the benchmark covers the node's handlers.
// Its memory figures include the benchmark's own.
type inProcessNode struct {
	d    *daemon.Daemon
	logf *os.File
}

func startInProcessNode(ctx context.Context, nc nodeConfig) (*inProcessNode, error) {
	logf, err := os.Create(nc.LogFile)
	if err != nil {
		return nil, err
	}
	cfg := config.Serve{
		Store:           config.Store{Database: nc.Database},
		Secrets:         config.Secrets{MasterKeyFile: nc.MasterKeyFile},
		APIListen:       "127.0.0.1:0",
		LogLevel:        "info",
		LogFormat:       "json",
		ShutdownTimeout: 10 * time.Second,
	}
	d := daemon.New(cfg, slog.New(slog.NewJSONHandler(logf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err := d.Start(ctx); err != nil {
		logf.Close()
		return nil, err
	}
	return &inProcessNode{d: d, logf: logf}, nil
}

func (n *inProcessNode) URL() string { return "http://" + n.d.APIAddr() }

func (n *inProcessNode) Memory() (int64, int64, error) { return procMemory(os.Getpid()) }

func (n *inProcessNode) Stop(ctx context.Context) error {
	return errors.Join(n.d.Shutdown(ctx), n.logf.Close())
}

// procMemory reads VmRSS and VmHWM (peak RSS) of a process, in bytes.
func procMemory(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak, nil
}
