package acme

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mholt/acmez/v3/acme"
)

func TestConfigResolve(t *testing.T) {
	le := CAConfig{DirectoryURL: "https://acme.example/dir"}
	for _, tc := range []struct {
		name string
		cfg  Config
		err  string
	}{
		{"no CA", Config{}, "no certificate authority"},
		{"one CA is the default", Config{CAs: map[string]CAConfig{"le": le}}, ""},
		{"several need a default", Config{CAs: map[string]CAConfig{"le": le, "google": le}}, "a default is required"},
		{"unknown default", Config{CAs: map[string]CAConfig{"le": le}, DefaultCA: "google"}, "not configured"},
		{"bad directory", Config{CAs: map[string]CAConfig{"le": {DirectoryURL: "acme.example"}}}, "not an http(s) URL"},
		{"bad roots", Config{CAs: map[string]CAConfig{"le": {DirectoryURL: le.DirectoryURL, RootsPEM: []byte("junk")}}}, "no certificate"},
		{"half an EAB", Config{CAs: map[string]CAConfig{"le": {DirectoryURL: le.DirectoryURL, EAB: &EAB{KeyID: "k"}}}}, "MAC key"},
		{"bad key type", Config{CAs: map[string]CAConfig{"le": le}, KeyType: "dsa"}, "key type"},
		{"bad pacing", Config{CAs: map[string]CAConfig{"le": le}, Pacing: Pacing{PerAccount: Rate{Count: 1}}}, "period"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := tc.cfg.resolve()
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if st.DefaultCA != "le" || st.KeyType != KeyP256 || st.Pacing.PerAccount.Count != 300 || st.Rand == nil {
					t.Errorf("defaults not applied: %+v", st.Config)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("resolve: %v, want an error containing %q", err, tc.err)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	noted := &retryNote{}
	noted.set(now.Add(30 * time.Second))
	problem := func(typ string, status int) error {
		return acme.Problem{Type: acme.ProblemTypeNamespace + typ, Status: status, Detail: "detail"}
	}
	for _, tc := range []struct {
		name string
		err  error
		note *retryNote
		want failKind
	}{
		{"network", errors.New("connection refused"), nil, kindTransient},
		{"503 with Retry-After", errors.New("HTTP 503"), noted, kindWait},
		{"rate limited without Retry-After", problem("rateLimited", 429), nil, kindWait},
		{"rate limited with Retry-After", problem("rateLimited", 429), noted, kindWait},
		{"badNonce exhausted", problem("badNonce", 400), nil, kindTransient},
		{"server error", problem("serverInternal", 500), nil, kindTransient},
		{"unknown 5xx", problem("whatever", 502), nil, kindTransient},
		{"validation", problem("unauthorized", 403), nil, kindValidation},
		{"validation wins over Retry-After", problem("incorrectResponse", 403), noted, kindValidation},
		{"rejected identifier", problem("rejectedIdentifier", 400), nil, kindValidation},
		{"order gone", problem("malformed", http.StatusNotFound), nil, kindRestart},
		{"other refusal", problem("badCSR", 400), nil, kindValidation},
		{"CAA forbids", &caaForbidden{Name: "x", At: "x", Identity: "le"}, nil, kindValidation},
		{"CAA lookup", &caaLookupError{Name: "x", Err: errors.New("SERVFAIL")}, nil, kindLookup},
		{"fatal", fatalError("no", nil), nil, kindFatal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			se := classify(tc.err, tc.note, now)
			if se.kind != tc.want {
				t.Fatalf("kind %v, want %v", se.kind, tc.want)
			}
			if se.kind == kindWait && !se.retryAt.After(now) {
				t.Errorf("wait without a time")
			}
		})
	}
}
