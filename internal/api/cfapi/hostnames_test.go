package cfapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/porticohq/portico/internal/apitoken"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/testkit/secretscan"
)

var (
	uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	timeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
)

func TestHostnameLifecycle(t *testing.T) {
	s := newServer(t, func(c *service.Config) { c.DCVZone = "dcv.saas-edge.net" })

	// The v0 client's minimal create: empty objects everywhere.
	h := s.create(t, `{"hostname":"App.Example-Customer.com","ssl":{"method":"http","type":"dv","settings":{}},"ownership_verification":{},"ownership_verification_http":{}}`)
	if !uuidRE.MatchString(h.ID) || !uuidRE.MatchString(h.SSL.ID) || h.Hostname != "app.example-customer.com" || h.Status != "pending" {
		t.Errorf("created %+v", h)
	}
	if !timeRE.MatchString(h.CreatedAt) || h.CreatedAt != "2026-03-14T15:09:26.535897Z" {
		t.Errorf("created_at %q", h.CreatedAt)
	}
	if h.OwnershipVerification.Type != "txt" || h.OwnershipVerification.Name != "_cf-custom-hostname.app.example-customer.com" ||
		len(h.OwnershipVerification.Value) != 36 || h.OwnershipVerificationHTTP.HTTPBody != h.OwnershipVerification.Value ||
		h.OwnershipVerificationHTTP.HTTPURL != "http://app.example-customer.com/.well-known/cf-custom-hostname-challenge/"+h.ID {
		t.Errorf("ownership verification %+v / %+v", h.OwnershipVerification, h.OwnershipVerificationHTTP)
	}
	if h.SSL.Type != "dv" || h.SSL.Method != "http" || h.SSL.Status != "initializing" || h.SSL.BundleMethod != "ubiquitous" ||
		h.SSL.ValidationRecords == nil || h.SSL.ValidationErrors == nil || h.SSL.Certificates == nil || h.VerificationErrors == nil {
		t.Errorf("ssl %+v, verification_errors %v", h.SSL, h.VerificationErrors)
	}
	if len(h.SSL.DCVDelegationRecords) != 1 || h.SSL.DCVDelegationRecords[0].CNAME != "_acme-challenge.app.example-customer.com" ||
		!strings.HasSuffix(h.SSL.DCVDelegationRecords[0].CNAMETarget, ".dcv.saas-edge.net") {
		t.Errorf("dcv_delegation_records %+v", h.SSL.DCVDelegationRecords)
	}

	var got hostname
	s.do(t, http.MethodGet, s.zonePath("/"+h.ID), nil).ok(t, http.StatusOK, &got)
	if got.ID != h.ID || got.OwnershipVerification != h.OwnershipVerification || got.CreatedAt != h.CreatedAt {
		t.Errorf("GET %+v differs from POST %+v", got, h)
	}
	// 32-hex and upper-case spellings of the id find it too.
	s.do(t, http.MethodGet, s.zonePath("/"+strings.ToUpper(h.ID)), nil).ok(t, http.StatusOK, nil)
	s.do(t, http.MethodGet, s.zonePath("/"+strings.ReplaceAll(h.ID, "-", "")), nil).ok(t, http.StatusOK, nil)

	// v6's PATCH example, then v0's "same ssl" refresh.
	var edited hostname
	s.do(t, http.MethodPatch, s.zonePath("/"+h.ID),
		`{"custom_metadata":{"a":"b"},"custom_origin_server":"origin.saasprovider.com","custom_origin_sni":":request_host_header:"}`).
		ok(t, http.StatusAccepted, &edited)
	if edited.CustomOriginServer != "origin.saasprovider.com" || edited.CustomOriginSNI != ":request_host_header:" || string(edited.CustomMetadata) != `{"a":"b"}` {
		t.Errorf("edited %+v", edited)
	}
	s.env.Hooks.Take()
	if err := s.env.Svc.SetSSLStatus(ctx, s.zone.ID, h.ID, core.SSLInitializing, core.SSLPendingValidation); err != nil {
		t.Fatal(err)
	}
	s.do(t, http.MethodPatch, s.zonePath("/"+h.ID), `{"ssl":{"method":"http","type":"dv","settings":{}},"ownership_verification":{},"ownership_verification_http":{}}`).
		ok(t, http.StatusAccepted, &edited)
	if edited.SSL.Status != "initializing" || edited.CustomOriginServer != "origin.saasprovider.com" {
		t.Errorf("refresh gave ssl %s, origin %q", edited.SSL.Status, edited.CustomOriginServer)
	}
	if calls := s.env.Hooks.Take(); len(calls) != 2 || calls[1] != "revalidate "+h.ID {
		t.Errorf("hooks %v", calls)
	}

	// DELETE: bare id and envelope in one body.
	r := s.do(t, http.MethodDelete, s.zonePath("/"+h.ID), nil)
	if id := r.Header.Get("X-Request-Id"); id == "" || r.Header.Get("Cf-Ray") != id {
		t.Errorf("cf-ray %q, request id %q", r.Header.Get("Cf-Ray"), id)
	}
	want := `{"id":"` + h.ID + `","success":true,"errors":[],"messages":[],"result":{"id":"` + h.ID + `"}}`
	if r.Status != http.StatusOK || strings.TrimSpace(string(r.Raw)) != want {
		t.Errorf("delete: %d %s, want %s", r.Status, r.Raw, want)
	}
	s.do(t, http.MethodGet, s.zonePath("/"+h.ID), nil).fails(t, http.StatusNotFound, 1436)
	s.do(t, http.MethodDelete, s.zonePath("/"+h.ID), nil).fails(t, http.StatusNotFound, 1436)
}

