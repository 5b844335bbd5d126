package doctor_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/doctor"
	"github.com/porticohq/portico/internal/testkit/node"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
)

// TestLiveNode runs doctor beside a running Portico on the configuration it
// runs with, in a DNS set up as the production guide says: every check is
// OK, including the ports the node itself holds and its DCV DNS server.
func TestLiveNode(t *testing.T) {
	dns := goodDNS(t)
	pebble, roots := startPebble(t, dns, pebbletest.Options{})
	n := node.Start(t, "sqlite", func(c *config.Serve) {
		node.WithEdge(c)
		c.Verify.Resolver = dns.Addr()
		c.Verify.EdgeIPv4 = edgeIP
		c.Certs = config.Certs{ACMEDirectory: pebble.DirectoryURL, ACMERootCA: roots, DNSListen: "127.0.0.1:0"}
		c.DCVZone = dcvZone
	})
	n.NewTenant(t, zoneName)

	args := []string{
		"--database", n.Database, "--master-key-file", n.DataDir + "/master.key",
		"--api-listen", n.Daemon.APIAddr(), "--https-listen", n.EdgeHTTPS(), "--http-listen", n.EdgeHTTP(),
		"--dns-listen", n.Daemon.DNSAddr(), "--dcv-zone", dcvZone,
		"--resolver", dns.Addr(), "--edge-ipv4", edgeIP,
		"--acme-directory", pebble.DirectoryURL, "--acme-root-ca", roots,
	}
	code, rep := runDoctor(t, nil, args...)
	if code != 0 || rep.Summary.Warn != 0 || rep.Summary.Fail != 0 {
		t.Fatalf("exit %d, want every check OK:\n%s", code, dump(rep))
	}
	expect(t, rep, "listen", "--https-listen", doctor.OK, "in use, by the running Portico")
	expect(t, rep, "listen", "--api-listen", doctor.OK, "in use by the running Portico")
	expect(t, rep, "dcv_dns_server", "", doctor.OK, "answers authoritatively for "+dcvZone)
	expect(t, rep, "dcv_delegation", dcvZone, doctor.OK, "ns1."+dcvZone+" ("+edgeIP+")")
	expect(t, rep, "cname_target", target, doctor.OK, edgeIP)
	expect(t, rep, "caa", target, doctor.OK, "pebble.letsencrypt.org")
	expect(t, rep, "acme_directory", "default", doctor.OK, "CAA identities pebble.letsencrypt.org")
	expect(t, rep, "database", "sqlite:", doctor.OK, "1 zone")

	// The text form says the same, with no fix lines.
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), cli.Env{Args: append([]string{"doctor", "--timeout", "1s"}, args...), Stdout: &out, Stderr: &errb})
	if code != 0 || !strings.Contains(out.String(), "0 warnings, 0 failures") || strings.Contains(out.String(), "fix:") {
		t.Errorf("text: exit %d, stdout:\n%s\nstderr: %s", code, out.String(), errb.String())
	}
}
