package webhooks

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/testkit/apicall"
	"github.com/porticohq/portico/internal/testkit/node"
	"github.com/porticohq/portico/internal/testkit/secretscan"
	"github.com/porticohq/portico/internal/webhook"
)

// receiver is a real HTTPS server that checks each request's signature
// with the secret it is given, and keeps the messages.
type receiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	secret string
	msgs   []webhook.Message
	bad    []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.Verify(r.secret, req.Header, body, time.Now(), time.Minute); err != nil {
			r.bad = append(r.bad, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m webhook.Message
		if err := json.Unmarshal(body, &m); err != nil || req.Header.Get(webhook.HeaderEvent) != m.Type {
			r.bad = append(r.bad, fmt.Sprintf("body %s: %v", body, err))
		}
		r.msgs = append(r.msgs, m)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// rootsFile writes the receiver's certificate as a PEM roots file for
// --webhook-roots.
func (r *receiver) rootsFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "roots.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// wait returns the first message of type typ, waiting for it (the node's
// dispatcher runs on its own goroutines), or fails after 15 s.
func (r *receiver) wait(t *testing.T, typ string) webhook.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r.mu.Lock()
		for _, m := range r.msgs {
			if m.Type == typ {
				r.mu.Unlock()
				return m
			}
		}
		bad := r.bad
		r.mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("the receiver refused requests: %q", bad)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s webhook arrived", typ)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client calls a node's APIs with a token; every response body is kept.
type client struct {
	base, token string
	bodies      bytes.Buffer
}

func (c *client) do(t *testing.T, method, path string, body any, wantStatus int, out any) []byte {
	t.Helper()
	r := apicall.JSON(t, nil, method, c.base+path, c.token, body)
	raw := r.Body
	if r.Status != wantStatus {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, wantStatus, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return raw
}

// TestWebhooksEndToEnd: an endpoint created through the API receives
// hostname.created, hostname.verified, certificate.issued and
// hostname.deleted, signed, as a hostname is created through /client/v4,
// proven through DNS, given a certificate and deleted;
// the delivery log shows them delivered; no secret is logged.
func TestWebhooksEndToEnd(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			r := newReceiver(t)
			roots := r.rootsFile(t)
			n := node.Start(t, backend, func(c *config.Serve) {
				c.WebhookAllowHTTP = true // the receiver is on loopback
				c.WebhookRoots = roots
			})
			ten := n.NewTenant(t, "saasprovider.com")
			c := &client{base: n.BaseURL, token: ten.Token}
			hooks := "/api/v1/accounts/" + ten.ZoneID + "/webhooks"

			var created struct{ UUID, Secret string }
			createRaw := c.do(t, http.MethodPost, hooks, map[string]any{"url": r.srv.URL + "/portico",
				"events": []string{"hostname.created", "hostname.verified", "certificate.issued", "hostname.deleted"}}, http.StatusCreated, &created)
			if created.Secret == "" {
				t.Fatalf("no secret in the create reply: %s", createRaw)
			}
			r.mu.Lock()
			r.secret = created.Secret
			r.mu.Unlock()

			var h struct {
				Result struct {
					ID                    string
					Status                string
					OwnershipVerification struct{ Name, Value string } `json:"ownership_verification"`
				}
			}
			chPath := "/client/v4/zones/" + ten.ZoneID + "/custom_hostnames"
			c.bodies.Write(c.do(t, http.MethodPost, chPath, map[string]any{"hostname": "shop.example-customer.com",
				"ssl": map[string]string{"method": "http", "type": "dv"}}, http.StatusCreated, &h))
			id := h.Result.ID
			m := r.wait(t, "hostname.created")
			if m.ZoneID != ten.ZoneID || m.Data.HostnameID != id || m.Data.Hostname != "shop.example-customer.com" || m.Data.Status != "pending" {
				t.Errorf("hostname.created: %+v", m)
			}

			// The customer publishes the TXT record; a refresh proves it.
			ov := h.Result.OwnershipVerification
			n.DNS.SetTXT(ov.Name, ov.Value)
			c.bodies.Write(c.do(t, http.MethodPatch, chPath+"/"+id, map[string]any{"ssl": map[string]string{"method": "http", "type": "dv"}},
				http.StatusAccepted, &h))
			if h.Result.Status != "active" {
				t.Fatalf("after the refresh: %s", h.Result.Status)
			}
			m = r.wait(t, "hostname.verified")
			if m.Data.HostnameID != id || m.Data.Status != "active" || m.Data.PreviousStatus != "pending" || m.Data.Reason != "ownership_proven" {
				t.Errorf("hostname.verified: %+v", m)
			}

			// Proven, it gets a certificate (the node's internal CA).
			m = r.wait(t, "certificate.issued")
			if m.Data.HostnameID != id || m.Data.Certificate == nil || m.Data.Certificate.SerialNumber == "" || m.Data.Certificate.ExpiresOn == nil {
				t.Errorf("certificate.issued: %+v", m)
			}

			c.bodies.Write(c.do(t, http.MethodDelete, chPath+"/"+id, nil, http.StatusOK, nil))
			m = r.wait(t, "hostname.deleted")
			if m.Data.HostnameID != id || m.Data.Status != "deleted" || m.Data.PreviousStatus != "active" || m.Data.Reason != "removed" {
				t.Errorf("hostname.deleted: %+v", m)
			}

			// The log: four deliveries, each delivered at its first attempt.
			var log struct {
				Data []struct {
					EventType        string `json:"event_type"`
					Status           string
					Attempts         int
					LastResponseCode int `json:"last_response_code"`
				}
				Pagination struct{ Count int }
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				c.bodies.Write(c.do(t, http.MethodGet, hooks+"/"+created.UUID+"/deliveries", nil, http.StatusOK, &log))
				done := 0
				for _, d := range log.Data {
					if d.Status == "succeeded" && d.Attempts == 1 && d.LastResponseCode == 204 {
						done++
					}
				}
				if done == 4 && log.Pagination.Count == 4 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("delivery log: %+v", log)
				}
				time.Sleep(20 * time.Millisecond)
			}
			c.bodies.Write(c.do(t, http.MethodGet, hooks, nil, http.StatusOK, nil))
			metrics := get(t, n.BaseURL+"/metrics")
			if !strings.Contains(metrics, `portico_webhook_deliveries_total{outcome="succeeded"} 4`) {
				t.Errorf("/metrics lacks four successful deliveries")
			}
			if found := secretscan.Find(n.Logs.Bytes()); len(found) > 0 {
				t.Errorf("secrets in the node's logs: %v", found)
			}
			if found := secretscan.Find(c.bodies.Bytes()); len(found) > 0 {
				t.Errorf("secrets in API responses other than the create: %v", found)
			}
		})
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
