package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// cfClient talks to Portico's Cloudflare-compatible API as any client
// would: plain HTTP and JSON, a bearer token, the v4 envelope.
type cfClient struct {
	base   string // http://127.0.0.1:PORT/client/v4
	token  string
	zoneID string
	http   *http.Client
}

// customHostname is the part of the API's custom hostname the demo reads.
type customHostname struct {
	ID                    string   `json:"id"`
	Hostname              string   `json:"hostname"`
	Status                string   `json:"status"`
	VerificationErrors    []string `json:"verification_errors"`
	OwnershipVerification struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"ownership_verification"`
	SSL struct {
		Method           string `json:"method"`
		Type             string `json:"type"`
		Status           string `json:"status"`
		ValidationErrors []struct {
			Message string `json:"message"`
		} `json:"validation_errors"`
		Issuer       string `json:"issuer"`
		SerialNumber string `json:"serial_number"`
		ExpiresOn    string `json:"expires_on"`
	} `json:"ssl"`
}

// state is what the progress display follows.
func (h customHostname) state() hostState {
	s := hostState{Status: h.Status, SSL: h.SSL.Status}
	if len(h.VerificationErrors) > 0 {
		s.Detail = h.VerificationErrors[0]
	} else if len(h.SSL.ValidationErrors) > 0 {
		s.Detail = h.SSL.ValidationErrors[0].Message
	}
	return s
}

// sslRequest is the ssl object the demo sends on create and on refresh.
type sslRequest struct {
	Method string `json:"method"`
	Type   string `json:"type"`
}

type envelope struct {
	Success bool `json:"success"`
	Errors  []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Result json.RawMessage `json:"result"`
}

// do sends one request and decodes the envelope's result into out.
func (c *cfClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: not the API's JSON envelope: %.200q", method, path, resp.Status, raw)
	}
	if !env.Success || resp.StatusCode >= 300 {
		var msgs []string
		for _, e := range env.Errors {
			msgs = append(msgs, fmt.Sprintf("%d %s", e.Code, e.Message))
		}
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.Join(msgs, "; "))
	}
	if out != nil {
		if err := json.Unmarshal(env.Result, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decoding the result: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *cfClient) hostnamesPath() string { return "/zones/" + c.zoneID + "/custom_hostnames" }

func (c *cfClient) create(ctx context.Context, name string, ssl sslRequest) (customHostname, int, error) {
	var h customHostname
	code, err := c.do(ctx, http.MethodPost, c.hostnamesPath(), map[string]any{"hostname": name, "ssl": ssl}, &h)
	return h, code, err
}

func (c *cfClient) get(ctx context.Context, id string) (customHostname, error) {
	var h customHostname
	_, err := c.do(ctx, http.MethodGet, c.hostnamesPath()+"/"+id, nil, &h)
	return h, err
}

// refresh PATCHes the hostname with an ssl object: even an unchanged one
// makes Portico (like Cloudflare) validate again at once.
func (c *cfClient) refresh(ctx context.Context, id string, ssl sslRequest) (customHostname, int, error) {
	var h customHostname
	code, err := c.do(ctx, http.MethodPatch, c.hostnamesPath()+"/"+id, map[string]any{"ssl": ssl}, &h)
	return h, code, err
}

func newCFClient(apiAddr, token, zoneID string) *cfClient {
	return &cfClient{
		base:   "http://" + apiAddr + "/client/v4",
		token:  token,
		zoneID: zoneID,
		http:   &http.Client{Timeout: 10 * time.Second},
	}
}
