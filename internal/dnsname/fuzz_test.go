package dnsname

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

var canonicalRE = regexp.MustCompile(`^(\*\.)?[a-z0-9.-]{1,253}$`)

// FuzzParse checks the properties every accepted name must have, seeded from
// the corpus: no panic; the canonical form is lowercase LDH; Parse is
// idempotent on it; it is what IDNA2008 registration would produce and has a
// registrable domain; every refusal is an *Error with a known reason.
func FuzzParse(f *testing.F) {
	for _, c := range loadCorpus(f) {
		f.Add(c.Input)
	}
	for _, s := range []string{"*.x.com", "xn--ls8h.la", "a.b.c.d.e.f.g.h.i.j", "[::1]:443", "shop.x.com.", "www.ck"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		n, err := Parse(input, corpusPolicy)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Input != input || !slices.Contains(allReasons, e.Reason) {
				t.Fatalf("Parse(%q) error = %#v", input, err)
			}
			_ = e.Error()
			return
		}
		s := n.String()
		if !canonicalRE.MatchString(s) || len(s) > maxName {
			t.Fatalf("Parse(%q) = %q, not canonical", input, s)
		}
		if s != strings.ToLower(input) {
			t.Fatalf("Parse(%q) = %q, changed more than ASCII case", input, s)
		}
		again, err := Parse(s, corpusPolicy)
		if err != nil || again != n {
			t.Fatalf("Parse(%q) = %q, %v; not idempotent", s, again, err)
		}
		base := n.Base()
		if a, err := idna.Registration.ToASCII(base); err != nil || a != base {
			t.Fatalf("accepted %q, but idna.Registration gives %q, %v", s, a, err)
		}
		if _, err := publicsuffix.EffectiveTLDPlusOne(base); err != nil {
			t.Fatalf("accepted %q without an eTLD+1: %v", s, err)
		}
		if _, err := netip.ParseAddr(base); err == nil {
			t.Fatalf("accepted IP %q", s)
		}
	})
}

// FuzzParseOrigin checks that ParseOrigin never panics, that refusals are
// *Error, and that an accepted origin round-trips through String.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{
		"origin.example.com", "https://origin.example.com:8443", "http://192.0.2.1", "[2001:db8::1]:8443",
		"https://[::ffff:192.0.2.1]", "user@x.com", "x.com:0", "2001:db8::1", "bücher.de", "backend",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		o, err := ParseOrigin(input)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Input != input || !slices.Contains(allReasons, e.Reason) {
				t.Fatalf("ParseOrigin(%q) error = %#v", input, err)
			}
			return
		}
		if o.Host == "" || o.Host != strings.ToLower(o.Host) || o.Scheme != "" && o.Scheme != "http" && o.Scheme != "https" {
			t.Fatalf("ParseOrigin(%q) = %+v", input, o)
		}
		again, err := ParseOrigin(o.String())
		if err != nil || again != o {
			t.Fatalf("ParseOrigin(%q) = %+v; String %q parses to %+v, %v", input, o, o.String(), again, err)
		}
	})
}

// FuzzNormalizeHost checks that NormalizeHost is idempotent on what it
// returns for names (a second pass must not strip a second dot or port).
func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{"SHOP.x.com.:443", "[2001:db8::1]:443", "shop.x.com..", "a:1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		n := NormalizeHost(h)
		if n != strings.ToLower(n) && isASCII(n) {
			t.Fatalf("NormalizeHost(%q) = %q, not lowercase", h, n)
		}
		if len(n) > len(h) {
			t.Fatalf("NormalizeHost(%q) = %q grew", h, n)
		}
	})
}