func TestRacingCreatesMakeOneHostname(t *testing.T) {
	s := newServer(t, nil)
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.do(t, http.MethodPost, s.zonePath(""), `{"hostname":"race.example-customer.com"}`)
			if r.Status == http.StatusConflict {
				r.fails(t, http.StatusConflict, 1406)
			}
			codes <- r.Status
		}()
	}
	wg.Wait()
	close(codes)
	created := 0
	for c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", c)
		}
	}
	if created != 1 || len(s.snapshot(t, s.zone.ID)) != 1 {
		t.Errorf("%d creates succeeded", created)
	}
}

func TestCreateAcceptsClientShapes(t *testing.T) {
	s := newServer(t, nil)
	// v0 full create: custom origin on create, non-string metadata,
	// deprecated ssl fields, read-only echoes.
	h := s.create(t, `{"hostname":"full.example-customer.com","custom_origin_server":"origin.saasprovider.com","custom_origin_sni":"sni.saasprovider.com",
		"ssl":{"method":"txt","type":"dv","wildcard":false,"certificate_authority":"lets_encrypt","bundle_method":"ubiquitous",
		       "settings":{"http2":"on","min_tls_version":"1.2","ciphers":["ECDHE-RSA-AES128-GCM-SHA256","AES128-SHA"],"http3":"on"},
		       "cname":"","cname_target":"x","txt_name":"y","http_url":"","emails":["a@b.c"],"certificates":[{"id":"x"}],"http3":"on","cloudflare_branding":false},
		"custom_metadata":{"customer_id":"12345","n":1,"nested":{"ok":true}},
		"ownership_verification":{},"ownership_verification_http":{},"status":"active","id":"mine","created_at":"2000-01-01T00:00:00Z"}`)
	if h.CustomOriginServer != "origin.saasprovider.com" || h.CustomOriginSNI != "sni.saasprovider.com" || h.SSL.Method != "txt" ||
		h.SSL.CertificateAuthority != "lets_encrypt" || h.SSL.Settings.MinTLSVersion != "1.2" || len(h.SSL.Settings.Ciphers) != 2 ||
		h.Status != "pending" || h.ID == "mine" {
		t.Errorf("full create %+v", h)
	}
	var md map[string]any
	if err := json.Unmarshal(h.CustomMetadata, &md); err != nil || md["n"] != float64(1) {
		t.Errorf("metadata %s", h.CustomMetadata)
	}
	// v6 create (sorted keys) and a create without ssl at all.
	if h := s.create(t, map[string]any{"hostname": "v6.example-customer.com", "ssl": map[string]any{"method": "http", "type": "dv"}}); h.SSL.Method != "http" {
		t.Errorf("v6 create %+v", h)
	}
	if h := s.create(t, `{"hostname":"bare.example-customer.com"}`); h.SSL.Status != "initializing" || h.SSL.Method != "http" {
		t.Errorf("bare create %+v", h)
	}
	// PATCH with only empty objects changes nothing and still succeeds.
	var same hostname
	s.do(t, http.MethodPatch, s.zonePath("/"+h.ID), `{"ownership_verification":{},"ownership_verification_http":{},"ssl":{"settings":{}}}`).ok(t, http.StatusAccepted, &same)
	if same.SSL.Method != "txt" || same.CustomOriginServer != h.CustomOriginServer {
		t.Errorf("empty patch changed %+v", same)
	}
}

