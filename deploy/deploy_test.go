// Package deploy holds what a deployment installs next to the binary: the
// systemd unit and its environment file. Its tests check both against the
// code: the unit with systemd's own verifier, the environment file as
// serve's configuration.
package deploy

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/config"
)

// unitKeys parses a unit file into section -> key -> values (a key may
// repeat, as SystemCallFilter does).
func unitKeys(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: not a key=value line in a section: %q", path, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnitHardening checks the settings the production guide promises:
// an unprivileged user, one capability, a read-only system, state in
// /var/lib/portico, restarts, and the environment file.
func TestUnitHardening(t *testing.T) {
	svc := unitKeys(t, "portico.service")["Service"]
	for key, want := range map[string]string{
		"User":                  "portico",
		"ExecStart":             "/usr/local/bin/portico serve",
		"EnvironmentFile":       "/etc/portico/portico.env",
		"StateDirectory":        "portico",
		"WorkingDirectory":      "/var/lib/portico",
		"ProtectSystem":         "strict",
		"NoNewPrivileges":       "yes",
		"AmbientCapabilities":   "CAP_NET_BIND_SERVICE",
		"CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
		"Restart":               "on-failure",
		"PrivateTmp":            "yes",
		"ProtectHome":           "yes",
	} {
		if got := svc[key]; len(got) != 1 || got[0] != want {
			t.Errorf("[Service] %s = %q, want exactly %q", key, got, want)
		}
	}
	// The stop timeout must outlast serve's own drain (--shutdown-timeout).
	var c config.Serve
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Register(fs)
	if got := svc["TimeoutStopSec"]; len(got) != 1 || got[0] != "30s" || c.ShutdownTimeout >= 30*time.Second {
		t.Errorf("TimeoutStopSec = %q with --shutdown-timeout %v: systemd would kill serve mid-drain", got, c.ShutdownTimeout)
	}
}

// TestUnitVerifies runs `systemd-analyze verify` on the unit, with the
// real binary in ExecStart's place (verify checks that it exists). Where
// systemd is not installed the test skips: TestUnitHardening still checks
// the keys, but not their syntax, which only systemd knows.
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the unit's syntax is not checked here")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "portico")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/portico").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	unit, err := os.ReadFile("portico.service")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "portico.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/portico", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 on unknown keys and bad values, which it only prints:
	// any output is a failure.
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestEnvExample parses the example environment file, commented-out
// variables included, as serve's configuration: every variable must name a
// flag, and the active ones must validate.
func TestEnvExample(t *testing.T) {
	data, err := os.ReadFile("portico.env.example")
	if err != nil {
		t.Fatal(err)
	}
	var active, all []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		commented := strings.HasPrefix(line, "#")
		kv := strings.TrimSpace(strings.TrimPrefix(line, "#"))
		if !strings.HasPrefix(kv, config.EnvPrefix) || !strings.Contains(kv, "=") {
			continue
		}
		all = append(all, kv)
		if !commented {
			active = append(active, kv)
		}
	}
	if len(active) < 5 {
		t.Fatalf("found %d active variables: %q", len(active), active)
	}
	var c config.Serve
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Register(fs)
	warnings, err := config.Parse(fs, nil, all)
	if err != nil || len(warnings) > 0 {
		t.Errorf("every variable must be a flag of serve: %v %q", err, warnings)
	}

	c = config.Serve{}
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Register(fs)
	if _, err := config.Parse(fs, nil, active); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the example does not validate: %v", err)
	}
}

// otherTools are the flags of other programs that docs/production.md uses
// (useradd, systemctl, systemd-run, pg_dump, pg_restore).
var otherTools = map[string]bool{
	"system": true, "home-dir": true, "shell": true, "now": true, "pipe": true, "wait": true,
	"quiet": true, "collect": true, "format": true, "file": true, "dbname": true,
}

// TestGuideNamesRealFlags checks that every --flag and PORTICO_ variable the
// production guide names is one of Portico's, as each command's -h lists
// them: the guide must not describe a flag that does not exist.
func TestGuideNamesRealFlags(t *testing.T) {
	guide, err := os.ReadFile("../docs/production.md")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	usageFlag := regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`)
	for _, args := range [][]string{
		{"serve"}, {"doctor"}, {"migrate"}, {"zone", "create"}, {"zone", "list"}, {"token", "create"},
		{"block", "add"}, {"ca", "root"}, {"version"},
	} {
		var out, errb bytes.Buffer
		cli.Main(context.Background(), cli.Env{Args: append(args, "-h"), Stdout: &out, Stderr: &errb})
		found := usageFlag.FindAllStringSubmatch(errb.String(), -1)
		if len(found) == 0 {
			t.Fatalf("portico %s -h listed no flags:\n%s", strings.Join(args, " "), errb.String())
		}
		for _, m := range found {
			known[m[1]] = true
		}
	}
	for _, m := range regexp.MustCompile("(?:^|[\\s`(|])--([a-z][a-z0-9-]*)").FindAllStringSubmatch(string(guide), -1) {
		if !known[m[1]] && !otherTools[m[1]] {
			t.Errorf("docs/production.md names --%s, which no portico command has", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`PORTICO_[A-Z0-9_]+`).FindAllString(string(guide), -1) {
		if m == "PORTICO_SOME_FLAG" {
			continue
		}
		name := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(m, config.EnvPrefix), "_", "-"))
		if !known[name] {
			t.Errorf("docs/production.md names %s, which sets no flag", m)
		}
	}
}
