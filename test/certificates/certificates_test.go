package certificates

import (
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
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cf0 "github.com/cloudflare/cloudflare-go"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/node"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
)

// env is a node whose certificates come from a Pebble CA, whose customers'
// DNS is the node's loopback resolver (Pebble's VA asks it too), and whose
// DCV zone is served by the node's own DNS server.
type env struct {
	node   *node.Node
	pebble *pebbletest.Server
	// google is a second Pebble, requiring External Account Binding,
	// configured as --acme-ca google=... (options.secondCA).
	google *pebbletest.Server
	zone   string
	api    *cf0.API
	origin *httptest.Server
	roots  *x509.CertPool
}

const dcvZone = "dcv.saas-edge.com"

type options struct {
	nonceReject int
	validity    time.Duration
	secondCA    bool
}

// googleEAB is the second CA's External Account Binding.
const googleKeyID, googleMAC = "kid-google", "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"

func newEnv(t *testing.T, backend string, o options) *env {
	t.Helper()
	e := &env{}
	e.origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello from the origin of "+r.Host)
	}))
	t.Cleanup(e.origin.Close)
	// Pebble's VA dials one fixed port for HTTP-01, so the edge's HTTP
	// listener needs a port known before the node starts.
	httpPort := freePort(t)
	e.node = node.Start(t, backend, func(c *config.Serve) {
		node.WithEdge(c)
		c.Edge.HTTPListen = fmt.Sprintf("127.0.0.1:%d", httpPort)
		e.pebble = pebbletest.Start(t, pebbletest.Options{DNSServer: c.Verify.Resolver, HTTPPort: httpPort,
			NonceReject: o.nonceReject, ValidityPeriod: o.validity})
		roots := e.pebble.RootsPEM
		c.Certs = config.Certs{ACMEDirectory: e.pebble.DirectoryURL, DNSListen: "127.0.0.1:0"}
		if o.secondCA {
			e.google = pebbletest.Start(t, pebbletest.Options{DNSServer: c.Verify.Resolver, HTTPPort: httpPort,
				EABKeys: map[string]string{googleKeyID: googleMAC}})
			roots = append(append([]byte{}, roots...), e.google.RootsPEM...)
			c.Certs.ACMECAs = "google=" + e.google.DirectoryURL
			c.Certs.ACMECAEAB = "google=" + googleKeyID + ":" + googleMAC
		}
		rootFile := filepath.Join(t.TempDir(), "pebble-roots.pem")
		if err := os.WriteFile(rootFile, roots, 0o600); err != nil {
			t.Fatal(err)
		}
		c.Certs.ACMERootCA = rootFile
		c.DCVZone = dcvZone
		c.Verify.EdgeIPv4 = "127.0.0.1"
	})
	ten := e.node.NewTenant(t, "saasprovider.com", "--fallback-origin", e.origin.URL)
	e.zone = ten.ZoneID
	var err error
	e.api, err = cf0.NewWithAPIToken(ten.Token, cf0.BaseURL(e.node.BaseURL+"/client/v4"), cf0.UsingRateLimit(1000),
		cf0.HTTPClient(&http.Client{Timeout: 30 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	e.roots = x509.NewCertPool()
	e.roots.AppendCertsFromPEM(e.pebble.IssuerRootsPEM)
	return e
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

func (e *env) create(t *testing.T, name, method string, wildcard bool) cf0.CustomHostname {
	t.Helper()
	ssl := &cf0.CustomHostnameSSL{Method: method, Type: "dv"}
	if wildcard {
		ssl.Wildcard = &wildcard
	}
	resp, err := e.api.CreateCustomHostname(context.Background(), e.zone, cf0.CustomHostname{Hostname: name, SSL: ssl})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return resp.Result
}

func (e *env) get(t *testing.T, id string) cf0.CustomHostname {
	t.Helper()
	h, err := e.api.CustomHostname(context.Background(), e.zone, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return h
}

// waitFor polls GET until cond holds, or fails after limit.
func (e *env) waitFor(t *testing.T, id, what string, limit time.Duration, cond func(cf0.CustomHostname) bool) cf0.CustomHostname {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		h := e.get(t, id)
		if cond(h) {
			return h
		}
		if time.Now().After(deadline) {
			b, _ := json.Marshal(h)
			t.Fatalf("%s did not happen within %v: %s", what, limit, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawHostname is what cloudflare-go v0 does not decode.
type rawHostname struct {
	SSL struct {
		Hosts                []string `json:"hosts"`
		DCVDelegationRecords []struct {
			CnameName   string `json:"cname"`
			CnameTarget string `json:"cname_target"`
			Status      string `json:"status"`
		} `json:"dcv_delegation_records"`
	} `json:"ssl"`
}

func (e *env) raw(t *testing.T, id string) rawHostname {
	t.Helper()
	var out struct{ Result rawHostname }
	raw, err := e.api.Raw(context.Background(), http.MethodGet, "/zones/"+e.zone+"/custom_hostnames/"+id, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw.Result, &out.Result); err != nil {
		t.Fatal(err)
	}
	return out.Result
}

func active(h cf0.CustomHostname) bool {
	return h.Status == "active" && h.SSL != nil && h.SSL.Status == "active"
}

// fetch GETs https://name/ through the edge, verifying the certificate
// against Pebble's roots, and returns the body and the served leaf.
func (e *env) fetch(t *testing.T, name string) (string, *x509.Certificate) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: e.roots},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", e.node.EdgeHTTPS())
		},
	}}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := c.Get("https://" + name + "/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return string(b), resp.TLS.PeerCertificates[0]
			}
			err = fmt.Errorf("status %d: %s", resp.StatusCode, b)
		}
		if time.Now().After(deadline) {
			for _, l := range strings.Split(string(e.node.Logs.Bytes()), "\n") {
				if strings.Contains(l, `"component":"edge"`) || strings.Contains(l, `"component":"certs"`) {
					t.Log(l)
				}
			}
			t.Fatalf("https://%s/ not served: %v", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pointAtUs publishes what a customer does for an HTTP-validated hostname:
// the CNAME to the zone's target, which resolves to the edge (loopback).
func (e *env) pointAtUs(name string) {
	e.node.DNS.SetA("customers.saasprovider.com", "127.0.0.1")
	e.node.DNS.SetCNAME(name, "customers.saasprovider.com")
}

// TestHTTP01 is the first "done when": through the Cloudflare API
// alone, a hostname whose DNS points at Portico reaches active and
// ssl.status active, the API shows the certificate, and the edge serves it.
func TestHTTP01(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, options{})
			name := "shop.customer-" + backend + ".com"
			e.pointAtUs(name)
			start := time.Now()
			h := e.create(t, name, "http", false)
			h = e.waitFor(t, h.ID, "active with a certificate", 20*time.Second, active)
			took := time.Since(start)
			// The target is under 2 s; a figure to report, not a
			// timed assertion (speed targets live in benchmarks).
			t.Logf("%s: created to active with a Pebble certificate in %v", backend, took)
			if h.SSL.Issuer == "" || h.SSL.SerialNumber == "" || len(h.SSL.Certificates) != 1 {
				t.Errorf("certificate details missing: issuer %q serial %q certificates %d", h.SSL.Issuer, h.SSL.SerialNumber, len(h.SSL.Certificates))
			}
			if c := h.SSL.Certificates[0]; c.ExpiresOn == nil || c.ExpiresOn.Before(time.Now().Add(80*24*time.Hour)) {
				t.Errorf("expires_on %v", c.ExpiresOn)
			}
			body, leaf := e.fetch(t, name)
			if body != "hello from the origin of "+name {
				t.Errorf("body %q", body)
			}
			if leaf.SerialNumber.String() != h.SSL.SerialNumber || !slices.Contains(leaf.DNSNames, name) {
				t.Errorf("served %v %v, API says serial %s", leaf.SerialNumber, leaf.DNSNames, h.SSL.SerialNumber)
			}
			if n := e.pebble.Orders(); n != 1 {
				t.Errorf("%d orders, want 1", n)
			}
			// Deleting the hostname withdraws it from the edge.
			if err := e.api.DeleteCustomHostname(context.Background(), e.zone, h.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestWildcardThroughDelegation: a wildcard hostname validated by DNS-01
// through the customer's one-time _acme-challenge CNAME into Portico's DCV
// zone, answered by Portico's own DNS server.
func TestWildcardThroughDelegation(t *testing.T) {
	e := newEnv(t, "sqlite", options{})
	h := e.create(t, "*.wild-customer.com", "txt", false)
	raw := e.raw(t, h.ID)
	if len(raw.SSL.DCVDelegationRecords) != 1 {
		t.Fatalf("dcv_delegation_records %+v", raw.SSL.DCVDelegationRecords)
	}
	d := raw.SSL.DCVDelegationRecords[0]
	if d.CnameName != "_acme-challenge.wild-customer.com" || !strings.HasSuffix(d.CnameTarget, "."+dcvZone) {
		t.Fatalf("delegation record %+v", d)
	}
	// The customer: ownership TXT, the delegation CNAME, and the wildcard
	// pointing at the edge. The resolver follows the CNAME into Portico's
	// DNS server as a recursive resolver would.
	e.node.DNS.SetTXT("_cf-custom-hostname.wild-customer.com", h.OwnershipVerification.Value)
	e.node.DNS.SetCNAME(d.CnameName, d.CnameTarget)
	pebbletest.Delegate(t, e.node.DNS, d.CnameTarget, e.node.Daemon.DNSAddr())
	e.node.DNS.SetA("*.wild-customer.com", "127.0.0.1")
	// The provider refreshes the hostname once the customer says the
	// records are in: a check runs at once.
	if _, err := e.api.UpdateCustomHostnameSSL(context.Background(), e.zone, h.ID, &cf0.CustomHostnameSSL{Method: "txt", Type: "dv"}); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, h.ID, "wildcard active", 20*time.Second, active)
	raw = e.raw(t, h.ID)
	if !slices.Contains(raw.SSL.Hosts, "*.wild-customer.com") {
		t.Errorf("hosts %v", raw.SSL.Hosts)
	}
	if s := raw.SSL.DCVDelegationRecords[0].Status; s != "active" {
		t.Errorf("delegation record status %q, want active", s)
	}
	body, _ := e.fetch(t, "anything.wild-customer.com")
	if body != "hello from the origin of anything.wild-customer.com" {
		t.Errorf("body %q", body)
	}
}

// TestCAAForbids: CAA that names another CA fails fast with a clear
// validation error, and no order is placed.
func TestCAAForbids(t *testing.T) {
	e := newEnv(t, "sqlite", options{})
	name := "caa.customer.com"
	e.pointAtUs(name)
	e.node.DNS.SetCAA("customer.com", dnstest.CAA{Tag: "issue", Value: "someother-ca.example"})
	h := e.create(t, name, "http", false)
	h = e.waitFor(t, h.ID, "a CAA validation error", 20*time.Second, func(h cf0.CustomHostname) bool {
		return h.SSL != nil && len(h.SSL.ValidationErrors) > 0
	})
	if msg := h.SSL.ValidationErrors[0].Message; !strings.Contains(strings.ToLower(msg), "caa") {
		t.Errorf("validation error %q does not mention CAA", msg)
	}
	if h.SSL.Status == "active" {
		t.Error("ssl active despite CAA")
	}
	if n := e.pebble.Orders(); n != 0 {
		t.Errorf("%d orders placed despite CAA", n)
	}
}

// TestBadNonces: with half of all nonces rejected, issuance still completes
// (the client retries badNonce as RFC 8555 says).
func TestBadNonces(t *testing.T) {
	e := newEnv(t, "sqlite", options{nonceReject: 50})
	name := "nonce.customer.com"
	e.pointAtUs(name)
	h := e.create(t, name, "http", false)
	e.waitFor(t, h.ID, "active despite bad nonces", 60*time.Second, active)
}

// TestSecondCAWithEAB: ssl.certificate_authority picks a CA of --acme-ca,
// here one that requires External Account Binding (as Google Trust
// Services does), bound through --acme-ca-eab; the default CA sees no
// order.
func TestSecondCAWithEAB(t *testing.T) {
	e := newEnv(t, "sqlite", options{secondCA: true})
	name := "shop.google-customer.com"
	e.pointAtUs(name)
	resp, err := e.api.CreateCustomHostname(context.Background(), e.zone, cf0.CustomHostname{Hostname: name,
		SSL: &cf0.CustomHostnameSSL{Method: "http", Type: "dv", CertificateAuthority: "google"}})
	if err != nil {
		t.Fatal(err)
	}
	h := e.waitFor(t, resp.Result.ID, "active with a certificate", 20*time.Second, active)
	if h.SSL.CertificateAuthority != "google" {
		t.Errorf("certificate_authority %q", h.SSL.CertificateAuthority)
	}
	e.roots = x509.NewCertPool()
	e.roots.AppendCertsFromPEM(e.google.IssuerRootsPEM)
	_, leaf := e.fetch(t, name) // verifies against the second CA's root only
	if leaf.SerialNumber.String() != h.SSL.SerialNumber {
		t.Errorf("served serial %v, API says %s", leaf.SerialNumber, h.SSL.SerialNumber)
	}
	if n, d := e.google.Orders(), e.pebble.Orders(); n != 1 || d != 0 {
		t.Errorf("orders: %d at the second CA (want 1), %d at the default (want 0)", n, d)
	}
}
