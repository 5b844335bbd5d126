package verify

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"

	"github.com/porticohq/portico/internal/core"
)

// Why redirects are refused, for messages.
var (
	errTooManyRedirects = errors.New("too many redirects")
	errRedirectScheme   = errors.New("redirect to a scheme other than http or https")
	errRedirectPort     = errors.New("redirect to a port other than 80 or 443")
)

// newHTTPClient builds the client of token fetches: every connection goes
// through a Dialer over c.resolver (so --resolver applies, and the address
// dialed is one the resolver returned), no proxy from the environment (a
// proxy would resolve the name itself), no connection reuse between checks.
func (c *Checker) newHTTPClient() *http.Client {
	d := &Dialer{Resolver: c.resolver}
	d.Net.Timeout = c.cfg.HTTPTimeout
	if !c.cfg.AllowPrivateNetworks {
		d.Allow = PublicAddr
	}
	tr := &http.Transport{
		Proxy:       nil,
		DialContext: d.DialContext,
		// The proof is the token, fetched from the addresses the customer's
		// DNS gives; the first request is plain HTTP anyway. A certificate
		// after a redirect to https adds nothing, and a customer whose
		// certificate is not yet valid (often: the SaaS is to issue it) must
		// not fail. Let's Encrypt's HTTP-01 does the same.
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
		TLSHandshakeTimeout:    c.cfg.HTTPTimeout,
		ResponseHeaderTimeout:  c.cfg.HTTPTimeout,
		DisableKeepAlives:      true,
		DisableCompression:     true, // compare the bytes as served
		MaxResponseHeaderBytes: 16 << 10,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       c.cfg.HTTPTimeout,
		CheckRedirect: c.checkRedirect,
	}
}

// checkRedirect follows at most MaxRedirects redirects, to http and https
// only, on the standard ports (or the test port), like Let's Encrypt's
// HTTP-01. Any host is allowed: a customer redirecting shop.x.com to
// www.x.com has shown control of shop.x.com's web server all the same.
func (c *Checker) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return fmt.Errorf("%w (more than %d)", errTooManyRedirects, c.cfg.MaxRedirects)
	}
	switch req.URL.Scheme {
	case "http", "https":
	default:
		return fmt.Errorf("%w: %q", errRedirectScheme, clip(req.URL.Scheme, 16))
	}
	switch p := req.URL.Port(); {
	case p == "", p == "80", p == "443":
	case c.cfg.HTTPPort != 0 && p == strconv.Itoa(c.cfg.HTTPPort):
	default:
		return fmt.Errorf("%w: %s", errRedirectPort, clip(p, 8))
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	return nil
}

// tokenURL is h's token URL, on the test port when one is configured.
func (c *Checker) tokenURL(h core.Hostname) string {
	u := h.OwnershipHTTPURL()
	if c.cfg.HTTPPort == 0 {
		return u
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	parsed.Host = net.JoinHostPort(parsed.Hostname(), strconv.Itoa(c.cfg.HTTPPort))
	return parsed.String()
}

// checkHTTP fetches the token URL. The proof holds when the answer is 200
// and the body, without trailing whitespace, equals the token exactly.
// Trailing whitespace is dropped because the usual ways of publishing the
// file (echo, editors) add a newline the customer never sees; leading
// whitespace and case are not forgiven. Boulder's HTTP-01 trims the same way.
//
// A fetch that fails because the name could not be resolved is "could not
// check"; any other failure (refused, timeout, 404) is an answer: the
// customer's web server does not serve the token.
func (c *Checker) checkHTTP(ctx context.Context, h core.Hostname) proof {
	shown := h.OwnershipHTTPURL()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.tokenURL(h), nil)
	if err != nil {
		return proof{msg: fmt.Sprintf("HTTP token at %s could not be fetched: %v", shown, err)}
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			// Our own deadline or shutdown, not the customer's server.
			return proof{unknown: true, msg: fmt.Sprintf("could not check the HTTP token at %s: the check was cancelled; it will be checked again", shown)}
		}
		if errors.Is(err, ErrUnavailable) {
			return proof{unknown: true, msg: fmt.Sprintf("could not check the HTTP token at %s: %s; it will be checked again", shown, unavailableReason(err))}
		}
		return proof{msg: fmt.Sprintf("HTTP token at %s could not be fetched: %s", shown, c.describeFetchError(err))}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return proof{msg: fmt.Sprintf("HTTP token at %s not found: status %d, expected 200 with the ownership token", shown, resp.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return proof{msg: fmt.Sprintf("HTTP token at %s could not be read: %s", shown, c.describeFetchError(err))}
	}
	if int64(len(body)) > c.cfg.MaxBody {
		return proof{msg: fmt.Sprintf("HTTP token at %s is too large: more than %d bytes, expected the ownership token", shown, c.cfg.MaxBody)}
	}
	got := bytes.TrimRight(body, " \t\r\n")
	if h.OwnershipToken != "" && subtle.ConstantTimeCompare(got, []byte(h.OwnershipToken)) == 1 {
		return proof{ok: true}
	}
	// The body is not quoted back: the fetch may have been steered at some
	// other server, whose content is none of the customer's business.
	return proof{msg: fmt.Sprintf("HTTP token at %s does not match: found %d bytes, expected the ownership token", shown, len(body))}
}

// describeFetchError turns a fetch error into plain words.
func (c *Checker) describeFetchError(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, errTooManyRedirects):
		return fmt.Sprintf("more than %d redirects", c.cfg.MaxRedirects)
	case errors.Is(err, errRedirectScheme), errors.Is(err, errRedirectPort):
		return "redirect refused: only http and https on ports 80 and 443 are followed"
	case errors.Is(err, ErrNoAddrs):
		return "the name has no A or AAAA records"
	case errors.Is(err, ErrCNAMELoop):
		return "the name's CNAME chain loops"
	case errors.Is(err, ErrCNAMEChainTooLong):
		return "the name's CNAME chain is too long"
	case errors.Is(err, ErrAddrNotAllowed):
		return "the name resolves only to private or reserved addresses"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", c.cfg.HTTPTimeout)
	default:
		return "the connection failed"
	}
}
