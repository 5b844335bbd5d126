package edge

import (
	"bytes"
	"net/http"
	"strings"
)

// fastReq is a request head that the HTTP/1.1 connection loop (h1conn.go)
// proxies itself. Its slices point into the connection's read buffer and
// are valid until the head is discarded from it.
//
// The loop takes only what it can proxy exactly as ReverseProxy would (a
// body only with a Content-Length, and only whole: see readHead):
// parseHead accepts a strict subset of HTTP/1.1 and answers false for
// anything else, which the loop then hands, unread, to net/http. So
// anything odd (a body, an upgrade, HTTP/1.0, obsolete line folding, bare
// LF line ends, a malformed header, a target ReverseProxy would re-encode)
// meets net/http's parser and ReverseProxy, as before the loop existed:
// the fast path adds no parsing decision of its own, only a narrower door.
type fastReq struct {
	method string // one of the seven parseHead takes (constants: no allocation)
	target []byte // origin-form: "/path?query", checked by validTarget
	host   []byte
	ua     []byte
	close  bool // Connection: close
	// bodyLen is the Content-Length; the loop takes a body only when it
	// fits in its read buffer with the head (see readHead).
	bodyLen   int
	hasLength bool
	body      []byte   // set by readHead
	xff       [][]byte // X-Forwarded-For values, in order
	hdrs      []hspan  // the headers forwarded as sent
	headLen   int      // bytes of the head, final CRLF included
}

// mayHaveBody reports whether the loop forwards a body for the method.
func (r *fastReq) mayHaveBody() bool {
	switch r.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// idempotent reports whether a request may be sent again after a pooled
// origin connection failed under it (RFC 9110, 9.2.2).
func (r *fastReq) idempotent() bool {
	return r.method != http.MethodPost && r.method != http.MethodPatch
}

// hspan is one header line: name and value (trimmed).
type hspan struct{ name, value []byte }

// maxFastHeaders bounds the headers of a fast request; more go to net/http.
const maxFastHeaders = 100

// headEnd returns the length of the head at the start of b (through the
// empty line), 0 when b holds no complete head yet, or -1 when the head
// uses a bare LF to end it, which only net/http accepts.
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0
		}
		i += j + 1
		switch {
		case i < len(b) && b[i] == '\n':
			return -1
		case i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n':
			return i + 2
		}
	}
}

// parseHead parses head (a complete head, as headEnd measured it) into r,
// and reports whether the fast path may proxy it. meta is the configured
// metadata header, lowercase ("" for none): the visitor may never set it.
func parseHead(head []byte, r *fastReq, meta string) bool {
	*r = fastReq{xff: r.xff[:0], hdrs: r.hdrs[:0], headLen: len(head)}
	line, rest, ok := cutLine(head)
	if !ok {
		return false
	}
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return false
	}
	switch m := line[:sp]; {
	case string(m) == http.MethodGet:
		r.method = http.MethodGet
	case string(m) == http.MethodHead:
		r.method = http.MethodHead
	case string(m) == http.MethodOptions:
		r.method = http.MethodOptions
	case string(m) == http.MethodPost:
		r.method = http.MethodPost
	case string(m) == http.MethodPut:
		r.method = http.MethodPut
	case string(m) == http.MethodPatch:
		r.method = http.MethodPatch
	case string(m) == http.MethodDelete:
		r.method = http.MethodDelete
	default:
		return false
	}
	line = line[sp+1:]
	sp = bytes.IndexByte(line, ' ')
	if sp < 0 || string(line[sp+1:]) != "HTTP/1.1" || !validTarget(line[:sp]) {
		return false
	}
	r.target = line[:sp]
	for {
		line, rest, ok = cutLine(rest)
		if !ok {
			return false
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validFieldName(line[:colon]) {
			return false
		}
		value := trimOWS(line[colon+1:])
		if !validValue(value) || !r.header(line[:colon], value, meta) {
			return false
		}
	}
	return r.host != nil && len(r.hdrs) <= maxFastHeaders
}

// header sorts one header: the ones ReverseProxy would drop or replace are
// dropped (hop-by-hop, Forwarded, X-Forwarded-*, the metadata header), the
// ones that need net/http (framing, upgrades, expectations, duplicates of
// Host) refuse the fast path, and the rest are forwarded as sent.
func (r *fastReq) header(name, value []byte, meta string) bool {
	switch {
	case eqFold(name, "host"):
		if r.host != nil || !validHost(value) {
			return false
		}
		r.host = value
	case eqFold(name, "content-length"):
		// One length, and for GET, HEAD and OPTIONS only zero: a body
		// there is net/http's to forward.
		n, ok := parseLength(value)
		if !ok || r.hasLength || n > 0 && !r.mayHaveBody() {
			return false
		}
		r.bodyLen, r.hasLength = int(min(n, 1<<30)), true
	case eqFold(name, "transfer-encoding"), eqFold(name, "upgrade"), eqFold(name, "expect"),
		eqFold(name, "te"), eqFold(name, "trailer"), eqFold(name, "http2-settings"):
		return false
	case eqFold(name, "connection"):
		return r.connection(value)
	case eqFold(name, "keep-alive"), eqFold(name, "proxy-connection"),
		eqFold(name, "proxy-authorization"), eqFold(name, "proxy-authenticate"),
		eqFold(name, "forwarded"), eqFold(name, "x-forwarded-host"), eqFold(name, "x-forwarded-proto"):
	case eqFold(name, "x-forwarded-for"):
		r.xff = append(r.xff, value)
	case meta != "" && eqFold(name, meta):
	default:
		if eqFold(name, "user-agent") {
			r.ua = value
		}
		r.hdrs = append(r.hdrs, hspan{name, value})
	}
	return true
}

// connection reads a Connection header: "close" and "keep-alive" only;
// other tokens name headers to drop, which ReverseProxy knows how to do.
func (r *fastReq) connection(v []byte) bool {
	for len(v) > 0 {
		tok := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		switch tok = trimOWS(tok); {
		case eqFold(tok, "close"):
			r.close = true
		case eqFold(tok, "keep-alive"), len(tok) == 0:
		default:
			return false
		}
	}
	return true
}

// cutLine returns the line at the start of b without its CRLF, and the
// rest; false for a line that does not end in CRLF.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil, false
	}
	return b[:i-1], b[i+1:], true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// eqFold reports whether b equals lower (lowercase ASCII) ignoring case.
func eqFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// validToken reports whether b is an RFC 9110 token (a header name).
func validFieldName(b []byte) bool {
	for _, c := range b {
		if !isTchar(c) {
			return false
		}
	}
	return len(b) > 0
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}

// validValue refuses control characters (HTAB aside) and bytes above
// ASCII: the fast path forwards values byte for byte, so it takes only
// what every origin parses the same way.
func validValue(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// validHost takes host names, IPv4 and bracketed IPv6 literals, with an
// optional port; anything else is net/http's to judge.
func validHost(b []byte) bool {
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '-', c == '_', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return len(b) > 0
}

// validTarget takes an origin-form target that ReverseProxy would forward
// byte for byte: a path of characters that need no escaping (so
// url.URL.EscapedPath gives it back unchanged), well-formed %XX escapes,
// and a query without ';' (ReverseProxy rewrites queries that have one).
func validTarget[T string | []byte](b T) bool {
	if len(b) == 0 || b[0] != '/' {
		return false
	}
	inQuery := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '%':
			if i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) {
				return false
			}
			i += 2
		case c == '?' && !inQuery:
			inQuery = true
		case inQuery:
			if c <= 0x20 || c >= 0x7f || c == '#' || c == ';' {
				return false
			}
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
