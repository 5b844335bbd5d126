package webhook_test

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/testkit/secretscan"
	"github.com/porticohq/portico/internal/webhook"
)

// goldenSecret and goldenSignature were computed with openssl, as the
// README tells receivers to:
//
//	printf '%s' '1700000000.{"id":"evt","type":"hostname.created"}' |
//	  openssl dgst -sha256 -hmac 'whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG' -hex
const (
	goldenSecret    = "whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	goldenBody      = `{"id":"evt","type":"hostname.created"}`
	goldenSignature = "v1=cbb20d03ce5ab499649cad05873779033efcb2e6aac4f323604363c271c99168"
)

func TestSignMatchesOpenSSL(t *testing.T) {
	if got := webhook.Sign(goldenSecret, 1700000000, []byte(goldenBody)); got != goldenSignature {
		t.Errorf("Sign = %s, want %s", got, goldenSignature)
	}
}

func TestVerify(t *testing.T) {
	const ts = 1700000000
	now := time.Unix(ts, 0).Add(42 * time.Second)
	headers := func(ts, sig string) http.Header {
		h := http.Header{}
		if ts != "" {
			h.Set(webhook.HeaderTimestamp, ts)
		}
		if sig != "" {
			h.Set(webhook.HeaderSignature, sig)
		}
		return h
	}
	good := goldenSignature
	tests := []struct {
		name      string
		secret    string
		h         http.Header
		body      string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", goldenSecret, headers("1700000000", good), goldenBody, now, 0, nil},
		{"valid among others", goldenSecret, headers("1700000000", "v1=00ff, v0=abc "+good), goldenBody, now, 0, nil},
		{"wrong secret", goldenSecret + "x", headers("1700000000", good), goldenBody, now, 0, webhook.ErrBadSignature},
		{"body changed", goldenSecret, headers("1700000000", good), goldenBody + " ", now, 0, webhook.ErrBadSignature},
		{"timestamp changed", goldenSecret, headers("1700000001", good), goldenBody, now, 0, webhook.ErrBadSignature},
		{"not hex", goldenSecret, headers("1700000000", "v1=zz"), goldenBody, now, 0, webhook.ErrBadSignature},
		{"another scheme only", goldenSecret, headers("1700000000", "v2="+good[3:]), goldenBody, now, 0, webhook.ErrBadSignature},
		{"too old", goldenSecret, headers("1700000000", good), goldenBody, now.Add(5 * time.Minute), 0, webhook.ErrTimestampSkew},
		{"from the future", goldenSecret, headers("1700000000", good), goldenBody, time.Unix(ts, 0).Add(-2 * time.Minute), time.Minute, webhook.ErrTimestampSkew},
		{"wider tolerance", goldenSecret, headers("1700000000", good), goldenBody, now.Add(time.Hour), 2 * time.Hour, nil},
		{"no timestamp", goldenSecret, headers("", good), goldenBody, now, 0, webhook.ErrMissingSignature},
		{"no signature", goldenSecret, headers("1700000000", ""), goldenBody, now, 0, webhook.ErrMissingSignature},
		{"malformed timestamp", goldenSecret, headers("17e8", good), goldenBody, now, 0, webhook.ErrBadTimestamp},
		{"negative timestamp", goldenSecret, headers("-1", good), goldenBody, now, 0, webhook.ErrBadTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.h, []byte(tt.body), tt.now, tt.tolerance)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	secret := webhook.NewSecret()
	now := time.Now()
	body := []byte(`{"ünïcode":"<&>"}`)
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(webhook.HeaderSignature, webhook.Sign(secret, now.Unix(), body))
	if err := webhook.Verify(secret, h, body, now, 0); err != nil {
		t.Fatal(err)
	}
}

func TestNewSecret(t *testing.T) {
	re := regexp.MustCompile(`^` + webhook.SecretPattern + `$`)
	seen := map[string]bool{}
	for range 50 {
		s := webhook.NewSecret()
		if !re.MatchString(s) || seen[s] {
			t.Fatalf("secret %q: matches %v, repeated %v", s, re.MatchString(s), seen[s])
		}
		seen[s] = true
	}
	// The secret scanner the leak tests use knows the format.
	if found := secretscan.Find([]byte(`{"secret":"` + webhook.NewSecret() + `"}`)); len(found) != 1 {
		t.Errorf("secretscan found %q in a body holding one webhook secret", found)
	}
}
