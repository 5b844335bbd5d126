package webhooks

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/webhook"
)

// readmeBlock returns the fenced code block that follows the marker
// "<!-- readme-test: name -->" in the README.
func readmeBlock(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- readme-test: "+name+" -->\n")
	if !ok {
		t.Fatalf("README has no block %q", name)
	}
	_, rest, _ = strings.Cut(rest, "\n") // the opening fence
	code, _, ok := strings.Cut(rest, "\n```")
	if !ok {
		t.Fatalf("README block %q is not closed", name)
	}
	return code + "\n"
}

// signed returns a body, its timestamp and signature, as a delivery has.
func signed(secret string) (body []byte, ts, sig string) {
	body = []byte(`{"id":"5d3c7c2e","type":"hostname.verified","data":{"hostname":"shop.example-customer.com"}}`)
	now := time.Now().Unix()
	return body, strconv.FormatInt(now, 10), webhook.Sign(secret, now, body)
}

// TestReadmeShellVerification runs the README's openssl recipe on a
// signed body and on a changed one.
func TestReadmeShellVerification(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	script := readmeBlock(t, "verify-sh")
	secret := webhook.NewSecret()
	body, ts, sig := signed(secret)
	for _, tt := range []struct {
		name  string
		body  []byte
		valid bool
	}{{"signed", body, true}, {"changed", append(body, ' '), false}} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "body.json"), tt.body, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SECRET="+secret, "TS="+ts, "SIG="+sig)
		out, _ := cmd.Output()
		if got := strings.TrimSpace(string(out)) == "valid"; got != tt.valid {
			t.Errorf("%s body: the recipe printed %q, want valid=%v", tt.name, out, tt.valid)
		}
	}
}

// TestReadmeGoVerification compiles the README's Go function into a small
// program and runs it on a signed request and on a changed one.
func TestReadmeGoVerification(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a program")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	src := "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\n" + readmeBlock(t, "verify-go") + `
func main() {
	h := http.Header{}
	h.Set("Portico-Webhook-Timestamp", os.Getenv("TS"))
	h.Set("Portico-Webhook-Signature", os.Getenv("SIG"))
	for _, body := range os.Args[1:] {
		fmt.Println(verifyPortico(os.Getenv("SECRET"), h, []byte(body), time.Now()))
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := webhook.NewSecret()
	body, ts, sig := signed(secret)
	cmd := exec.Command(goBin, "run", "main.go", string(body), string(body)+" ")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SECRET="+secret, "TS="+ts, "SIG="+sig, "GOWORK=off", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); strings.Join(got, " ") != "true false" {
		t.Errorf("the README's function said %q for a signed and a changed body, want true false", out)
	}
}