func TestAuthSchemes(t *testing.T) {
	s := newServer(t, nil)
	path := s.zonePath("")
	for name, opts := range map[string][]reqOpt{
		"bearer":           nil,
		"bearer lowercase": {header("Authorization", "bearer "+s.token)},
		"email and key":    {noAuth, header("X-Auth-Email", "user@example.com"), header("X-Auth-Key", s.token)},
		"service key":      {noAuth, header("X-Auth-User-Service-Key", s.token)},
	} {
		t.Run(name, func(t *testing.T) {
			s.do(t, http.MethodGet, path, nil, opts...).ok(t, http.StatusOK, nil)
		})
	}
	fresh, _, _ := apitoken.New()
	for name, tc := range map[string]struct {
		opts         []reqOpt
		status, code int
	}{
		"none":                {[]reqOpt{noAuth}, http.StatusBadRequest, 1403},
		"email without key":   {[]reqOpt{noAuth, header("X-Auth-Email", "user@example.com")}, http.StatusBadRequest, 1403},
		"unknown token":       {[]reqOpt{bearer(fresh)}, http.StatusUnauthorized, 1000},
		"garbage token":       {[]reqOpt{bearer("hello")}, http.StatusUnauthorized, 1000},
		"basic scheme":        {[]reqOpt{header("Authorization", "Basic "+s.token)}, http.StatusUnauthorized, 1000},
		"wrong key":           {[]reqOpt{noAuth, header("X-Auth-Email", "a@b.c"), header("X-Auth-Key", fresh)}, http.StatusUnauthorized, 1000},
		"wrong service key":   {[]reqOpt{noAuth, header("X-Auth-User-Service-Key", "v1.0-abc")}, http.StatusUnauthorized, 1000},
		"token of other zone": {[]reqOpt{bearer(s.otherZoneToken(t))}, http.StatusNotFound, 7003},
	} {
		t.Run(name, func(t *testing.T) {
			s.do(t, http.MethodGet, path, nil, tc.opts...).fails(t, tc.status, tc.code)
			s.do(t, http.MethodPost, path, `{"hostname":"x.example-customer.com"}`, tc.opts...).fails(t, tc.status, tc.code)
		})
	}
	if len(s.snapshot(t, s.zone.ID)) != 0 {
		t.Error("an unauthenticated create was stored")
	}
	if m := regexp.MustCompile(apitoken.Pattern).FindString(s.env.Logs.String()); m != "" {
		t.Error("a token was logged")
	}
}

func fingerprint(t *testing.T, certPEM string) string {
	t.Helper()
	b, _ := pem.Decode([]byte(certPEM))
	if b == nil {
		t.Fatal("no PEM")
	}
	sum := sha256.Sum256(b.Bytes)
	return hex.EncodeToString(sum[:])
}

// otherZoneToken creates a second zone and returns its token.
func (s *server) otherZoneToken(t *testing.T) string {
	t.Helper()
	_, tok := s.env.Zone(t, service.ZoneInput{Name: "other-saas-" + strings.ToLower(t.Name()[len(t.Name())-4:]) + ".com", CNAMETarget: "edge.other-saas.net"})
	return tok
}

