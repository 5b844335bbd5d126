package cfapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
)

// pssLeaf is a self-signed leaf signed with RSA-PSS, an algorithm
// Cloudflare refuses (1447).
func pssLeaf(t *testing.T, host string, now time.Time) (string, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), SignatureAlgorithm: x509.SHA256WithRSAPSS}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
}

func TestErrorCodes(t *testing.T) {
	s := newServer(t, func(c *service.Config) { c.DCVZone = "dcv.saas-edge.net" })
	existing := s.create(t, `{"hostname":"taken.example-customer.com"}`)
	wild := s.create(t, `{"hostname":"*.wild-customer.com"}`)

	const host = "cert.example-customer.com"
	goodCert, goodKey := s.env.CA.Issue(t, "ecdsa", host)
	_, otherKey := s.env.CA.Issue(t, "ecdsa", host)
	foreignCert, foreignKey := servicetest.NewCA(t, s.env.Clock).Issue(t, "ecdsa", host)
	wrongHostCert, wrongHostKey := s.env.CA.Issue(t, "ecdsa", "else.example-customer.com")
	pssCert, pssKey := pssLeaf(t, host, s.env.Clock.Now())
	caOnly := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.env.CA.Cert.Raw}))
	upload := func(cert, key string, extra ...string) string {
		return `{"hostname":"` + host + `","ssl":{"custom_certificate":` + quote(cert) + `,"custom_key":` + quote(key) + strings.Join(extra, "") + `}}`
	}
	create := func(body string) func() (string, string, string) {
		return func() (string, string, string) { return http.MethodPost, s.zonePath(""), body }
	}
	patch := func(body string) func() (string, string, string) {
		return func() (string, string, string) { return http.MethodPatch, s.zonePath("/" + existing.ID), body }
	}
	get := func(path string) func() (string, string, string) {
		return func() (string, string, string) { return http.MethodGet, path, "" }
	}

	for _, tc := range []struct {
		name         string
		req          func() (method, path, body string)
		status, code int
	}{
		{"bad json", create(`{"hostname":`), 400, 1400},
		{"trailing data", create(`{"hostname":"a.example-customer.com"} {}`), 400, 1400},
		{"wrong type", create(`{"hostname":42}`), 400, 1400},
		{"ssl wrong type", create(`{"hostname":"a.example-customer.com","ssl":{"wildcard":"yes"}}`), 400, 1400},
		{"too large", create(`{"hostname":"a.example-customer.com","x":"` + strings.Repeat("x", 1<<20) + `"}`), 413, 1400},
		{"metadata not an object", create(`{"hostname":"a.example-customer.com","custom_metadata":[1,2]}`), 400, 1401},
		{"metadata too large", create(`{"hostname":"a.example-customer.com","custom_metadata":{"k":"` + strings.Repeat("x", 5000) + `"}}`), 400, 1401},
		{"metadata on wildcard", create(`{"hostname":"*.other-customer.com","custom_metadata":{"a":"b"}}`), 400, 1412},
		{"metadata on wildcard (patch)", func() (string, string, string) {
			return http.MethodPatch, s.zonePath("/" + wild.ID), `{"custom_metadata":{"a":"b"}}`
		}, 400, 1412},
		{"no hostname", create(`{}`), 400, 1407},
		{"trailing dot", create(`{"hostname":"a.example-customer.com."}`), 400, 1407},
		{"url", create(`{"hostname":"https://a.example-customer.com/"}`), 400, 1407},
		{"provider zone", create(`{"hostname":"www.saasprovider.com"}`), 400, 1407},
		{"dcv zone", create(`{"hostname":"x.dcv.saas-edge.net"}`), 400, 1407},
		{"non-ascii", create(`{"hostname":"bücher.de"}`), 400, 1408},
		{"reserved tld", create(`{"hostname":"shop.test"}`), 400, 1409},
		{"public suffix", create(`{"hostname":"co.uk"}`), 400, 1410},
		{"unknown tld", create(`{"hostname":"shop.notatld"}`), 400, 1410},
		{"example domain", create(`{"hostname":"shop.example.com"}`), 400, 1411},
		{"origin invalid", create(`{"hostname":"a.example-customer.com","custom_origin_server":"ftp://origin.saasprovider.com"}`), 400, 1415},
		{"origin non-ascii", create(`{"hostname":"a.example-customer.com","custom_origin_server":"örigin.de"}`), 400, 1416},
		{"origin bad port", create(`{"hostname":"a.example-customer.com","custom_origin_server":"origin.saasprovider.com:99999"}`), 400, 1415},
		{"origin wildcard", patch(`{"custom_origin_server":"*.saasprovider.com"}`), 400, 1420},
		{"sni invalid", patch(`{"custom_origin_sni":"bad sni"}`), 400, 1415},
		{"http2", create(`{"hostname":"a.example-customer.com","ssl":{"settings":{"http2":"yes"}}}`), 400, 1422},
		{"tls_1_3", create(`{"hostname":"a.example-customer.com","ssl":{"settings":{"tls_1_3":"1"}}}`), 400, 1424},
		{"min_tls_version", create(`{"hostname":"a.example-customer.com","ssl":{"settings":{"min_tls_version":"1.5"}}}`), 400, 1425},
		{"ciphers", patch(`{"ssl":{"settings":{"ciphers":["RC4-SHA"]}}}`), 400, 1442},
		{"ciphers at tls 1.3", create(`{"hostname":"a.example-customer.com","ssl":{"settings":{"min_tls_version":"1.3","ciphers":["AES128-SHA"]}}}`), 400, 1443},
		{"cert unparseable", create(upload("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", goodKey)), 400, 1426},
		{"cert empty", create(upload("", goodKey)), 400, 1427},
		{"key unparseable", create(upload(goodCert, "not a key")), 400, 1428},
		{"key mismatch", create(upload(goodCert, otherKey)), 400, 1429},
		{"untrusted chain", create(upload(foreignCert, foreignKey)), 400, 1441},
		{"multiple leaves", create(upload(goodCert+wrongHostCert, goodKey)), 400, 1444},
		{"no leaf", create(upload(caOnly, goodKey)), 400, 1445},
		{"cert for another host", create(upload(wrongHostCert, wrongHostKey)), 400, 1446},
		{"signature rsa-pss", create(upload(pssCert, pssKey)), 400, 1447},
		{"bundle method", create(upload(goodCert, goodKey, `,"bundle_method":"best"`)), 400, 1449},
		{"single and bundle", create(`{"hostname":"a.example-customer.com","ssl":{"custom_certificate":"x","custom_key":"y","custom_cert_bundle":[{"custom_certificate":"x","custom_key":"y"}]}}`), 400, 1434},
		{"custom csr", create(`{"hostname":"a.example-customer.com","ssl":{"custom_csr_id":"7b163417-1d2b-4c84-a38a-2fb7a0cd7752"}}`), 400, 1430},
		{"method email", create(`{"hostname":"a.example-customer.com","ssl":{"method":"email","type":"dv"}}`), 400, 1432},
		{"method cname", patch(`{"ssl":{"method":"cname","type":"dv"}}`), 400, 1432},
		{"type", create(`{"hostname":"a.example-customer.com","ssl":{"method":"http","type":"ov"}}`), 400, 1433},
		{"certificate authority", create(`{"hostname":"a.example-customer.com","ssl":{"certificate_authority":"verisign"}}`), 400, 1434},
		{"wildcard over http", create(`{"hostname":"a.example-customer.com","ssl":{"method":"http","wildcard":true}}`), 400, 1448},
		{"wildcard name over http", create(`{"hostname":"*.new-customer.com","ssl":{"method":"http"}}`), 400, 1448},
		{"bad id", get(s.zonePath("/not-an-id")), 400, 1435},
		{"bad id (delete)", func() (string, string, string) { return http.MethodDelete, s.zonePath("/12345"), "" }, 400, 1435},
		{"unknown id", get(s.zonePath("/0d89c70d-ad9f-4843-b99f-6cc0252067e9")), 404, 1436},
		{"unknown 32-hex id", get(s.zonePath("/023e105f4ecef8ad9ca31a8372d0c353")), 404, 1436},
		{"unknown id (patch)", func() (string, string, string) {
			return http.MethodPatch, s.zonePath("/0d89c70d-ad9f-4843-b99f-6cc0252067e9"), `{"custom_origin_server":"o.saasprovider.com"}`
		}, 404, 1436},
		{"bad id filter", get(s.zonePath("?id=abc")), 400, 1435},
		{"id with other filters", get(s.zonePath("?id=" + existing.ID + "&hostname=taken.example-customer.com")), 400, 1438},
		{"id with ssl filter", get(s.zonePath("?id=" + existing.ID + "&ssl=1")), 400, 1438},
		{"bad hostname.contain", get(s.zonePath("?hostname.contain=a%20b")), 400, 1437},
		{"two hostname filters", get(s.zonePath("?hostname=a.example-customer.com&hostname.contain=a")), 400, 1434},
		{"unknown order", get(s.zonePath("?order=size")), 400, 1434},
		{"bad direction", get(s.zonePath("?direction=up")), 400, 1434},
		{"bad ssl filter", get(s.zonePath("?ssl=2")), 400, 1434},
		{"bad ssl_status", get(s.zonePath("?ssl_status=bogus")), 400, 1434},
		{"bad page", get(s.zonePath("?page=one")), 400, 1434},
		{"rename", patch(`{"hostname":"renamed.example-customer.com"}`), 409, 1439},
		{"duplicate", create(`{"hostname":"TAKEN.example-customer.com"}`), 409, 1406},
		{"fallback not found", get(s.zonePath("/fallback_origin")), 404, 1551},
		{"fallback invalid", func() (string, string, string) {
			return http.MethodPut, s.zonePath("/fallback_origin"), `{"origin":"not an origin"}`
		}, 400, 1415},
		{"fallback empty", func() (string, string, string) { return http.MethodPut, s.zonePath("/fallback_origin"), `{}` }, 400, 1415},
		{"zone of nobody", get("/client/v4/zones/" + strings.Repeat("ab", 16) + "/custom_hostnames"), 404, 7003},
		{"no route", get("/client/v4/zones/" + s.zone.ID + "/dns_records"), 404, 7000},
		{"no route at all", get("/client/v4/"), 404, 7000},
		{"method not allowed", func() (string, string, string) { return http.MethodPut, s.zonePath(""), `{}` }, 405, 7001},
		// Reserved segments never reach the {id} route.
		{"patch fallback_origin", func() (string, string, string) { return http.MethodPatch, s.zonePath("/fallback_origin"), `{}` }, 405, 7001},
		{"post quota", func() (string, string, string) { return http.MethodPost, s.zonePath("/quota"), `{}` }, 405, 7001},
		{"delete quota", func() (string, string, string) { return http.MethodDelete, s.zonePath("/quota"), "" }, 405, 7001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.snapshot(t, s.zone.ID)
			method, path, body := tc.req()
			var b any
			if body != "" {
				b = body
			}
			r := s.do(t, method, path, b)
			r.fails(t, tc.status, tc.code)
			if strings.Contains(r.Env.Errors[0].Message, "internal") {
				t.Errorf("message %q", r.Env.Errors[0].Message)
			}
			unchanged(t, before, s.snapshot(t, s.zone.ID))
		})
	}
	if _, err := s.env.Svc.GetFallbackOrigin(ctx, s.zone.ID); err == nil {
		t.Error("a refused fallback origin was stored")
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestQuotaRoute(t *testing.T) {
	s := newServer(t, func(c *service.Config) { c.QuotaPerZone = 1 })
	var q struct {
		Allocated, Used, HardCap int
		Exceeded                 bool
	}
	decode := func(r reply) {
		t.Helper()
		r.ok(t, http.StatusOK, nil)
		var raw struct {
			Allocated int  `json:"allocated"`
			Used      int  `json:"used"`
			Exceeded  bool `json:"exceeded"`
			HardCap   int  `json:"hard_cap"`
		}
		r.ok(t, http.StatusOK, &raw)
		q.Allocated, q.Used, q.Exceeded, q.HardCap = raw.Allocated, raw.Used, raw.Exceeded, raw.HardCap
	}
	decode(s.do(t, http.MethodGet, s.zonePath("/quota"), nil))
	if q.Allocated != 1 || q.Used != 0 || q.Exceeded || q.HardCap != 1 {
		t.Errorf("quota %+v", q)
	}
	s.create(t, `{"hostname":"one.example-customer.com"}`)
	before := s.snapshot(t, s.zone.ID)
	s.do(t, http.MethodPost, s.zonePath(""), `{"hostname":"two.example-customer.com"}`).fails(t, http.StatusForbidden, 1405)
	unchanged(t, before, s.snapshot(t, s.zone.ID))
	decode(s.do(t, http.MethodGet, s.zonePath("/quota"), nil))
	if q.Used != 1 || !q.Exceeded {
		t.Errorf("quota %+v", q)
	}

	u := newServer(t, nil)
	decode(u.do(t, http.MethodGet, u.zonePath("/quota"), nil))
	if q.Exceeded || q.Allocated < 1<<30 {
		t.Errorf("unlimited quota %+v", q)
	}
}

func TestInternalErrorsAreGeneric(t *testing.T) {
	s := newServer(t, nil)
	h := s.create(t, `{"hostname":"a.example-customer.com"}`)
	// Authentication needs the store too, so break it only for hostnames:
	// deleting the zone's rows out from under the service is not possible
	// through the API, so close the store and expect a 500 on any route.
	if err := s.env.Store.Close(); err != nil {
		t.Fatal(err)
	}
	r := s.do(t, http.MethodGet, s.zonePath("/"+h.ID), nil)
	r.fails(t, http.StatusInternalServerError, 1500)
	if r.Header.Get("x-should-retry") == "false" {
		t.Error("an internal error says not to retry")
	}
	id := r.Header.Get("X-Request-Id")
	if strings.Contains(string(r.Raw), "sql") || strings.Contains(string(r.Raw), "closed") {
		t.Errorf("the private cause leaked: %s", r.Raw)
	}
	logged := s.env.Logs.Records(map[string]string{"msg": "request failed", "request_id": id})
	if len(logged) != 1 || !strings.Contains(logged[0]["err"].(string), "closed") {
		t.Errorf("internal error log lines for %s: %v", id, logged)
	}
}
