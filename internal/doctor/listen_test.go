package doctor_test

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/porticohq/portico/internal/doctor"
	"github.com/porticohq/portico/internal/testkit/dnstest"
)

// TestListen binds each listen address: free ports pass, ports held by
// another program fail, and a DNS server on --dns-listen that is not
// Portico's is found out.
func TestListen(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldUDP, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer heldUDP.Close()
	// A recursive resolver holding the DNS port: it answers, but not
	// authoritatively for the DCV zone.
	other := dnstest.New(t)
	other.SetRR(dcvZone + ". 60 IN SOA ns.other-dns.net. hostmaster.other-dns.net. 1 3600 600 86400 60")

	dir := t.TempDir()
	// Probes of sockets that never answer wait out the timeout.
	base := []string{"--database", "sqlite:" + filepath.Join(dir, "portico.db"), "--resolver", "127.0.0.1:1", "--dcv-zone", dcvZone, "--timeout", "300ms"}
	for _, tc := range []struct {
		name    string
		args    []string
		subject string
		status  doctor.Status
		message string
	}{
		{"free", []string{"--api-listen", "127.0.0.1:0", "--https-listen", "127.0.0.1:0", "--http-listen", "off"},
			"--https-listen", doctor.OK, "free"},
		{"held by another program", []string{"--api-listen", "127.0.0.1:0", "--https-listen", held.Addr().String(), "--http-listen", "off"},
			"--https-listen", doctor.Fail, "in use by another program"},
		{"the API port held, no Portico behind it", []string{"--api-listen", held.Addr().String(), "--https-listen", "off", "--http-listen", "off"},
			"--api-listen", doctor.Fail, "in use by another program"},
		{"DNS port held over UDP", []string{"--api-listen", "127.0.0.1:0", "--https-listen", "off", "--http-listen", "off", "--dns-listen", heldUDP.LocalAddr().String()},
			"--dns-listen", doctor.Fail, "in use by another program"},
		{"not an address of this machine", []string{"--api-listen", "127.0.0.1:0", "--https-listen", "192.0.2.1:0", "--http-listen", "off"},
			"--https-listen", doctor.Fail, "not an address of this machine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rep := runDoctor(t, nil, append(append([]string{}, base...), tc.args...)...)
			expect(t, rep, "listen", tc.subject, tc.status, tc.message)
		})
	}

	t.Run("DCV DNS server", func(t *testing.T) {
		free := []string{"--api-listen", "127.0.0.1:0", "--https-listen", "off", "--http-listen", "off"}
		_, rep := runDoctor(t, nil, append(append(append([]string{}, base...), free...), "--dns-listen", "127.0.0.1:0")...)
		expect(t, rep, "dcv_dns_server", "", doctor.Warn, "serve is not running")
		_, rep = runDoctor(t, nil, append(append(append([]string{}, base...), free...), "--dns-listen", other.Addr())...)
		expect(t, rep, "dcv_dns_server", "", doctor.Fail, "not authoritatively for "+dcvZone)
		_, rep = runDoctor(t, nil, append(append([]string{}, base...), free...)...)
		expect(t, rep, "dcv_dns_server", "", doctor.Warn, "--dns-listen is not set")
	})
}