func TestCertificateRoutes(t *testing.T) {
	s := newServer(t, nil)
	const host = "tls.example-customer.com"
	rsaCert, rsaKey := s.env.CA.Issue(t, "rsa", host)
	ecCert, ecKey := s.env.CA.Issue(t, "ecdsa", host)
	h := s.create(t, map[string]any{"hostname": host, "ssl": map[string]any{
		"custom_cert_bundle": []map[string]string{{"custom_certificate": rsaCert, "custom_key": rsaKey}, {"custom_certificate": ecCert, "custom_key": ecKey}},
		"settings":           map[string]any{},
	}})
	if h.SSL.Status != "active" || len(h.SSL.Certificates) != 2 || h.SSL.Issuer == "" || h.SSL.SerialNumber == "" ||
		!strings.Contains(h.SSL.CustomCertificate, "BEGIN CERTIFICATE") || len(h.SSL.Hosts) != 1 || !timeRE.MatchString(h.SSL.ExpiresOn) {
		t.Fatalf("uploaded bundle: %+v", h.SSL)
	}
	for _, c := range h.SSL.Certificates {
		if c.ID == "" || c.FingerprintSHA256 == "" || c.Signature == "" || !timeRE.MatchString(c.IssuedOn) {
			t.Errorf("certificate %+v", c)
		}
	}
	certPath := func(certID string) string {
		return s.zonePath("/" + h.ID + "/certificate_pack/" + h.SSL.ID + "/certificates/" + certID)
	}
	newCert, newKey := s.env.CA.Issue(t, "ecdsa", host)
	var ecID string
	for _, c := range h.SSL.Certificates {
		if c.FingerprintSHA256 == fingerprint(t, ecCert) {
			ecID = c.ID
		}
	}
	var replaced hostname
	s.do(t, http.MethodPut, certPath(ecID), map[string]string{"custom_certificate": newCert, "custom_key": newKey}).ok(t, http.StatusOK, &replaced)
	if replaced.ID != h.ID || len(replaced.SSL.Certificates) != 2 {
		t.Errorf("replace gave %+v", replaced.SSL.Certificates)
	}
	for _, c := range replaced.SSL.Certificates {
		if c.ID == ecID && c.FingerprintSHA256 != fingerprint(t, newCert) {
			t.Errorf("certificate %s was not replaced", ecID)
		}
	}
	// Delete one of the two: hybrid body.
	id := replaced.SSL.Certificates[1].ID
	r := s.do(t, http.MethodDelete, certPath(id), nil)
	want := `{"id":"` + id + `","success":true,"errors":[],"messages":[],"result":{"id":"` + id + `"}}`
	if r.Status != http.StatusOK || strings.TrimSpace(string(r.Raw)) != want {
		t.Errorf("delete: %d %s", r.Status, r.Raw)
	}
	last := replaced.SSL.Certificates[0].ID
	before := s.snapshot(t, s.zone.ID)
	s.do(t, http.MethodDelete, certPath(last), nil).fails(t, http.StatusBadRequest, 1434)
	s.do(t, http.MethodDelete, certPath(id), nil).fails(t, http.StatusNotFound, 1436)
	s.do(t, http.MethodPut, s.zonePath("/"+h.ID+"/certificate_pack/"+h.ID+"/certificates/"+last), map[string]string{"custom_certificate": newCert, "custom_key": newKey}).
		fails(t, http.StatusNotFound, 1436)
	s.do(t, http.MethodPut, certPath(last), map[string]string{"custom_certificate": newCert, "custom_key": rsaKey}).fails(t, http.StatusBadRequest, 1429)
	s.do(t, http.MethodPut, certPath("nope"), map[string]string{}).fails(t, http.StatusBadRequest, 1435)
	unchanged(t, before, s.snapshot(t, s.zone.ID))

	// No response ever carried a private key, and custom_key never appears.
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := secretscan.Find(s.bodies.Bytes()); len(f) > 0 {
		t.Errorf("key material in responses: %v", f)
	}
	if strings.Contains(s.bodies.String(), "custom_key") {
		t.Error("a response has a custom_key field")
	}
	if f := secretscan.Find([]byte(s.env.Logs.String())); len(f) > 0 {
		t.Errorf("key material in logs: %v", f)
	}
}
