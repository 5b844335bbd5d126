package edge

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// What TestHTTP2Conformance needs around h2spec: finding it, listing its
// cases, reading its report, and a route for the address it dials.

// aliasStore is a store whose edge view serves one more name, alias: the
// hostname target under another name, so that a client that can only dial
// an IP address reaches target's origin (routed by Host, as clients
// without SNI are).
type aliasStore struct {
	store.Store
	alias, target string
}

var _ store.EdgeSource = aliasStore{}

func (s aliasStore) edge() store.EdgeSource { return s.Store.(store.EdgeSource) }

func (s aliasStore) ActiveNames(ctx context.Context, after string, limit int) ([]string, error) {
	names, err := s.edge().ActiveNames(ctx, after, limit)
	if err != nil || s.alias <= after {
		return names, err
	}
	i, found := slices.BinarySearch(names, s.alias)
	if found || i == limit { // there, or on a later page
		return names, nil
	}
	names = slices.Insert(names, i, s.alias)
	return names[:min(len(names), limit)], nil
}

func (s aliasStore) EdgeRoutes(ctx context.Context, name string) ([]store.EdgeRoute, error) {
	if name != s.alias {
		return s.edge().EdgeRoutes(ctx, name)
	}
	rows, err := s.edge().EdgeRoutes(ctx, s.target)
	for i := range rows {
		rows[i].Name = s.alias
	}
	return rows, err
}

func (s aliasStore) EdgeRoute(ctx context.Context, hostnameID string) (store.EdgeRoute, error) {
	return s.edge().EdgeRoute(ctx, hostnameID)
}

func (s aliasStore) EdgeCertificates(ctx context.Context, hostnameID string) ([]core.Certificate, error) {
	return s.edge().EdgeCertificates(ctx, hostnameID)
}

func (s aliasStore) LatestChange(ctx context.Context) (store.ChangeCursor, error) {
	return s.edge().LatestChange(ctx)
}

func (s aliasStore) ChangesSince(ctx context.Context, after store.ChangeCursor, limit int) ([]store.Change, error) {
	return s.edge().ChangesSince(ctx, after, limit)
}

// findH2spec returns the path of h2spec h2specVersion: on $PATH, in `go env
// GOBIN`, in `go env GOPATH`/bin, or in ~/go/bin. Missing, it skips the test
// (fails it when CI=true).
func findH2spec(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p, err := exec.LookPath("h2spec"); err == nil {
		candidates = append(candidates, p)
	}
	for _, v := range []string{"GOBIN", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			continue
		}
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if v == "GOPATH" {
				dir = filepath.Join(dir, "bin")
			}
			candidates = append(candidates, filepath.Join(dir, "h2spec"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, "go", "bin", "h2spec"))
	}
	var others []string
	for _, p := range candidates {
		if _, err := os.Stat(p); err != nil || slices.Contains(others, p) {
			continue
		}
		// The version go install recorded in the binary.
		info, err := exec.Command("go", "version", "-m", p).Output()
		if err == nil && strings.Contains(string(info), "\tgithub.com/summerwind/h2spec\t"+h2specVersion+"\t") {
			return p
		}
		others = append(others, p)
	}
	msg := "h2spec " + h2specVersion + " not found; bash scripts/test.sh installs it (go install github.com/summerwind/h2spec/cmd/h2spec@" + h2specVersion + ")"
	if len(others) > 0 {
		msg += "; other builds: " + strings.Join(others, ", ")
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// h2specCases lists the cases h2spec runs (its --dryrun tree), by id
// ("http2/6.9.1/2"), with their names.
func h2specCases(t *testing.T, bin string) (ids []string, names map[string]string) {
	t.Helper()
	out, err := exec.Command(bin, "--dryrun").Output()
	if err != nil {
		t.Fatalf("h2spec --dryrun: %v", err)
	}
	specs := map[string]string{
		"Generic tests for HTTP/2 server":                "generic",
		"Hypertext Transfer Protocol Version 2 (HTTP/2)": "http2",
		"HPACK: Header Compression for HTTP/2":           "hpack",
	}
	names = map[string]string{}
	var spec, section string
	for line := range strings.Lines(string(out)) {
		line = strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimLeft(line, " ")
		num, rest, _ := strings.Cut(trimmed, " ")
		switch {
		case trimmed == "":
		case trimmed == line:
			if spec = specs[line]; spec == "" {
				t.Fatalf("h2spec --dryrun: unknown spec %q", line)
			}
		case strings.HasSuffix(num, "."): // "6.9.1. The Flow-Control Window"
			section = strings.TrimSuffix(num, ".")
		case strings.HasSuffix(num, ":"): // "2: Sends multiple WINDOW_UPDATE frames..."
			id := spec + "/" + section + "/" + strings.TrimSuffix(num, ":")
			ids = append(ids, id)
			names[id] = rest
		default:
			t.Fatalf("h2spec --dryrun: unexpected line %q", line)
		}
	}
	if len(ids) < 100 {
		t.Fatalf("h2spec --dryrun lists %d cases:\n%s", len(ids), out)
	}
	return ids, names
}

// readH2specReport reads h2spec's JUnit report: each case run, by id, with
// "" if it passed, else what h2spec expected and got.
func readH2specReport(t *testing.T, path string, ids []string, names map[string]string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("h2spec's report: %v", err)
	}
	var report struct {
		Suites []struct {
			Cases []struct {
				Package string  `xml:"package,attr"`
				Name    string  `xml:"classname,attr"`
				Failure *string `xml:"failure"`
				Error   *string `xml:"error"`
				Skipped *string `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &report); err != nil {
		t.Fatalf("h2spec's report: %v", err)
	}
	byName := map[string]string{}
	for _, id := range ids {
		byName[id[:strings.LastIndex(id, "/")]+" "+names[id]] = id
	}
	out := map[string]string{}
	for _, s := range report.Suites {
		for _, c := range s.Cases {
			id, ok := byName[c.Package+" "+c.Name]
			if !ok {
				t.Fatalf("h2spec's report names a case its --dryrun did not: %s %q", c.Package, c.Name)
			}
			switch {
			case c.Failure != nil:
				out[id] = *c.Failure
			case c.Error != nil:
				out[id] = *c.Error
			case c.Skipped != nil:
				out[id] = "skipped (it did not test what it names)"
			default:
				out[id] = ""
			}
		}
	}
	return out
}
