package scd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/testkit/smtptest"
)

// readmeExample returns the README's SaaS Custom Domains curl example:
// the lines of the sh block that starts with "export API=", continuation
// lines joined.
func readmeExample(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "## SaaS Custom Domains API")
	if i < 0 {
		t.Fatal("the README has no SaaS Custom Domains API section")
	}
	s = s[i:]
	start := strings.Index(s, "```sh\nexport API=")
	if start < 0 {
		t.Fatal("the section has no curl example")
	}
	s = s[start+len("```sh\n"):]
	s = s[:strings.Index(s, "```")]
	return strings.Split(strings.ReplaceAll(s, "\\\n", " "), "\n")
}

// shellWords splits a command line into words: double quotes group, $VAR
// expands from vars.
func shellWords(line string, vars map[string]string) []string {
	line = regexp.MustCompile(`\$[A-Z_]+`).ReplaceAllStringFunc(line, func(v string) string { return vars[v[1:]] })
	var out []string
	var cur strings.Builder
	quoted, has := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, has = !quoted, true
		case r == ' ' && !quoted:
			if has {
				out = append(out, cur.String())
			}
			cur.Reset()
			has = false
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

// curl runs the subset of curl the README uses: -s, -X METHOD, -H header,
// -d key=value (a form, and POST), and the URL.
func (e *env) curl(t *testing.T, words []string) (int, map[string]any) {
	t.Helper()
	method, target := "", ""
	hdr := http.Header{}
	form := url.Values{}
	for i := 1; i < len(words); i++ {
		switch words[i] {
		case "-s":
		case "-X":
			i++
			method = words[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(words[i], ":")
			hdr.Set(k, strings.TrimSpace(v))
		case "-d":
			i++
			k, v, _ := strings.Cut(words[i], "=")
			form.Add(k, v)
		default:
			if strings.HasPrefix(words[i], "-") {
				t.Fatalf("the README's curl uses %s, which this test does not know", words[i])
			}
			target = words[i]
		}
	}
	var body *strings.Reader
	if len(form) > 0 {
		body = strings.NewReader(form.Encode())
		if method == "" {
			method = "POST"
		}
	} else {
		body = strings.NewReader("")
	}
	if method == "" {
		method = "GET"
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr
	if len(form) > 0 {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return resp.StatusCode, m
}

// shownValues are the "key":value pairs a README output comment shows,
// placeholders ("…") left out.
var shownValue = regexp.MustCompile(`"([a-z_]+)":("[^"]*"|true|false|[0-9]+)`)

// TestREADME runs the README's SaaS Custom Domains example against a real
// node: each curl answers 2xx with the values its comment shows, the
// customer gets the instruction email, and after DNS is pointed (and a
// certificate deployed) the domain is dns_records_found with
// tls_certificate_issued true.
func TestREADME(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{})
	e := newEnv(t, "sqlite", func(c *config.Serve) {
		c.Mail.SMTPURL, c.Mail.SMTPFrom = "smtp://"+srv.Addr(), "SaaS Provider <domains@saasprovider.com>"
	})
	vars := map[string]string{"TOKEN": e.a.Token, "ZONE_ID": e.a.ZoneID}
	ca := servicetest.NewCA(t, clock.Real{})
	curls := 0
	var last map[string]any
	for _, line := range readmeExample(t) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "export "):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			switch k {
			case "API":
				v = strings.Replace(v, "http://127.0.0.1:8080", e.node.BaseURL, 1)
				vars[k] = shellWords(v, vars)[0]
			default: // the ids the previous reply gave
				vars[k] = last["uuid"].(string)
			}
		case strings.HasPrefix(line, "curl "):
			curls++
			switch curls {
			case 3: // "once the customer's DNS is in place"
				e.node.DNS.SetCNAME("shop.example-customer.com", "customers.saasprovider.com")
			case 4: // "true once a certificate is deployed"
				e.uploadCertificate(t, e.a, ca, hostnameID(vars["DOMAIN"]), "shop.example-customer.com")
			}
			status, reply := e.curl(t, shellWords(line, vars))
			if status/100 != 2 {
				t.Fatalf("%s: %d %v", line, status, reply)
			}
			last = reply
		case strings.HasPrefix(line, "#   {"):
			for _, m := range shownValue.FindAllStringSubmatch(line, -1) {
				if strings.Contains(m[2], "…") {
					continue
				}
				var want any
				_ = json.Unmarshal([]byte(m[2]), &want)
				if fmt.Sprint(last[m[1]]) != fmt.Sprint(want) {
					t.Errorf("after curl %d, %s = %v; the README shows %v", curls, m[1], last[m[1]], want)
				}
			}
		}
	}
	if curls != 4 {
		t.Fatalf("ran %d curl commands, want 4", curls)
	}
	got := srv.Wait(t, 1, 10*time.Second)[0]
	if got.To != "owner@example-customer.com" {
		t.Errorf("the instruction email went to %q", got.To)
	}
}
