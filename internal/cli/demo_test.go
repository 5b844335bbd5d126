package cli

import (
	"strings"
	"testing"
	"time"
)

// TestDemoCommand runs `portico demo` as a user would, through Main: it
// must succeed, show the page, and print nothing on stderr.
func TestDemoCommand(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // where the demo makes its directory
	start := time.Now()
	code, out, errs := run(t, []string{"PORTICO_DATABASE=sqlite:/nonexistent/never-used.db"}, "demo")
	t.Logf("portico demo took %v", time.Since(start))
	if code != 0 {
		t.Fatalf("portico demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if errs != "" {
		t.Errorf("portico demo wrote to stderr: %s", errs)
	}
	for _, want := range []string{"Hello from your SaaS origin!", "status active   ssl.status active", "Done in "} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}

	if code, _, errs := run(t, nil, "demo", "extra"); code != 1 || !strings.Contains(errs, "unexpected arguments") {
		t.Errorf("portico demo extra: exit %d, %q", code, errs)
	}
	if code, _, _ := run(t, nil, "demo", "-h"); code != 0 {
		t.Errorf("portico demo -h: exit %d", code)
	}
}
