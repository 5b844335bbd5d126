package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// run calls Main in-process and returns the exit code, stdout and stderr.
func run(t *testing.T, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), Env{Args: args, Environ: environ, Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "p.db")
	key := filepath.Join(dir, "master.key")
	common := []string{"--database", db, "--master-key-file", key}

	code, out, _ := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "portico ") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("version: %d %q", code, out)
	}
	code, out, _ = run(t, nil, "version", "--json")
	var v struct {
		Version   string
		GoVersion string `json:"go_version"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Version == "" || v.GoVersion != runtime.Version() {
		t.Fatalf("version --json: %d %q", code, out)
	}
	if code, _, errs := run(t, nil, "nope"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
	if code, _, errs := run(t, nil, append([]string{"zone", "create"}, common...)...); code != 1 || !strings.Contains(errs, "required") {
		t.Errorf("zone create without flags: %d %q", code, errs)
	}
	if code, _, errs := run(t, nil, append([]string{"zone", "create", "--name", "not a name", "--cname-target", "customers.saasprovider.com"}, common...)...); code != 1 || errs == "" {
		t.Errorf("zone create with a bad name: %d %q", code, errs)
	}

	// The database comes from the environment as well as from the flag.
	env := []string{"PORTICO_DATABASE=" + db, "PORTICO_MASTER_KEY_FILE=" + key}
	code, out, errs := run(t, env, "zone", "create", "--name", "saasprovider.com", "--cname-target", "customers.saasprovider.com")
	if code != 0 {
		t.Fatalf("zone create: %d %s", code, errs)
	}
	var z struct{ ID, Name string }
	if err := json.Unmarshal([]byte(out), &z); err != nil || len(z.ID) != 32 || z.Name != "saasprovider.com" {
		t.Fatalf("zone create printed %q (%v)", out, err)
	}
	code, out, _ = run(t, env, "zone", "list")
	var list struct{ Zones []struct{ ID string } }
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Zones) != 1 || list.Zones[0].ID != z.ID {
		t.Fatalf("zone list: %d %q", code, out)
	}
	code, out, _ = run(t, env, "token", "create", "--zone", z.ID)
	var tok struct {
		Token  string
		ZoneID string `json:"zone_id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &tok) != nil || !strings.HasPrefix(tok.Token, "ptk_") {
		t.Fatalf("token create: %d %q", code, out)
	}
	if code, _, errs := run(t, env, "token", "create", "--zone", "00000000000000000000000000000000"); code != 1 || errs == "" {
		t.Errorf("token for an unknown zone: %d %q", code, errs)
	}
	if code, out, _ := run(t, env, "migrate"); code != 0 || !strings.Contains(out, "migrated") {
		t.Errorf("migrate: %d %q", code, out)
	}
	// Exactly one JSON object on stdout.
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
		t.Errorf("migrate printed %d lines", n+1)
	}
}

// TestServeEnvironment runs an operator command with serve's environment,
// as docs/production.md does: variables serve reads are not warned about,
// unknown ones still are.
func TestServeEnvironment(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PORTICO_DATABASE=sqlite:" + filepath.Join(dir, "p.db"), "PORTICO_MASTER_KEY_FILE=" + filepath.Join(dir, "k"),
		"PORTICO_EDGE_IPV4=192.0.2.10", "PORTICO_LOG_FORMAT=json", "PORTICO_DCV_ZONE=dcv.saasprovider.com", "PORTICO_DATABSE=typo"}
	code, out, errs := run(t, env, "zone", "list")
	if code != 0 || !strings.Contains(out, `"zones"`) {
		t.Fatalf("zone list: %d %q %q", code, out, errs)
	}
	if strings.Contains(errs, "PORTICO_EDGE_IPV4") || strings.Contains(errs, "PORTICO_LOG_FORMAT") || !strings.Contains(errs, "PORTICO_DATABSE") {
		t.Errorf("warnings: %q; want only the typo", errs)
	}
}
