package verify

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestHTTPToken(t *testing.T) {
	redirect := func(f *fixture, to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, strings.ReplaceAll(to, "PORT", fmt.Sprint(f.port)), http.StatusFound)
		}
	}
	fetchErr := func(why string) string { return "HTTP token at " + shopURL + " could not be fetched: " + why }
	tests := []struct {
		name    string
		setup   func(f *fixture)
		tweak   func(*Config)
		want    Outcome
		wantMsg string // the HTTP message, when not proven
	}{
		{"good", func(f *fixture) { f.serveBody(shop, tokenPath, shopToken) }, nil, Proven, ""},
		{"trailing newline", func(f *fixture) { f.serveBody(shop, tokenPath, shopToken+"\r\n") }, nil, Proven, ""},
		{"leading space", func(f *fixture) { f.serveBody(shop, tokenPath, " "+shopToken) }, nil, NotProven,
			"HTTP token at " + shopURL + " does not match: found 37 bytes, expected the ownership token"},
		{"upper case", func(f *fixture) { f.serveBody(shop, tokenPath, strings.ToUpper(shopToken)) }, nil, NotProven,
			"HTTP token at " + shopURL + " does not match: found 36 bytes, expected the ownership token"},
		{"another hostname's token", func(f *fixture) { f.serveBody(shop, tokenPath, otherToken) }, nil, NotProven,
			"HTTP token at " + shopURL + " does not match: found 36 bytes, expected the ownership token"},
		{"404", func(f *fixture) {}, nil, NotProven, msg404},
		{"500 with the token", func(f *fixture) {
			f.handle(shop, tokenPath, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(shopToken))
			})
		}, nil, NotProven, "HTTP token at " + shopURL + " not found: status 500, expected 200 with the ownership token"},
		{"too big", func(f *fixture) { f.serveBody(shop, tokenPath, shopToken+strings.Repeat(" ", 5000)) }, nil, NotProven,
			"HTTP token at " + shopURL + " is too large: more than 4096 bytes, expected the ownership token"},
		{"redirect on the same host", func(f *fixture) {
			f.handle(shop, tokenPath, redirect(f, "/token.txt"))
			f.serveBody(shop, "/token.txt", shopToken)
		}, nil, Proven, ""},
		{"redirect to another host", func(f *fixture) {
			f.dns.SetA("www.acme-store.com", "127.0.0.1")
			f.handle(shop, tokenPath, redirect(f, "http://www.acme-store.com:PORT/t"))
			f.serveBody("www.acme-store.com", "/t", shopToken)
		}, nil, Proven, ""},
		{"three redirects", func(f *fixture) {
			f.handle(shop, tokenPath, redirect(f, "/1"))
			f.handle(shop, "/1", redirect(f, "/2"))
			f.handle(shop, "/2", redirect(f, "/3"))
			f.serveBody(shop, "/3", shopToken)
		}, nil, Proven, ""},
		{"four redirects", func(f *fixture) {
			f.handle(shop, tokenPath, redirect(f, "/1"))
			f.handle(shop, "/1", redirect(f, "/2"))
			f.handle(shop, "/2", redirect(f, "/3"))
			f.handle(shop, "/3", redirect(f, "/4"))
			f.serveBody(shop, "/4", shopToken)
		}, nil, NotProven, fetchErr("more than 3 redirects")},
		{"redirect loop", func(f *fixture) { f.handle(shop, tokenPath, redirect(f, tokenPath)) }, nil, NotProven, fetchErr("more than 3 redirects")},
		{"redirect to another scheme", func(f *fixture) { f.handle(shop, tokenPath, redirect(f, "ftp://shop.acme-store.com/token")) }, nil, NotProven,
			fetchErr("redirect refused: only http and https on ports 80 and 443 are followed")},
		{"redirect to another port", func(f *fixture) { f.handle(shop, tokenPath, redirect(f, "http://shop.acme-store.com:1/t")) }, nil, NotProven,
			fetchErr("redirect refused: only http and https on ports 80 and 443 are followed")},
		{"slow", func(f *fixture) {
			f.handle(shop, tokenPath, func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				_, _ = w.Write([]byte(shopToken))
			})
		}, nil, NotProven, fetchErr("no answer within 200ms")},
		{"private address refused", func(f *fixture) { f.serveBody(shop, tokenPath, shopToken) },
			func(c *Config) { c.AllowPrivateNetworks = false }, NotProven,
			fetchErr("the name resolves only to private or reserved addresses")},
		{"user agent on every request", func(f *fixture) {
			check := func(next http.HandlerFunc) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("User-Agent") != DefaultUserAgent {
						http.Error(w, "bad agent", http.StatusForbidden)
						return
					}
					next(w, r)
				}
			}
			f.handle(shop, tokenPath, check(redirect(f, "/t")))
			f.handle(shop, "/t", check(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(shopToken)) }))
		}, nil, Proven, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.tweak)
			f.dns.SetA(shop, "127.0.0.1")
			tt.setup(f)
			got := f.checker.Check(context.Background(), zone, hostname(shop, shopToken))
			if got.Outcome != tt.want {
				t.Fatalf("Outcome %s, want %s; errors %q", got.Outcome, tt.want, got.Errors)
			}
			if got.Outcome == Proven && got.Method != MethodHTTP {
				t.Errorf("Method %q, want http", got.Method)
			}
			if tt.wantMsg != "" && (len(got.Errors) == 0 || got.Errors[len(got.Errors)-1] != tt.wantMsg) {
				t.Errorf("errors %q\nwant last %q", got.Errors, tt.wantMsg)
			}
		})
	}
}

// TestHTTPResolvesThroughResolver: the token fetch looks the name up in the
// configured DNS (there is no other place shop.acme-store.com exists), and a
// lookup failure there is "could not check".
func TestHTTPResolvesThroughResolver(t *testing.T) {
	f := newFixture(t, nil)
	f.dns.SetA(shop, "127.0.0.1")
	f.serveBody(shop, tokenPath, shopToken)
	if got := f.checker.Check(context.Background(), zone, hostname(shop, shopToken)); got.Method != MethodHTTP {
		t.Fatalf("got %s %q, want proven by http", got.Outcome, got.Errors)
	}

	// A and AAAA fail; the CNAME and TXT lookups still answer.
	f.dns.SetMutate(shop, func(m *dns.Msg) {
		if t := m.Question[0].Qtype; t == dns.TypeA || t == dns.TypeAAAA {
			m.Answer, m.Rcode = nil, dns.RcodeServerFailure
		}
	})
	got := f.checker.Check(context.Background(), zone, hostname(shop, shopToken))
	if got.Outcome != Unknown || got.Pointing != PointingUnknown {
		t.Errorf("got %s/%s, want unknown/unknown; errors %q", got.Outcome, got.Pointing, got.Errors)
	}
	want := "could not check the HTTP token at " + shopURL + ": the DNS server answered SERVFAIL; it will be checked again"
	if last := got.Errors[len(got.Errors)-1]; last != want {
		t.Errorf("last error %q, want %q", last, want)
	}
}

func TestTokenURL(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.HTTPPort = 0 })
	h := hostname("*."+shop, shopToken)
	if got := f.checker.tokenURL(h); got != shopURL {
		t.Errorf("tokenURL %q, want %q", got, shopURL)
	}
	f = newFixture(t, func(c *Config) { c.HTTPPort = 8080 })
	if got, want := f.checker.tokenURL(h), "http://shop.acme-store.com:8080"+tokenPath; got != want {
		t.Errorf("tokenURL %q, want %q", got, want)
	}
}
