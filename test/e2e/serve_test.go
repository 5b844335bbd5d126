// Package e2e runs the real portico binary as a subprocess, as a user or a
// service manager would.
package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// buildPortico compiles cmd/portico once per test binary.
func buildPortico(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portico")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/portico")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("building portico: %v", err)
	}
	return bin
}

// TestServeGracefulShutdown starts `portico serve` on a free port, checks
// health and readiness, sends SIGTERM and expects a clean exit.
func TestServeGracefulShutdown(t *testing.T) {
	bin := buildPortico(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "--api-listen", "127.0.0.1:0", "--log-format", "text")
	cmd.Dir = dir // the default database lands in ./portico-data
	cmd.Env = append(os.Environ(), "PORTICO_LOG_LEVEL=debug")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrRE := regexp.MustCompile(`msg="api listening" addr=(\S+)`)
	lines := bufio.NewScanner(stderr)
	var addr string
	for lines.Scan() {
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		t.Fatalf("no listen address logged (%v)", lines.Err())
	}
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(stderr); rest <- string(b) }()

	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "portico-data", "master.key")); err != nil {
		t.Errorf("master key not generated in the data directory: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, <-rest)
	}
	if logs := <-rest; !regexp.MustCompile(`msg=stopped`).MatchString(logs) {
		t.Errorf("no 'stopped' log line:\n%s", logs)
	}
}
