package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/core"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestDecodeJSON(t *testing.T) {
	type body struct {
		A *string         `json:"a"`
		B struct{ C int } `json:"b"`
	}
	for _, tc := range []struct {
		name   string
		in     string
		reason string // "" = accepted
	}{
		{"object", `{"a":"x"}`, ""},
		{"unknown keys ignored", `{"a":"x","zzz":{"deep":[1,2]},"ownership_verification":{}}`, ""},
		{"empty body", ``, ""},
		{"white space around", " \n{\"a\":\"x\"}\n ", ""},
		{"not json", `a=b`, ReasonBadJSON},
		{"two values", `{"a":"x"}{"a":"y"}`, ReasonBadJSON},
		{"trailing garbage", `{"a":"x"} x`, ReasonBadJSON},
		{"array", `[1]`, ReasonBadJSON},
		{"wrong type", `{"a":1}`, ReasonBadJSON},
		{"truncated", `{"a":"x"`, ReasonBadJSON},
		{"too large", `{"a":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, ReasonBodyTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.in))
			var v body
			err := DecodeJSON(httptest.NewRecorder(), r, &v)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Kind != core.KindInvalid || ce.Reason != tc.reason || ce.Public == "" {
				t.Fatalf("got %v, want reason %s", err, tc.reason)
			}
			if strings.Contains(ce.Public, strings.Repeat("x", 100)) {
				t.Error("the public message echoes the body")
			}
		})
	}
	// The message names the field at fault.
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"b":{"C":"x"}}`))
	var v body
	err := DecodeJSON(httptest.NewRecorder(), r, &v)
	if ce := core.AsError(err); !strings.Contains(ce.Public, "b.C") {
		t.Errorf("message %q does not name b.C", ce.Public)
	}
}

func TestHandleRecoversPanics(t *testing.T) {
	var got error
	h := Handle(func(w http.ResponseWriter, r *http.Request) error { panic("boom") },
		func(w http.ResponseWriter, r *http.Request, err error) { got = err; w.WriteHeader(500) })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != 500 || got == nil || !strings.Contains(got.Error(), "boom") {
		t.Errorf("code %d, err %v", rec.Code, got)
	}
}

func TestMiddleware(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	if again := NewMetrics(reg); again.requests != m.requests {
		t.Error("a second dialect did not reuse the registered collectors")
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	var seenID string
	mux := http.NewServeMux()
	mux.HandleFunc("/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r, "/things/{id}")
		seenID = RequestID(r.Context())
		_ = WriteJSON(w, http.StatusTeapot, map[string]string{"ok": "yes"})
	})
	srv := Middleware(mux, "test", log, m)

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/things/42", nil)
	req.Header.Set("Authorization", "Bearer ptk_secret")
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusTeapot || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("code %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	id := rec.Header().Get(RequestIDHeader)
	if len(id) != 16 || id != seenID {
		t.Errorf("request id header %q, handler saw %q", id, seenID)
	}
	srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/nowhere", nil))

	if v := testutil.ToFloat64(m.requests.WithLabelValues("test", "GET", "/things/{id}", "418")); v != 1 {
		t.Errorf("requests{route=/things/{id},code=418} = %v", v)
	}
	if v := testutil.ToFloat64(m.requests.WithLabelValues("test", "other", "unmatched", "404")); v != 1 {
		t.Errorf("requests{unmatched} = %v", v)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.SplitN(logs.Bytes(), []byte("\n"), 2)[0], &line); err != nil {
		t.Fatal(err)
	}
	if line["request_id"] != id || line["route"] != "/things/{id}" || line["status"] != float64(418) {
		t.Errorf("log line = %v", line)
	}
	if strings.Contains(logs.String(), "ptk_secret") {
		t.Error("a credential was logged")
	}
}
