package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/testkit/apicall"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
	"github.com/porticohq/portico/internal/testkit/pgtest"
)

// portico is a `portico serve` subprocess with everything a customer's
// hostname needs around it: Pebble as the CA, a DNS server for the
// customers' zones (Pebble's VA and Portico both resolve with it), and an
// origin.
type portico struct {
	bin, db, dir string
	dns          *dnstest.Server
	pebble       *pebbletest.Server
	origin       *httptest.Server
	roots        *x509.CertPool

	api, edgeHTTPS, authDNS string
	zone, token             string
	logs                    *lockedBuffer
}

const dcvZone = "dcv.saasprovider.com"

func startPortico(t *testing.T, bin, backend string) *portico {
	t.Helper()
	p := &portico{bin: bin, dir: t.TempDir(), dns: dnstest.New(t), logs: &lockedBuffer{}}
	p.db = "sqlite:" + filepath.Join(p.dir, "portico.db")
	if backend == "postgres" {
		p.db = pgtest.NewDatabase(t)
	}
	p.origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := "origin says hello to " + r.Host
		if r.URL.Path != "/" {
			msg += " at " + r.URL.Path
		}
		_, _ = io.WriteString(w, msg)
	}))
	t.Cleanup(p.origin.Close)
	httpPort := freePort(t)
	p.pebble = pebbletest.Start(t, pebbletest.Options{DNSServer: p.dns.Addr(), HTTPPort: httpPort})
	rootFile := filepath.Join(p.dir, "pebble-roots.pem")
	if err := os.WriteFile(rootFile, p.pebble.RootsPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	p.roots = x509.NewCertPool()
	p.roots.AppendCertsFromPEM(p.pebble.IssuerRootsPEM)

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve",
		"--database", p.db, "--master-key-file", filepath.Join(p.dir, "master.key"),
		"--api-listen", "127.0.0.1:0", "--https-listen", "127.0.0.1:0", "--http-listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--resolver", p.dns.Addr(), "--edge-ipv4", "127.0.0.1", "--verify-allow-private",
		"--acme-directory", p.pebble.DirectoryURL, "--acme-root-ca", rootFile,
		"--dcv-zone", dcvZone, "--dns-listen", "127.0.0.1:0",
		"--log-format", "json", "--log-level", "debug")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("portico exited with %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("portico did not stop within 20 s of SIGTERM")
		}
		cancel()
		if t.Failed() {
			t.Logf("portico logs:\n%s", p.logs.String())
		}
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.logs.Write(append(append([]byte{}, line...), '\n'))
			var rec struct{ Msg, Addr, Listener string }
			if json.Unmarshal(line, &rec) != nil {
				continue
			}
			p.logs.mu.Lock()
			switch {
			case rec.Msg == "edge listening" && rec.Listener == "https":
				p.edgeHTTPS = rec.Addr
			case rec.Msg == "DCV DNS server listening":
				p.authDNS = rec.Addr
			case rec.Msg == "api listening":
				p.api = "http://" + rec.Addr
				close(ready)
			}
			p.logs.mu.Unlock()
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("portico did not start:\n%s", p.logs.String())
	}
	p.logs.mu.Lock()
	defer p.logs.mu.Unlock()
	if p.edgeHTTPS == "" || p.authDNS == "" {
		t.Fatalf("edge %q or DNS server %q not logged", p.edgeHTTPS, p.authDNS)
	}
	return p
}

