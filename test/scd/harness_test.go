// Package scd tests the SaaS Custom Domains dialect end to end: real nodes
// on SQLite and PostgreSQL, real HTTP, the vendor's example responses as
// fixtures, a loopback DNS server for verification and a real SMTP server
// for the instruction emails.
package scd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/daemon"
	"github.com/porticohq/portico/internal/testkit/apicall"
	"github.com/porticohq/portico/internal/testkit/node"
)

// dcvZone is the nodes' --dcv-zone: dns01 domains get a delegation record.
const dcvZone = "dcv.portico-test.net"

type env struct {
	node *node.Node
	a, b node.Tenant
	c    *http.Client
}

func newEnv(t *testing.T, backend string, mutate func(*config.Serve), opts ...daemon.Option) *env {
	t.Helper()
	n := node.Start(t, backend, func(c *config.Serve) {
		c.DCVZone = dcvZone
		if mutate != nil {
			mutate(c)
		}
	}, opts...)
	return &env{node: n, a: n.NewTenant(t, "saasprovider.com"), b: n.NewTenant(t, "othersaas.com"),
		c: &http.Client{Timeout: 30 * time.Second}}
}

// reply is one HTTP answer.
type reply apicall.Reply

// JSON decodes the body into a generic value.
func (r reply) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("reply %d is not a JSON object: %v: %s", r.Status, err, r.Body)
	}
	return m
}

// form is a form-encoded body (what the vendor's curl -d examples send).
type form url.Values

// do sends method path with token; body is nil, a form, a string (raw
// JSON) or anything else (encoded as JSON).
func (e *env) do(t *testing.T, token, method, path string, body any) reply {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case form:
		rd, ctype = strings.NewReader(url.Values(b).Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	r := reply(apicall.Do(t, e.c, method, e.node.BaseURL+path, token, ctype, rd))
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return r
}

// doRaw sends a body of any content type.
func (e *env) doRaw(t *testing.T, token, method, path, ctype, body string) reply {
	t.Helper()
	return reply(apicall.Do(t, e.c, method, e.node.BaseURL+path, token, ctype, strings.NewReader(body)))
}

// must sends a request and fails unless it gets status.
func (e *env) must(t *testing.T, status int, token, method, path string, body any) map[string]any {
	t.Helper()
	r := e.do(t, token, method, path, body)
	if r.Status != status {
		t.Fatalf("%s %s: %d %s, want %d", method, path, r.Status, r.Body, status)
	}
	return r.JSON(t)
}

func account(ten node.Tenant) string { return "/api/v1/accounts/" + ten.ZoneID }

// upstream creates an upstream of ten and returns its path.
func (e *env) upstream(t *testing.T, ten node.Tenant, body any) (string, map[string]any) {
	t.Helper()
	u := e.must(t, http.StatusCreated, ten.Token, "POST", account(ten)+"/upstreams", body)
	return account(ten) + "/upstreams/" + u["uuid"].(string), u
}

// domain creates a custom domain under the upstream path up and returns
// its path.
func (e *env) domain(t *testing.T, ten node.Tenant, up string, body any) (string, map[string]any) {
	t.Helper()
	d := e.must(t, http.StatusCreated, ten.Token, "POST", up+"/custom_domains", body)
	return up + "/custom_domains/" + d["uuid"].(string), d
}

// hostnameID is the Cloudflare-dialect id of a domain uuid.
func hostnameID(uuid string) string {
	h := strings.TrimPrefix(uuid, "domain_")
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

var (
	stampRE  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$`)
	idRE     = regexp.MustCompile(`^(domain|upstream)_[0-9a-f]+$`)
	portico  = regexp.MustCompile(`^(domain|upstream)_[0-9a-f]{32}$`)
	fixtures = filepath.Join("..", "..", "testdata", "scd")
)

// keys returns an object's keys in their order in the JSON text.
func keys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// matchFixture compares got (a JSON object) with the fixture file: the
// same keys in the same order; uuids and timestamps in the vendor's
// formats (a timestamp may be null only where the fixture has null); every
// other value equal, except the keys in differ, which need only the same
// JSON type (or null).
func matchFixture(t *testing.T, file string, got []byte, differ ...string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(fixtures, file))
	if err != nil {
		t.Fatal(err)
	}
	if wk, gk := keys(t, want), keys(t, got); fmt.Sprint(wk) != fmt.Sprint(gk) {
		t.Fatalf("%s: keys\n got %v\nwant %v", file, gk, wk)
	}
	var wm, gm map[string]any
	_ = json.Unmarshal(want, &wm)
	_ = json.Unmarshal(got, &gm)
	for k, wv := range wm {
		gv := gm[k]
		ws, wIsStr := wv.(string)
		gs, gIsStr := gv.(string)
		switch {
		case contains(differ, k):
			if gv != nil && wv != nil && fmt.Sprintf("%T", gv) != fmt.Sprintf("%T", wv) {
				t.Errorf("%s: %s is %T %v, the fixture has a %T", file, k, gv, gv, wv)
			}
		case wIsStr && stampRE.MatchString(ws):
			if !gIsStr || !stampRE.MatchString(gs) {
				t.Errorf("%s: %s = %v, want a timestamp like %s", file, k, gv, ws)
			}
		case wIsStr && idRE.MatchString(ws) && !strings.Contains(ws, " "):
			if !gIsStr || !portico.MatchString(gs) || !strings.HasPrefix(gs, strings.SplitN(ws, "_", 2)[0]+"_") {
				t.Errorf("%s: %s = %v, want a uuid like %s", file, k, gv, ws)
			}
		default:
			if fmt.Sprint(gv) != fmt.Sprint(wv) {
				t.Errorf("%s: %s = %v, the fixture has %v", file, k, gv, wv)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
