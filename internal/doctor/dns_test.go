package doctor_test

import (
	"path/filepath"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/porticohq/portico/internal/doctor"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
)

// TestDNSSetups runs doctor against a stopped node's configuration in good
// and bad DNS setups: the CNAME target, the delegation of the DCV zone, and
// CAA, each as a loopback DNS server publishes them.
func TestDNSSetups(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "portico.db")
	key := filepath.Join(dir, "master.key")
	cliRun(t, "zone", "create", "--name", zoneName, "--cname-target", target, "--database", db, "--master-key-file", key)
	pebble, roots := startPebble(t, dnstest.New(t), pebbletest.Options{})

	type want struct {
		check, subject string
		status         doctor.Status
		message        string
	}
	for _, tc := range []struct {
		name  string
		dns   func(s *dnstest.Server)
		flags []string // replace the defaults of the same name
		want  []want
	}{
		{name: "as the guide says", want: []want{
			{"cname_target", target, doctor.OK, "resolves to " + edgeIP},
			{"dcv_delegation", dcvZone, doctor.OK, "delegated to ns1." + dcvZone},
			{"caa", target, doctor.OK, "allows pebble.letsencrypt.org"},
			{"caa", dcvZone, "", ""}, // never checked: CAA does not apply where challenges live
		}},
		{name: "target elsewhere", dns: func(s *dnstest.Server) { s.SetA(target, otherIP) }, want: []want{
			{"cname_target", target, doctor.Fail, "none of which is an edge address"},
		}},
		{name: "target partly elsewhere", dns: func(s *dnstest.Server) { s.SetA(target, edgeIP, otherIP) }, want: []want{
			{"cname_target", target, doctor.Warn, otherIP + " is not an edge address"},
		}},
		{name: "target lacks an edge address", flags: []string{"--edge-ipv6", "2001:db8::10"}, want: []want{
			{"cname_target", target, doctor.Warn, "not to the edge address 2001:db8::10"},
		}},
		{name: "target missing", dns: func(s *dnstest.Server) { s.Delete(target, mdns.TypeANY) }, want: []want{
			{"cname_target", target, doctor.Fail, "no A or AAAA records"},
		}},
		{name: "target behind a CNAME loop", dns: func(s *dnstest.Server) {
			s.SetCNAME(target, "lb.saasprovider.com")
			s.SetCNAME("lb.saasprovider.com", target)
		}, want: []want{
			{"cname_target", target, doctor.Fail, "loops"},
		}},
		{name: "target SERVFAIL", dns: func(s *dnstest.Server) { s.SetServfail(target, true) }, want: []want{
			{"cname_target", target, doctor.Warn, "could not be checked"},
			{"caa", target, doctor.Warn, "could not be checked"},
		}},
		{name: "no edge addresses", flags: []string{"--edge-ipv4", ""}, want: []want{
			{"cname_target", target, doctor.Warn, "--edge-ipv4 and --edge-ipv6 are not set"},
			{"dcv_delegation", dcvZone, doctor.Warn, "--edge-ipv4 and --edge-ipv6 are not set"},
		}},
		{name: "DCV zone not delegated", dns: func(s *dnstest.Server) { s.Delete(dcvZone, mdns.TypeANY) }, want: []want{
			{"dcv_delegation", dcvZone, doctor.Fail, "is not delegated"},
		}},
		{name: "DCV zone delegated elsewhere", dns: func(s *dnstest.Server) { s.SetA("ns1."+dcvZone, otherIP) }, want: []want{
			{"dcv_delegation", dcvZone, doctor.Fail, "none of which is on an edge address"},
		}},
		{name: "DCV zone also delegated elsewhere", dns: func(s *dnstest.Server) {
			s.SetRR(dcvZone+". 60 IN NS ns1."+dcvZone+".", dcvZone+". 60 IN NS ns.other-dns.net.")
			s.SetA("ns.other-dns.net", otherIP)
		}, want: []want{
			{"dcv_delegation", dcvZone, doctor.Warn, "but also to ns.other-dns.net (" + otherIP + ")"},
		}},
		{name: "DCV nameserver without an address", dns: func(s *dnstest.Server) { s.Delete("ns1."+dcvZone, mdns.TypeANY) }, want: []want{
			{"dcv_delegation", dcvZone, doctor.Fail, "which has no address"},
		}},
		{name: "DCV nameservers named otherwise", flags: []string{"--dns-nameservers", "dns1." + dcvZone}, want: []want{
			{"dcv_delegation", dcvZone, doctor.Warn, "serve names dns1." + dcvZone},
		}},
		{name: "DCV NS lookup fails", dns: func(s *dnstest.Server) { s.SetServfail(dcvZone, true) }, want: []want{
			{"dcv_delegation", dcvZone, doctor.Warn, "could not be looked up"},
		}},
		{name: "CAA at the target names another CA", dns: func(s *dnstest.Server) {
			s.SetCAA(target, dnstest.CAA{Tag: "issue", Value: "pki.goog"})
		}, want: []want{
			{"caa", target, doctor.Fail, "its CAA records do not allow pebble.letsencrypt.org"},
		}},
		{name: "CAA of the provider's domain does not reach customers", dns: func(s *dnstest.Server) {
			s.SetCAA(zoneName, dnstest.CAA{Tag: "issue", Value: "pki.goog"})
		}, want: []want{
			{"caa", target, doctor.OK, "allows"},
		}},
		{name: "CAA through the target's CNAME", dns: func(s *dnstest.Server) {
			s.SetCNAME(target, "lb.edge-provider.net")
			s.SetA("lb.edge-provider.net", edgeIP)
			s.SetCAA("lb.edge-provider.net", dnstest.CAA{Tag: "issue", Value: "pki.goog"})
		}, want: []want{
			{"cname_target", target, doctor.OK, edgeIP},
			{"caa", target, doctor.Fail, "do not allow"},
		}},
		{name: "CAA names an account Portico does not have", dns: func(s *dnstest.Server) {
			s.SetCAA(target, dnstest.CAA{Tag: "issue", Value: "pebble.letsencrypt.org; accounturi=https://ca.example/acct/42"})
		}, want: []want{
			{"caa", target, doctor.Fail, "do not allow"},
		}},
		{name: "CAA allows DNS-01 only", dns: func(s *dnstest.Server) {
			s.SetCAA(target, dnstest.CAA{Tag: "issue", Value: "pebble.letsencrypt.org; validationmethods=dns-01"})
		}, want: []want{
			{"caa", target, doctor.Fail, "do not allow"}, // customers' names validate over HTTP-01
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dns := goodDNS(t)
			if tc.dns != nil {
				tc.dns(dns)
			}
			flags := map[string]string{
				"--database": db, "--master-key-file": key, "--api-listen": "127.0.0.1:0",
				"--https-listen": "off", "--http-listen": "off", "--dcv-zone": dcvZone,
				"--resolver": dns.Addr(), "--edge-ipv4": edgeIP,
				"--acme-directory": pebble.DirectoryURL, "--acme-root-ca": roots,
			}
			for i := 0; i+1 < len(tc.flags); i += 2 {
				flags[tc.flags[i]] = tc.flags[i+1]
			}
			var args []string
			for k, v := range flags {
				args = append(args, k+"="+v)
			}
			_, rep := runDoctor(t, nil, args...)
			for _, w := range tc.want {
				expect(t, rep, w.check, w.subject, w.status, w.message)
			}
		})
	}
}
