package doctor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/doctor"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
)

// The provider of every test: its zone, CNAME target, DCV zone, and the
// edge's public address as the test DNS publishes it.
const (
	zoneName = "saasprovider.com"
	target   = "customers.saasprovider.com"
	dcvZone  = "dcv.saasprovider.com"
	edgeIP   = "192.0.2.10"
	otherIP  = "198.51.100.7"
)

// runDoctor runs `portico doctor --json args...` in-process, as the binary
// does, and decodes the report. environ is the process environment.
func runDoctor(t *testing.T, environ []string, args ...string) (int, doctor.Report) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), cli.Env{Args: append([]string{"doctor", "--json", "--timeout", "1s"}, args...),
		Environ: environ, Stdout: &out, Stderr: &errb})
	var rep doctor.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("doctor printed %q (stderr %q): %v", out.String(), errb.String(), err)
	}
	if strings.Count(strings.TrimSpace(out.String()), "\n") != 0 {
		t.Errorf("doctor --json printed more than one line:\n%s", out.String())
	}
	if (code == 0) != rep.OK || (code != 0 && !strings.Contains(errb.String(), "failed")) {
		t.Errorf("exit code %d with report ok=%v, stderr %q", code, rep.OK, errb.String())
	}
	return code, rep
}

// results returns the results of check whose subject starts with subject.
func results(rep doctor.Report, check, subject string) []doctor.Result {
	var out []doctor.Result
	for _, r := range rep.Results {
		if r.Check == check && strings.HasPrefix(r.Subject, subject) {
			out = append(out, r)
		}
	}
	return out
}

// expect checks that exactly one result of check (and subject prefix) has
// status and a message containing want; status "" expects no result.
func expect(t *testing.T, rep doctor.Report, check, subject string, status doctor.Status, want string) doctor.Result {
	t.Helper()
	rs := results(rep, check, subject)
	if status == "" {
		if len(rs) != 0 {
			t.Fatalf("%s %q reported, want no result: %+v", check, subject, rs)
		}
		return doctor.Result{}
	}
	if len(rs) != 1 {
		t.Fatalf("%d results for %s %q, want 1; report:\n%s", len(rs), check, subject, dump(rep))
	}
	r := rs[0]
	if r.Status != status || !strings.Contains(r.Message, want) {
		t.Fatalf("%s %q = %s %q, want %s containing %q; report:\n%s", check, subject, r.Status, r.Message, status, want, dump(rep))
	}
	if (r.Status == doctor.OK) != (r.Fix == "") {
		t.Errorf("%s %q: status %s with fix %q: every WARN and FAIL says what to do, an OK nothing", check, subject, r.Status, r.Fix)
	}
	return r
}

func dump(rep doctor.Report) string {
	var b bytes.Buffer
	_ = rep.WriteText(&b)
	return b.String()
}

// goodDNS publishes the provider's DNS as production.md describes it: the
// CNAME target and the DCV zone's nameserver on the edge address, the zone
// delegated to that nameserver, and CAA at the target allowing Pebble.
func goodDNS(t *testing.T) *dnstest.Server {
	dns := dnstest.New(t)
	dns.SetA(target, edgeIP)
	dns.SetRR(dcvZone + ". 60 IN NS ns1." + dcvZone + ".")
	dns.SetA("ns1."+dcvZone, edgeIP)
	dns.SetCAA(target, dnstest.CAA{Tag: "issue", Value: "pebble.letsencrypt.org"})
	return dns
}

// startPebble runs Pebble and writes the roots a client needs to a file,
// for --acme-root-ca.
func startPebble(t *testing.T, dns *dnstest.Server, o pebbletest.Options) (*pebbletest.Server, string) {
	t.Helper()
	o.DNSServer, o.HTTPPort = dns.Addr(), 5002 // never dialled: no order is placed
	p := pebbletest.Start(t, o)
	roots := filepath.Join(t.TempDir(), "pebble-roots.pem")
	if err := os.WriteFile(roots, p.RootsPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, roots
}

// cliRun runs another portico command in-process and fails the test if it
// fails.
func cliRun(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), cli.Env{Args: args, Stdout: &out, Stderr: &errb}); code != 0 {
		t.Fatalf("portico %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}
