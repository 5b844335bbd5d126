package edge

import (
	"net/http"
	"strconv"
)

// pageText is the short explanation of each status the edge answers
// itself. Plain text: it reads the same in a browser and in curl, needs no
// escaping, and says nothing about the tenant or the origin.
var pageText = map[int]string{
	http.StatusNotFound:           "This hostname is not served here.",
	http.StatusMisdirectedRequest: "This connection cannot serve the requested hostname. Connect to it directly.",
	http.StatusBadGateway:         "The origin server could not be reached or gave an invalid response.",
	http.StatusGatewayTimeout:     "The origin server did not answer in time.",
	http.StatusServiceUnavailable: "The service is temporarily unavailable. Try again shortly.",
	http.StatusMethodNotAllowed:   "This method is not allowed here.",
	http.StatusRequestURITooLong:  "The request URI is too long.",
	http.StatusRequestTimeout:     "The request body did not arrive in time.",
	// 431 is the HTTP/2 loop's (net/http answers it for HTTP/1.1).
	http.StatusRequestHeaderFieldsTooLarge: "The request's header fields are too large.",
	http.StatusTooManyRequests:             "Too many requests. Try again shortly.",
	http.StatusInternalServerError:         "Internal error.",
}

// writePage answers with status and its short text page.
func writePage(w http.ResponseWriter, status int) {
	writeText(w, status, strconv.Itoa(status)+" "+http.StatusText(status)+"\n\n"+pageText[status]+"\n")
}

// writeText answers with a plain text body that no cache may keep.
func writeText(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
