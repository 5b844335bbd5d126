package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/webhook"
)

func TestWebhookCommands(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--database", "sqlite:" + filepath.Join(dir, "p.db"), "--master-key-file", filepath.Join(dir, "master.key")}
	cmd := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, nil, append(args, common...)...)
	}
	code, out, errs := cmd("zone", "create", "--name", "saasprovider.com", "--cname-target", "customers.saasprovider.com")
	var z struct{ ID string }
	if code != 0 || json.Unmarshal([]byte(out), &z) != nil {
		t.Fatalf("zone create: %d %s %s", code, out, errs)
	}

	code, out, errs = cmd("webhook", "add", "--zone", z.ID, "--url", "https://Hooks.SaaSProvider.com/portico",
		"--events", "hostname.verified, hostname.created", "--description", "ops")
	var added struct {
		ID, URL, Secret string
		ZoneID          string `json:"zone_id"`
		Events          []string
	}
	if code != 0 || json.Unmarshal([]byte(out), &added) != nil {
		t.Fatalf("webhook add: %d %q %s", code, out, errs)
	}
	if !regexp.MustCompile(`^`+webhook.SecretPattern+`$`).MatchString(added.Secret) || added.ZoneID != z.ID ||
		added.URL != "https://hooks.saasprovider.com/portico" || strings.Join(added.Events, ",") != "hostname.created,hostname.verified" {
		t.Errorf("webhook add printed %+v", added)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("webhook add printed more than one line: %q", out)
	}

	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"http", []string{"webhook", "add", "--zone", z.ID, "--url", "http://hooks.saasprovider.com/"}, "https"},
		{"loopback", []string{"webhook", "add", "--zone", z.ID, "--url", "https://127.0.0.1/"}, "loopback address"},
		{"unknown zone", []string{"webhook", "add", "--zone", "0123456789abcdef0123456789abcdef", "--url", "https://h.example.com/"}, "not found"},
		{"no url", []string{"webhook", "add", "--zone", z.ID}, "--url is required"},
		{"no zone", []string{"webhook", "list"}, "--zone is required"},
		{"no id", []string{"webhook", "remove", "--zone", z.ID}, "--id is required"},
		{"unknown id", []string{"webhook", "remove", "--zone", z.ID, "--id", "0f8fad5b-d9cb-469f-a165-70867728950e"}, "not found"},
		{"unknown subcommand", []string{"webhook", "edit", "--zone", z.ID}, "unknown subcommand"},
	}
	for _, tt := range refusals {
		if code, out, errs := cmd(tt.args...); code != 1 || out != "" || !strings.Contains(errs, tt.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 1 and %q", tt.name, code, out, errs, tt.want)
		}
	}
	// For development, loopback over http when the operator says so.
	if code, _, errs := cmd("webhook", "add", "--zone", z.ID, "--url", "http://127.0.0.1:9999/in", "--webhook-allow-http"); code != 0 {
		t.Errorf("webhook add --webhook-allow-http: %d %s", code, errs)
	}

	code, out, _ = cmd("webhook", "list", "--zone", z.ID)
	var list struct{ Webhooks []map[string]any }
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Webhooks) != 2 {
		t.Fatalf("webhook list: %d %q", code, out)
	}
	if strings.Contains(out, "whsec_") || strings.Contains(out, `"secret"`) {
		t.Errorf("webhook list shows a secret: %s", out)
	}
	if code, out, errs := cmd("webhook", "remove", "--zone", z.ID, "--id", strings.ToUpper(added.ID)); code != 0 || !strings.Contains(out, `"removed":true`) {
		t.Errorf("webhook remove: %d %q %s", code, out, errs)
	}
	code, out, _ = cmd("webhook", "list", "--zone", z.ID)
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Webhooks) != 1 {
		t.Errorf("after remove: %d %q", code, out)
	}
}
