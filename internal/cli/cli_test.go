package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
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
	if code != 0 || !strings.Contains(out, `"version"`) {
		t.Fatalf("version: %d %q", code, out)
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
