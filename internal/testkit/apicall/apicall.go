// Package apicall sends requests to a Portico API in tests: the bearer
// token, the body and the reading of the reply, which the end-to-end,
// webhook and SaaS Custom Domains suites each did for themselves.
package apicall

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Reply is an API's answer, read whole.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends method url with token (none when "") and a body of type ctype
// (none when body is nil), on c (http.DefaultClient when nil), and returns
// the reply; it fails t when the request cannot be made or read.
func Do(t testing.TB, c *http.Client, method, url, token, ctype string, body io.Reader) Reply {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil && ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the reply: %v", method, url, err)
	}
	return Reply{resp.StatusCode, resp.Header, b}
}

// JSON sends v encoded as JSON (no body when v is nil).
func JSON(t testing.TB, c *http.Client, method, url, token string, v any) Reply {
	t.Helper()
	if v == nil {
		return Do(t, c, method, url, token, "", nil)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return Do(t, c, method, url, token, "application/json", bytes.NewReader(b))
}
