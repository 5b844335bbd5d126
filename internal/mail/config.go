package mail

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config says how to reach the SMTP server. ParseURL builds one from
// --smtp-url; the zero Timeout and HelloName take their defaults.
type Config struct {
	// Host and Port are the server's address. Port defaults to 587 for
	// smtp:// and 465 for smtps://.
	Host string
	Port int
	// ImplicitTLS speaks TLS from the start (smtps://); otherwise STARTTLS
	// is used when the server offers it.
	ImplicitTLS bool
	// Username and Password authenticate (AUTH PLAIN) when Username is set.
	Username string
	Password Secret
	// TLS is the client TLS configuration (nil: system roots, ServerName
	// Host). Tests set RootCAs.
	TLS *tls.Config
	// Timeout bounds one whole send: dial, handshakes and the dialogue
	// (default 30s).
	Timeout time.Duration
	// HelloName is the name sent in EHLO (default "localhost").
	HelloName string
}

// Secret is a string that never prints: %v, %s and %#v show
// "[redacted]", so a stray log of a Config cannot leak the password.
type Secret string

// String hides the secret.
func (Secret) String() string { return "[redacted]" }

// GoString hides the secret.
func (Secret) GoString() string { return `"[redacted]"` }

// Addr is host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// String describes the server without the password, for logs.
func (c Config) String() string {
	scheme := "smtp"
	if c.ImplicitTLS {
		scheme = "smtps"
	}
	user := ""
	if c.Username != "" {
		user = c.Username + "@"
	}
	return scheme + "://" + user + c.Addr()
}

// ParseURL parses smtp://[user[:pass]@]host[:port] or smtps://... . Errors
// never repeat the URL, which holds the password.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("not a URL of the form smtp://user:pass@host:port")
	}
	var c Config
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		c.Port = 587
	case "smtps":
		c.Port, c.ImplicitTLS = 465, true
	default:
		return Config{}, fmt.Errorf("scheme %q: want smtp:// (STARTTLS when offered) or smtps:// (implicit TLS)", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Config{}, fmt.Errorf("want smtp://user:pass@host:port with no path or query")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, fmt.Errorf("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("port %q: want 1 to 65535", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		pass, _ := u.User.Password()
		c.Password = Secret(pass)
	}
	return c, nil
}

// ParseFrom checks a sender address ("Name <addr>" or "addr") and returns
// it as a header value.
func ParseFrom(s string) (*mail.Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%q is not an email address", s)
	}
	return a, nil
}