// cli runs a store command of the binary on the same database and decodes
// its one JSON object.
func (p *portico) cli(t *testing.T, out any, args ...string) {
	t.Helper()
	args = append(args, "--database", p.db, "--master-key-file", filepath.Join(p.dir, "master.key"))
	b, err := exec.Command(p.bin, args...).Output()
	if err != nil {
		t.Fatalf("portico %s: %v", strings.Join(args, " "), err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("portico %s printed %q", strings.Join(args, " "), b)
	}
}

func (p *portico) tenant(t *testing.T) {
	t.Helper()
	var z struct{ ID string }
	p.cli(t, &z, "zone", "create", "--name", "saasprovider.com", "--cname-target", "customers.saasprovider.com",
		"--fallback-origin", p.origin.URL)
	var tok struct{ Token string }
	p.cli(t, &tok, "token", "create", "--zone", z.ID)
	p.zone, p.token = z.ID, tok.Token
	p.dns.SetA("customers.saasprovider.com", "127.0.0.1")
}

// call sends a JSON request to the API and decodes the envelope's result.
func (p *portico) call(t *testing.T, method, path string, body, result any) int {
	t.Helper()
	r := apicall.JSON(t, nil, method, p.api+path, p.token, body)
	if result != nil {
		var env struct{ Result json.RawMessage }
		if err := json.Unmarshal(r.Body, &env); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		if err := json.Unmarshal(env.Result, result); err != nil {
			t.Fatalf("%s %s: result %s", method, path, env.Result)
		}
	}
	return r.Status
}

// scd sends a JSON request to the SaaS Custom Domains dialect and decodes
// its reply (no envelope).
func (p *portico) scd(t *testing.T, method, path string, body, result any) int {
	t.Helper()
	r := apicall.JSON(t, nil, method, p.api+path, p.token, body)
	if result != nil && r.Status/100 == 2 {
		if err := json.Unmarshal(r.Body, result); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
	}
	if r.Status/100 != 2 {
		t.Logf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	return r.Status
}

type hostname struct {
	ID                    string
	Hostname              string
	Status                string
	OwnershipVerification struct{ Name, Value string } `json:"ownership_verification"`
	SSL                   struct {
		Status               string
		Hosts                []string
		SerialNumber         string `json:"serial_number"`
		DCVDelegationRecords []struct {
			CNAME       string `json:"cname"`
			CNAMETarget string `json:"cname_target"`
		} `json:"dcv_delegation_records"`
		ValidationErrors []struct{ Message string } `json:"validation_errors"`
	}
}

func (p *portico) create(t *testing.T, name string, ssl map[string]any) hostname {
	t.Helper()
	var h hostname
	if code := p.call(t, "POST", "/client/v4/zones/"+p.zone+"/custom_hostnames", map[string]any{"hostname": name, "ssl": ssl}, &h); code != 200 && code != 201 {
		t.Fatalf("create %s: %d", name, code)
	}
	return h
}

func (p *portico) waitActive(t *testing.T, id string) hostname {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var h hostname
		p.call(t, "GET", "/client/v4/zones/"+p.zone+"/custom_hostnames/"+id, nil, &h)
		if h.Status == "active" && h.SSL.Status == "active" {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not active: %+v", id, h)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get fetches https://name/ through the edge, trusting roots.
func (p *portico) get(name string, roots *x509.CertPool) (string, *x509.Certificate, error) {
	c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", p.edgeHTTPS)
		},
		DisableKeepAlives: true,
	}}
	resp, err := c.Get("https://" + name + "/")
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", nil, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return string(b), resp.TLS.PeerCertificates[0], nil
}

func (p *portico) mustGet(t *testing.T, name string, roots *x509.CertPool) (string, *x509.Certificate) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		body, leaf, err := p.get(name, roots)
		if err == nil {
			return body, leaf
		}
		if time.Now().After(deadline) {
			t.Fatalf("https://%s/: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWholePath is issue 7's end-to-end suite: the real binary, Pebble, a
// real DNS server and origin, on both databases: HTTP-01, a wildcard
// through DCV delegation, an uploaded certificate, and deletion.
func TestWholePath(t *testing.T) {
	bin := buildPortico(t)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			p := startPortico(t, bin, backend)
			p.tenant(t)

			t.Run("http-01", func(t *testing.T) {
				name := "shop.customer-http.com"
				p.dns.SetCNAME(name, "customers.saasprovider.com")
				h := p.create(t, name, map[string]any{"method": "http", "type": "dv"})
				h = p.waitActive(t, h.ID)
				body, leaf := p.mustGet(t, name, p.roots)
				if body != "origin says hello to "+name || leaf.SerialNumber.String() != h.SSL.SerialNumber {
					t.Errorf("served %q with serial %v, API serial %s", body, leaf.SerialNumber, h.SSL.SerialNumber)
				}
				// Deletion: the edge stops serving within a second, and the
				// certificate and its key are gone.
				if code := p.call(t, "DELETE", "/client/v4/zones/"+p.zone+"/custom_hostnames/"+h.ID, nil, nil); code != 200 {
					t.Fatalf("delete: %d", code)
				}
				// The edge's change feed applies it within a second (the
				// figure is logged; the bound only catches a hang).
				deleted := time.Now()
				for {
					if _, _, err := p.get(name, p.roots); err != nil {
						break
					}
					if time.Since(deleted) > 10*time.Second {
						t.Fatal("still served 10 s after deletion")
					}
					time.Sleep(20 * time.Millisecond)
				}
				t.Logf("no longer served %v after the DELETE", time.Since(deleted).Round(time.Millisecond))
			})

			t.Run("wildcard-dcv-delegation", func(t *testing.T) {
				h := p.create(t, "*.customer-wild.com", map[string]any{"method": "txt", "type": "dv"})
				if len(h.SSL.DCVDelegationRecords) != 1 {
					t.Fatalf("no delegation record: %+v", h.SSL)
				}
				d := h.SSL.DCVDelegationRecords[0]
				p.dns.SetTXT(h.OwnershipVerification.Name, h.OwnershipVerification.Value)
				p.dns.SetCNAME(d.CNAME, d.CNAMETarget)
				pebbletest.Delegate(t, p.dns, d.CNAMETarget, p.authDNS)
				p.dns.SetA("*.customer-wild.com", "127.0.0.1")
				// Refresh: the check runs at once.
				p.call(t, "PATCH", "/client/v4/zones/"+p.zone+"/custom_hostnames/"+h.ID, map[string]any{"ssl": map[string]any{"method": "txt", "type": "dv"}}, nil)
				p.waitActive(t, h.ID)
				body, leaf := p.mustGet(t, "any.customer-wild.com", p.roots)
				if body != "origin says hello to any.customer-wild.com" || leaf.DNSNames[0] != "*.customer-wild.com" {
					t.Errorf("served %q for %v", body, leaf.DNSNames)
				}
			})

			t.Run("saas-custom-domains", func(t *testing.T) {
				// The other dialect through the whole path: an upstream, a
				// custom domain routed to it, the customer's CNAME, a
				// verification, an issued certificate, a visitor.
				api := "/api/v1/accounts/" + p.zone
				var up struct{ UUID string }
				if code := p.scd(t, "POST", api+"/upstreams", map[string]any{"host": p.origin.URL, "prepend_path": "/app"}, &up); code != 201 {
					t.Fatalf("create upstream: %d", code)
				}
				name := "shop.customer-scd.com"
				var d struct {
					UUID                 string
					Status               string
					TLSCertificateIssued bool `json:"tls_certificate_issued"`
				}
				base := api + "/upstreams/" + up.UUID + "/custom_domains"
				if code := p.scd(t, "POST", base, map[string]any{"host": name, "challenge_type": "http01"}, &d); code != 201 {
					t.Fatalf("create custom domain: %d", code)
				}
				p.dns.SetCNAME(name, "customers.saasprovider.com")
				var v struct {
					DNSStatus string `json:"dns_status"`
				}
				p.scd(t, "POST", base+"/"+d.UUID+"/verify_dns_records", nil, &v)
				if v.DNSStatus != "valid" {
					t.Fatalf("verify_dns_records: dns_status %q", v.DNSStatus)
				}
				deadline := time.Now().Add(30 * time.Second)
				for !d.TLSCertificateIssued {
					if time.Now().After(deadline) {
						t.Fatalf("no certificate: %+v", d)
					}
					time.Sleep(50 * time.Millisecond)
					p.scd(t, "GET", base+"/"+d.UUID, nil, &d)
				}
				if d.Status != "dns_records_found" {
					t.Errorf("status %q", d.Status)
				}
				body, _ := p.mustGet(t, name, p.roots)
				if body != "origin says hello to "+name+" at /app/" {
					t.Errorf("served %q", body)
				}
				// Visible with the same state in the Cloudflare dialect.
				var list []hostname
				p.call(t, "GET", "/client/v4/zones/"+p.zone+"/custom_hostnames?hostname="+name, nil, &list)
				if len(list) != 1 || list[0].Status != "active" || list[0].SSL.Status != "active" {
					t.Errorf("through /client/v4: %+v", list)
				}
			})

			t.Run("custom-certificate", func(t *testing.T) {
				name := "shop.customer-custom.com"
				orders := p.pebble.Orders()
				ca := servicetest.NewCA(t, clock.Real{})
				cert, key := ca.Issue(t, "ecdsa", name)
				p.dns.SetCNAME(name, "customers.saasprovider.com")
				h := p.create(t, name, map[string]any{"custom_certificate": cert, "custom_key": key, "bundle_method": "force"})
				p.waitActive(t, h.ID)
				body, leaf := p.mustGet(t, name, ca.Pool)
				if body != "origin says hello to "+name || leaf.Issuer.CommonName == "" {
					t.Errorf("served %q", body)
				}
				if n := p.pebble.Orders() - orders; n != 0 {
					t.Errorf("%d ACME orders; the uploaded certificate should have needed none", n)
				}
			})
		})
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) {
	b.mu.Lock()
	b.buf.Write(p)
	b.mu.Unlock()
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
