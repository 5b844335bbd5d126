package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

var (
	h2Finished = regexp.MustCompile(`finished in ([0-9.]+)s, ([0-9.]+) req/s`)
	h2Requests = regexp.MustCompile(`requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
	h2Status   = regexp.MustCompile(`status codes: (\d+) 2xx`)
)

// h2load drives HTTP/2 at addr with h2load (nghttp2-client) on the load
// core: one SNI and :authority (name) for the whole run, as h2load sends.
func (b *bench) h2load(ctx context.Context, addr, name string) (loadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, b.warmup+b.dur+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "taskset", "-c", b.loadCPU, "h2load",
		"-c", strconv.Itoa(b.h2Conns), "-m", strconv.Itoa(b.h2Streams), "-t", "1",
		"-D", fmt.Sprintf("%.0f", b.dur.Seconds()), "--warm-up-time", fmt.Sprintf("%.0f", b.warmup.Seconds()),
		"--connect-to", addr, "https://"+name+"/")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("h2load: %w: %s", err, out)
	}
	s := string(out)
	f, q, st := h2Finished.FindStringSubmatch(s), h2Requests.FindStringSubmatch(s), h2Status.FindStringSubmatch(s)
	if f == nil || q == nil || st == nil {
		return loadResult{}, fmt.Errorf("h2load: unexpected output: %s", s)
	}
	// h2load's counts cover the measured window; its status code counts
	// also include the warm-up, so the 2xx count is only a check that
	// responses were 2xx at all.
	secs, _ := strconv.ParseFloat(f[1], 64)
	succeeded, _ := strconv.ParseInt(q[1], 10, 64)
	var bad int64
	for _, v := range q[2:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		bad += n
	}
	if ok2xx, _ := strconv.ParseInt(st[1], 10, 64); ok2xx == 0 {
		return loadResult{}, fmt.Errorf("h2load: no 2xx response: %s", s)
	}
	r := loadResult{Ops: succeeded, Errors: bad, Seconds: secs}
	if secs > 0 {
		r.Rate = float64(succeeded) / secs
	}
	if r.Errors > r.Ops {
		return r, fmt.Errorf("h2load: %d errors, %d successes", r.Errors, r.Ops)
	}
	return r, nil
}

// machine describes where the run happened.
type machine struct {
	CPU       string   `json:"cpu"`
	Cores     int      `json:"cores"`
	Go        string   `json:"go"`
	Nginx     string   `json:"nginx"`
	HAProxy   string   `json:"haproxy"`
	H2load    string   `json:"h2load"`
	Commit    string   `json:"commit"`
	Started   string   `json:"started"`
	LoadStart string   `json:"load_start"`
	LoadEnd   string   `json:"load_end"`
	Notes     []string `json:"notes,omitempty"`
}

func describeMachine() machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Started: time.Now().UTC().Format(time.RFC3339), LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	m.Cores = countCPUs()
	m.Nginx = firstLine("nginx", "-v")
	m.HAProxy = firstLine("haproxy", "-v")
	m.H2load = firstLine("h2load", "--version")
	m.Commit = firstLine("git", "describe", "--always", "--dirty")
	return m
}

// countCPUs is the machine's online cores (runtime.NumCPU sees only the
// affinity edgebench runs under).
func countCPUs() int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return runtime.NumCPU()
	}
	n := 0
	for _, part := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, found := strings.Cut(part, "-")
		a, _ := strconv.Atoi(lo)
		z := a
		if found {
			z, _ = strconv.Atoi(hi)
		}
		n += z - a + 1
	}
	return n
}

func firstLine(argv ...string) string {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "?"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
