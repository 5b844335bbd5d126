package webhookapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/porticohq/portico/internal/api/webhookapi"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/service/servicetest"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/testkit/secretscan"
	"github.com/porticohq/portico/internal/webhook"
)

// server is the real handler over the real service, webhook package and a
// SQLite store; the dispatcher queues events but is never run.
type server struct {
	env   *servicetest.Env
	srv   *httptest.Server
	disp  *webhook.Dispatcher
	zone  core.Zone
	token string

	mu     sync.Mutex
	bodies bytes.Buffer // every response body but the creates', scanned for secrets
}

func newServer(t *testing.T) *server {
	t.Helper()
	env := servicetest.New(t, nil)
	st := env.Store.(store.Webhooks)
	eps := webhook.NewEndpoints(webhook.EndpointsConfig{}, st, env.Box, env.Clock)
	disp, err := webhook.NewDispatcher(webhook.DispatcherConfig{}, webhook.DispatcherDeps{Store: st, Box: env.Box, Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	env.Svc.AddEventSink(disp)
	log := slog.New(slog.NewJSONHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	h := webhookapi.New(env.Svc, eps, log, prometheus.NewRegistry())
	mux.Handle(webhookapi.Prefix, h)
	mux.Handle(webhookapi.Prefix+"/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	z, tok := env.Zone(t, service.ZoneInput{Name: "saasprovider.com", CNAMETarget: "customers.saas-edge.net"})
	return &server{env: env, srv: srv, disp: disp, zone: z, token: tok}
}

type reply struct {
	Status int
	Header http.Header
	Raw    []byte
}

// do sends a request with the zone's token (unless auth says otherwise:
// "" sends none) and checks the reply is JSON.
func (s *server) do(t *testing.T, method, path string, body any, auth ...string) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	tok := "Bearer " + s.token
	if len(auth) > 0 {
		tok = auth[0]
	}
	if tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" || !json.Valid(raw) {
		t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, raw)
	}
	if !(method == http.MethodPost && resp.StatusCode == http.StatusCreated && strings.HasSuffix(path, "/webhooks")) {
		s.mu.Lock()
		s.bodies.Write(raw)
		s.mu.Unlock()
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
}

func (r reply) ok(t *testing.T, status int, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if v != nil {
		if err := json.Unmarshal(r.Raw, v); err != nil {
			t.Fatalf("decoding %s: %v", r.Raw, err)
		}
	}
}

// fails checks an error reply: the status and {"message": "..."} alone.
func (r reply) fails(t *testing.T, status int, contains string) {
	t.Helper()
	var body map[string]any
	_ = json.Unmarshal(r.Raw, &body)
	msg, _ := body["message"].(string)
	if r.Status != status || len(body) != 1 || msg == "" || !strings.Contains(msg, contains) {
		t.Fatalf("status %d body %s; want %d with a message containing %q", r.Status, r.Raw, status, contains)
	}
}

func (s *server) path(rest string) string {
	return "/api/v1/accounts/" + s.zone.ID + "/webhooks" + rest
}

type webhookJSON struct {
	UUID        string   `json:"uuid"`
	AccountUUID string   `json:"account_uuid"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	CreatedAt   string   `json:"created_at"`
	Secret      *string  `json:"secret"`
}

type deliveryJSON struct {
	UUID             string          `json:"uuid"`
	WebhookUUID      string          `json:"webhook_uuid"`
	EventID          string          `json:"event_id"`
	EventType        string          `json:"event_type"`
	Status           string          `json:"status"`
	Attempts         int             `json:"attempts"`
	LastResponseCode *int            `json:"last_response_code"`
	NextAttemptAt    *string         `json:"next_attempt_at"`
	ReplayOf         *string         `json:"replay_of"`
	CreatedAt        string          `json:"created_at"`
	Payload          json.RawMessage `json:"payload"`
}

func (s *server) createWebhook(t *testing.T, body any) webhookJSON {
	t.Helper()
	var w webhookJSON
	s.do(t, http.MethodPost, s.path(""), body).ok(t, http.StatusCreated, &w)
	return w
}

func TestWebhookLifecycle(t *testing.T) {
	s := newServer(t)
	created := s.createWebhook(t, map[string]any{"url": "https://Hooks.Example.com/portico", "description": "ops",
		"events": []string{"hostname.verified", "hostname.created"}, "unknown_key": 1})
	if created.Secret == nil || !regexp.MustCompile(`^`+webhook.SecretPattern+`$`).MatchString(*created.Secret) {
		t.Fatalf("create reply lacks the secret: %+v", created)
	}
	want := webhookJSON{UUID: created.UUID, AccountUUID: s.zone.ID, URL: "https://hooks.example.com/portico",
		Events: []string{"hostname.created", "hostname.verified"}, Description: "ops", CreatedAt: "2026-03-14T15:09:26.535Z"}
	got := created
	got.Secret = nil
	if !equalJSON(want, got) {
		t.Errorf("created %+v, want %+v", got, want)
	}
	var fetched webhookJSON
	s.do(t, http.MethodGet, s.path("/"+strings.ToUpper(created.UUID)), nil).ok(t, http.StatusOK, &fetched)
	if fetched.Secret != nil || !equalJSON(want, fetched) {
		t.Errorf("GET %+v, want %+v without the secret", fetched, want)
	}
	s.env.Clock.Advance(time.Second)
	all := s.createWebhook(t, map[string]any{"url": "https://all.example.com/"})
	if !equalJSON([]string{"*"}, all.Events) {
		t.Errorf("an endpoint for every event shows events %v", all.Events)
	}
	var list struct{ Data []webhookJSON }
	s.do(t, http.MethodGet, s.path(""), nil).ok(t, http.StatusOK, &list)
	if len(list.Data) != 2 || list.Data[0].UUID != created.UUID || list.Data[0].Secret != nil {
		t.Errorf("list %+v", list)
	}

	// Events queue deliveries, which the log shows.
	h, err := s.env.Svc.CreateHostname(t.Context(), s.zone.ID, service.HostnameInput{Hostname: "shop.example-customer.com"})
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Data       []deliveryJSON
		Pagination struct {
			Page    int `json:"page"`
			PerPage int `json:"per_page"`
			Count   int `json:"count"`
		} `json:"pagination"`
	}
	s.do(t, http.MethodGet, s.path("/"+created.UUID+"/deliveries"), nil).ok(t, http.StatusOK, &page)
	if len(page.Data) != 1 || page.Pagination.Count != 1 || page.Pagination.Page != 1 || page.Pagination.PerPage != 20 {
		t.Fatalf("deliveries %+v", page)
	}
	d := page.Data[0]
	if d.EventType != "hostname.created" || d.Status != "pending" || d.Attempts != 0 || d.WebhookUUID != created.UUID ||
		d.LastResponseCode != nil || d.NextAttemptAt == nil || d.Payload != nil {
		t.Errorf("delivery %+v", d)
	}
	var one deliveryJSON
	s.do(t, http.MethodGet, s.path("/"+created.UUID+"/deliveries/"+d.UUID), nil).ok(t, http.StatusOK, &one)
	var msg webhook.Message
	if err := json.Unmarshal(one.Payload, &msg); err != nil || msg.Data.HostnameID != h.ID || msg.Type != "hostname.created" {
		t.Errorf("payload %s (%v)", one.Payload, err)
	}

	var replayed deliveryJSON
	s.do(t, http.MethodPost, s.path("/"+created.UUID+"/deliveries/"+d.UUID+"/replay"), nil).ok(t, http.StatusCreated, &replayed)
	if replayed.ReplayOf == nil || *replayed.ReplayOf != d.UUID || replayed.EventID != d.EventID || replayed.UUID == d.UUID {
		t.Errorf("replay %+v of %+v", replayed, d)
	}
	s.do(t, http.MethodGet, s.path("/"+created.UUID+"/deliveries?per_page=1&page=2"), nil).ok(t, http.StatusOK, &page)
	if len(page.Data) != 1 || page.Pagination.Count != 2 || page.Pagination.Page != 2 || page.Pagination.PerPage != 1 {
		t.Errorf("page 2: %+v", page)
	}
	s.do(t, http.MethodGet, s.path("/"+created.UUID+"/deliveries?status=succeeded"), nil).ok(t, http.StatusOK, &page)
	if len(page.Data) != 0 || page.Data == nil || page.Pagination.Count != 0 {
		t.Errorf("succeeded: %+v", page)
	}

	var del map[string]string
	s.do(t, http.MethodDelete, s.path("/"+created.UUID), nil).ok(t, http.StatusOK, &del)
	if del["message"] != "Webhook "+created.UUID+" deleted." {
		t.Errorf("delete reply %v", del)
	}
	s.do(t, http.MethodGet, s.path("/"+created.UUID), nil).fails(t, http.StatusNotFound, "not found")
	s.do(t, http.MethodGet, s.path("/"+created.UUID+"/deliveries"), nil).fails(t, http.StatusNotFound, "not found")

	// No response but the creates' holds a secret, nor does any log.
	if found := secretscan.Find(s.bodies.Bytes()); len(found) > 0 {
		t.Errorf("secrets in responses: %v", found)
	}
	if found := secretscan.Find([]byte(s.env.Logs.String())); len(found) > 0 {
		t.Errorf("secrets in logs: %v", found)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestRefusals(t *testing.T) {
	s := newServer(t)
	wh := s.createWebhook(t, map[string]any{"url": "https://hooks.example.com/"})
	tests := []struct {
		name         string
		method, path string
		body         any
		auth         []string
		status       int
		contains     string
	}{
		{"no token", http.MethodGet, s.path(""), nil, []string{""}, 401, "Bearer"},
		{"basic auth", http.MethodGet, s.path(""), nil, []string{"Basic dXNlcjpwYXNz"}, 401, "Bearer"},
		{"bad token", http.MethodGet, s.path(""), nil, []string{"Bearer ptk_nope"}, 401, "Invalid API token"},
		{"bad JSON", http.MethodPost, s.path(""), `{"url":`, nil, 400, "JSON"},
		{"wrong type", http.MethodPost, s.path(""), `{"url": "https://a.example.com/", "events": "hostname.created"}`, nil, 400, "events"},
		{"no url", http.MethodPost, s.path(""), `{}`, nil, 400, "url is required"},
		{"http url", http.MethodPost, s.path(""), map[string]any{"url": "http://hooks.example.com/"}, nil, 400, "https"},
		{"private url", http.MethodPost, s.path(""), map[string]any{"url": "https://192.168.0.10/"}, nil, 400, "private"},
		{"metadata url", http.MethodPost, s.path(""), map[string]any{"url": "https://169.254.169.254/"}, nil, 400, "link-local"},
		{"credentials", http.MethodPost, s.path(""), map[string]any{"url": "https://u:p@hooks.example.com/"}, nil, 400, "credentials"},
		{"unknown event", http.MethodPost, s.path(""), map[string]any{"url": "https://a.example.com/", "events": []string{"x"}}, nil, 400, "unknown event type"},
		{"bad page", http.MethodGet, s.path("/" + wh.UUID + "/deliveries?page=0"), nil, nil, 400, "page"},
		{"bad per_page", http.MethodGet, s.path("/" + wh.UUID + "/deliveries?per_page=x"), nil, nil, 400, "per_page"},
		{"bad status", http.MethodGet, s.path("/" + wh.UUID + "/deliveries?status=lost"), nil, nil, 400, "status"},
		{"unknown webhook", http.MethodGet, s.path("/" + ident.UUID()), nil, nil, 404, "not found"},
		{"garbage id", http.MethodDelete, s.path("/%27%20OR%201=1--"), nil, nil, 404, "not found"},
		{"unknown delivery", http.MethodPost, s.path("/" + wh.UUID + "/deliveries/" + ident.UUID() + "/replay"), nil, nil, 404, "not found"},
		{"method", http.MethodPatch, s.path("/" + wh.UUID), nil, nil, 405, "DELETE, GET"},
		{"no route", http.MethodGet, s.path("/" + wh.UUID + "/secrets"), nil, nil, 404, "No route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(t, tt.method, tt.path, tt.body, tt.auth...)
			r.fails(t, tt.status, tt.contains)
			if tt.status == 405 && r.Header.Get("Allow") != "DELETE, GET" {
				t.Errorf("Allow: %q", r.Header.Get("Allow"))
			}
		})
	}
	t.Run("too many", func(t *testing.T) {
		for range webhook.DefaultMaxPerZone - 1 {
			s.createWebhook(t, map[string]any{"url": "https://hooks.example.com/"})
		}
		s.do(t, http.MethodPost, s.path(""), map[string]any{"url": "https://hooks.example.com/"}).fails(t, 403, "delete one first")
	})
}

// TestTenancy: another zone's token, at every route, with this zone's ids,
// in this zone's path or its own, gets 404 and changes nothing.
func TestTenancy(t *testing.T) {
	s := newServer(t)
	wh := s.createWebhook(t, map[string]any{"url": "https://hooks.example.com/"})
	if _, err := s.env.Svc.CreateHostname(t.Context(), s.zone.ID, service.HostnameInput{Hostname: "a.example-customer.com"}); err != nil {
		t.Fatal(err)
	}
	var page struct{ Data []deliveryJSON }
	s.do(t, http.MethodGet, s.path("/"+wh.UUID+"/deliveries"), nil).ok(t, http.StatusOK, &page)
	del := page.Data[0].UUID
	zoneB, tokB := s.env.Zone(t, service.ZoneInput{Name: "attacker-saas.com", CNAMETarget: "edge.attacker-saas.com"})
	routes := []struct{ method, rest string }{
		{http.MethodGet, ""},
		{http.MethodPost, ""},
		{http.MethodGet, "/" + wh.UUID},
		{http.MethodDelete, "/" + wh.UUID},
		{http.MethodGet, "/" + wh.UUID + "/deliveries"},
		{http.MethodGet, "/" + wh.UUID + "/deliveries/" + del},
		{http.MethodPost, "/" + wh.UUID + "/deliveries/" + del + "/replay"},
	}
	for _, account := range []string{s.zone.ID, zoneB.ID} {
		for _, rt := range routes {
			if account == zoneB.ID && rt.rest == "" {
				continue // B's own collection is B's to use
			}
			t.Run(rt.method+" "+account[:6]+rt.rest, func(t *testing.T) {
				s.do(t, rt.method, "/api/v1/accounts/"+account+"/webhooks"+rt.rest,
					map[string]any{"url": "https://evil.example.com/"}, "Bearer "+tokB).fails(t, http.StatusNotFound, "")
			})
		}
	}
	var list struct{ Data []webhookJSON }
	s.do(t, http.MethodGet, s.path(""), nil).ok(t, http.StatusOK, &list)
	s.do(t, http.MethodGet, s.path("/"+wh.UUID+"/deliveries"), nil).ok(t, http.StatusOK, &page)
	if len(list.Data) != 1 || len(page.Data) != 1 {
		t.Errorf("zone A changed: %d webhooks, %d deliveries", len(list.Data), len(page.Data))
	}
}
