package edge

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

// TestParseHead: what the loop takes, and everything it leaves to net/http.
func TestParseHead(t *testing.T) {
	const host = "Host: a.com\r\n"
	cases := []struct {
		name, head string
		ok         bool
	}{
		{"GET", "GET / HTTP/1.1\r\n" + host + "\r\n", true},
		{"HEAD", "HEAD /x HTTP/1.1\r\n" + host + "\r\n", true},
		{"OPTIONS", "OPTIONS /x HTTP/1.1\r\n" + host + "\r\n", true},
		{"query, escapes, sub-delims", "GET /a%20b/c:d@e!$&'()*+,;=~?x=1&y=%2F&z=/?%41 HTTP/1.1\r\n" + host + "\r\n", true},
		{"keep-alive, close", "GET / HTTP/1.1\r\n" + host + "Connection: keep-alive, close\r\n\r\n", true},
		{"zero length", "GET / HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", true},
		{"host with port", "GET / HTTP/1.1\r\nHost: a.com:443\r\n\r\n", true},
		{"IPv6 host", "GET / HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", true},
		{"tab in value", "GET / HTTP/1.1\r\n" + host + "X: a\tb\r\n\r\n", true},

		{"POST", "POST / HTTP/1.1\r\n" + host + "Content-Length: 1\r\n\r\n", true},
		{"PUT, PATCH, DELETE", "PATCH / HTTP/1.1\r\n" + host + "\r\n", true},
		{"two lengths", "POST / HTTP/1.1\r\n" + host + "Content-Length: 1\r\nContent-Length: 1\r\n\r\n", false},
		{"signed length", "POST / HTTP/1.1\r\n" + host + "Content-Length: +1\r\n\r\n", false},
		{"TRACE", "TRACE / HTTP/1.1\r\n" + host + "\r\n", false},
		{"lowercase method", "get / HTTP/1.1\r\n" + host + "\r\n", false},
		{"CONNECT", "CONNECT a.com:443 HTTP/1.1\r\n" + host + "\r\n", false},
		{"HTTP/1.0", "GET / HTTP/1.0\r\n" + host + "\r\n", false},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false},
		{"asterisk", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", false},
		{"absolute form", "GET http://a.com/ HTTP/1.1\r\n" + host + "\r\n", false},
		{"two spaces", "GET  / HTTP/1.1\r\n" + host + "\r\n", false},
		{"no version", "GET /\r\n" + host + "\r\n", false},
		{"fragment", "GET /#x HTTP/1.1\r\n" + host + "\r\n", false},
		{"bad escape", "GET /%zz HTTP/1.1\r\n" + host + "\r\n", false},
		{"short escape", "GET /%2 HTTP/1.1\r\n" + host + "\r\n", false},
		{"semicolon query", "GET /?a;b HTTP/1.1\r\n" + host + "\r\n", false},
		{"path re-encoded by url.URL", "GET /a|b HTTP/1.1\r\n" + host + "\r\n", false},
		{"non-ASCII path", "GET /\xc3\xa9 HTTP/1.1\r\n" + host + "\r\n", false},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", false},
		{"two Hosts", "GET / HTTP/1.1\r\n" + host + host + "\r\n", false},
		{"empty Host", "GET / HTTP/1.1\r\nHost: \r\n\r\n", false},
		{"Host with a slash", "GET / HTTP/1.1\r\nHost: a.com/x\r\n\r\n", false},
		{"a body length", "GET / HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\n", false},
		{"chunked", "GET / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n", false},
		{"length and chunked", "GET / HTTP/1.1\r\n" + host + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", false},
		{"upgrade", "GET / HTTP/1.1\r\n" + host + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", false},
		{"expect", "GET / HTTP/1.1\r\n" + host + "Expect: 100-continue\r\n\r\n", false},
		{"TE", "GET / HTTP/1.1\r\n" + host + "TE: trailers\r\n\r\n", false},
		{"Connection names a header", "GET / HTTP/1.1\r\n" + host + "Connection: X-Foo\r\n\r\n", false},
		{"obs-fold", "GET / HTTP/1.1\r\n" + host + "X: a\r\n b\r\n\r\n", false},
		{"space before colon", "GET / HTTP/1.1\r\n" + host + "X : a\r\n\r\n", false},
		{"empty name", "GET / HTTP/1.1\r\n" + host + ": a\r\n\r\n", false},
		{"NUL in value", "GET / HTTP/1.1\r\n" + host + "X: a\x00b\r\n\r\n", false},
		{"non-ASCII value", "GET / HTTP/1.1\r\n" + host + "X: \xc3\xa9\r\n\r\n", false},
		{"bare LF inside", "GET / HTTP/1.1\r\n" + host + "X: a\n\r\n", false},
		{"bare CR inside", "GET / HTTP/1.1\r\n" + host + "X: a\rb\r\n\r\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := []byte(c.head)
			end := headEnd(b)
			if end <= 0 {
				if c.ok {
					t.Fatalf("headEnd = %d", end)
				}
				return
			}
			var r fastReq
			if got := parseHead(b[:end], &r, "portico-meta"); got != c.ok {
				t.Fatalf("parseHead = %v, want %v", got, c.ok)
			}
		})
	}
}

func TestHeadEnd(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"GET / HTTP/1.1\r\n", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET", 27},
		{"GET / HTTP/1.1\nHost: a\n\n", -1},
		{"GET / HTTP/1.1\r\nHost: a\n\r\n", 26},
	} {
		if got := headEnd([]byte(c.in)); got != c.want {
			t.Errorf("headEnd(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// FuzzParseHead: whatever the loop accepts, net/http parses too, as the
// same method, target, host and headers: the loop never reads a request
// differently from the parser behind it.
func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a.com\r\n\r\n",
		"HEAD /a%20b?c=d HTTP/1.1\r\nHost: a.com:8443\r\nConnection: close\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.com\r\nContent-Length: 0\r\nUser-Agent: x\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := headEnd(b)
		if end <= 0 {
			return
		}
		var r fastReq
		if !parseHead(b[:end], &r, "portico-meta") {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(b[:end]))))
		if err != nil {
			t.Fatalf("the loop takes %q, net/http refuses it: %v", b[:end], err)
		}
		if req.Method != r.method || req.RequestURI != string(r.target) || req.Host != string(r.host) ||
			req.Close != r.close || req.ContentLength != int64(r.bodyLen) {
			t.Fatalf("the loop reads %q as %s %s %s close=%v; net/http as %s %s %s close=%v length %d",
				b[:end], r.method, r.target, r.host, r.close, req.Method, req.RequestURI, req.Host, req.Close, req.ContentLength)
		}
		if req.URL.RequestURI() != string(r.target) {
			t.Fatalf("url.URL re-encodes %q as %q", r.target, req.URL.RequestURI())
		}
		for _, h := range r.hdrs {
			if got := req.Header.Values(string(h.name)); len(got) == 0 {
				t.Fatalf("header %q lost by net/http", h.name)
			}
		}
	})
}
