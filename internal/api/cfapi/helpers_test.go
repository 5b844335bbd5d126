package cfapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/porticohq/portico/internal/api/cfapi"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/prometheus/client_golang/prometheus"
)

var ctx = context.Background()

var saas = service.ZoneInput{Name: "saasprovider.com", CNAMETarget: "customers.saas-edge.net"}

// server is the real handler over the real service and a SQLite store.
type server struct {
	env   *servicetest.Env
	srv   *httptest.Server
	zone  core.Zone
	token string

	mu     sync.Mutex
	bodies bytes.Buffer // every response body, scanned for secrets at the end
}

func newServer(t *testing.T, configure func(*service.Config)) *server {
	t.Helper()
	env := servicetest.New(t, configure)
	log := slog.New(slog.NewJSONHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(cfapi.New(env.Svc, log, prometheus.NewRegistry()))
	t.Cleanup(srv.Close)
	z, tok := env.Zone(t, saas)
	return &server{env: env, srv: srv, zone: z, token: tok}
}

// reply is a decoded response.
type reply struct {
	Status int
	Header http.Header
	Raw    []byte
	Env    struct {
		Success bool `json:"success"`
		Errors  []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
		Messages   []json.RawMessage `json:"messages"`
		Result     json.RawMessage   `json:"result"`
		ResultInfo *struct {
			Page       int `json:"page"`
			PerPage    int `json:"per_page"`
			Count      int `json:"count"`
			TotalCount int `json:"total_count"`
			TotalPages int `json:"total_pages"`
		} `json:"result_info"`
	}
}

type reqOpt func(*http.Request)

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// noAuth removes the default bearer token.
func noAuth(r *http.Request) { r.Header.Del("Authorization") }

// bearer replaces the default token.
func bearer(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// zonePath is a path under the zone's custom_hostnames.
func (s *server) zonePath(rest string) string {
	return "/client/v4/zones/" + s.zone.ID + "/custom_hostnames" + rest
}

// do sends a request. body is a string (sent as is), nil, or a value to
// marshal. The default credential is the zone's bearer token.
func (s *server) do(t *testing.T, method, path string, body any, opts ...reqOpt) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.bodies.Write(raw)
	s.bodies.WriteByte('\n')
	s.mu.Unlock()
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if err := json.Unmarshal(raw, &r.Env); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, raw)
	}
	return r
}

// ok checks a success reply and decodes its result into v (when not nil).
func (r reply) ok(t *testing.T, status int, v any) {
	t.Helper()
	if r.Status != status || !r.Env.Success {
		t.Fatalf("status %d success %v, want %d:\n%s", r.Status, r.Env.Success, status, r.Raw)
	}
	if !bytes.Contains(r.Raw, []byte(`"errors":[]`)) || !bytes.Contains(r.Raw, []byte(`"messages":[]`)) {
		t.Errorf("errors/messages are not empty arrays: %s", r.Raw)
	}
	if v != nil {
		if err := json.Unmarshal(r.Env.Result, v); err != nil {
			t.Fatalf("decoding result: %v\n%s", err, r.Raw)
		}
	}
}

// fails checks an error reply: the envelope with success false, result
// null, one error with the code and a message, messages [], and
// x-should-retry: false on a 4xx.
func (r reply) fails(t *testing.T, status, code int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d:\n%s", r.Status, status, r.Raw)
	}
	if r.Env.Success || string(r.Env.Result) != "null" || !bytes.Contains(r.Raw, []byte(`"result":null`)) {
		t.Errorf("not a failure envelope: %s", r.Raw)
	}
	if len(r.Env.Errors) != 1 || r.Env.Errors[0].Code != code || r.Env.Errors[0].Message == "" {
		t.Errorf("errors = %+v, want one with code %d:\n%s", r.Env.Errors, code, r.Raw)
	}
	if r.Env.Messages == nil || len(r.Env.Messages) != 0 {
		t.Errorf("messages is not []: %s", r.Raw)
	}
	if status >= 400 && status < 500 {
		if r.Header.Get("x-should-retry") != "false" {
			t.Errorf("no x-should-retry: false on a deterministic %d", status)
		}
	}
}

// hostname is the part of a hostname result the tests read.
type hostname struct {
	ID                    string          `json:"id"`
	Hostname              string          `json:"hostname"`
	Status                string          `json:"status"`
	CreatedAt             string          `json:"created_at"`
	CustomOriginServer    string          `json:"custom_origin_server"`
	CustomOriginSNI       string          `json:"custom_origin_sni"`
	CustomMetadata        json.RawMessage `json:"custom_metadata"`
	VerificationErrors    []string        `json:"verification_errors"`
	OwnershipVerification struct {
		Type, Name, Value string
	} `json:"ownership_verification"`
	OwnershipVerificationHTTP struct {
		HTTPURL  string `json:"http_url"`
		HTTPBody string `json:"http_body"`
	} `json:"ownership_verification_http"`
	SSL struct {
		ID                   string   `json:"id"`
		Type                 string   `json:"type"`
		Method               string   `json:"method"`
		Status               string   `json:"status"`
		Wildcard             bool     `json:"wildcard"`
		CertificateAuthority string   `json:"certificate_authority"`
		BundleMethod         string   `json:"bundle_method"`
		CustomCertificate    string   `json:"custom_certificate"`
		Issuer               string   `json:"issuer"`
		SerialNumber         string   `json:"serial_number"`
		Hosts                []string `json:"hosts"`
		ExpiresOn            string   `json:"expires_on"`
		Settings             struct {
			MinTLSVersion string   `json:"min_tls_version"`
			HTTP2         string   `json:"http2"`
			Ciphers       []string `json:"ciphers"`
		} `json:"settings"`
		ValidationRecords    []json.RawMessage `json:"validation_records"`
		DCVDelegationRecords []struct {
			CNAME       string `json:"cname"`
			CNAMETarget string `json:"cname_target"`
		} `json:"dcv_delegation_records"`
		ValidationErrors []json.RawMessage `json:"validation_errors"`
		Certificates     []struct {
			ID                string `json:"id"`
			Issuer            string `json:"issuer"`
			SerialNumber      string `json:"serial_number"`
			Signature         string `json:"signature"`
			ExpiresOn         string `json:"expires_on"`
			IssuedOn          string `json:"issued_on"`
			FingerprintSHA256 string `json:"fingerprint_sha256"`
		} `json:"certificates"`
	} `json:"ssl"`
}

// create makes a hostname through the API and returns it.
func (s *server) create(t *testing.T, body any) hostname {
	t.Helper()
	var h hostname
	s.do(t, http.MethodPost, s.zonePath(""), body).ok(t, http.StatusCreated, &h)
	return h
}

// snapshot is every hostname of a zone as stored, to show that a refused
// request changed nothing.
func (s *server) snapshot(t *testing.T, zoneID string) []core.Hostname {
	t.Helper()
	l, err := s.env.Svc.ListHostnames(ctx, zoneID, service.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Hostnames
}

func unchanged(t *testing.T, before, after []core.Hostname) {
	t.Helper()
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("a refused request changed the store (-before +after):\n%s", diff)
	}
}
