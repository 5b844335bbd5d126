package dnsname

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOrigin(t *testing.T) {
	tests := []struct {
		in   string
		want Origin
		str  string // String(), when it differs from in
	}{
		{in: "origin.example.com", want: Origin{Host: "origin.example.com"}},
		{in: "origin.example.com:8080", want: Origin{Host: "origin.example.com", Port: "8080"}},
		{in: "https://origin.example.com:8443", want: Origin{Scheme: "https", Host: "origin.example.com", Port: "8443"}},
		{in: "http://origin.example.com", want: Origin{Scheme: "http", Host: "origin.example.com"}},
		{in: "HTTPS://Origin.Example.COM", want: Origin{Scheme: "https", Host: "origin.example.com"}, str: "https://origin.example.com"},
		{in: "backend", want: Origin{Host: "backend"}},
		{in: "localhost:3000", want: Origin{Host: "localhost", Port: "3000"}},
		{in: "a--b.internal", want: Origin{Host: "a--b.internal"}},
		{in: "192.0.2.10", want: Origin{Host: "192.0.2.10"}},
		{in: "192.0.2.10:65535", want: Origin{Host: "192.0.2.10", Port: "65535"}},
		{in: "http://192.0.2.10:1", want: Origin{Scheme: "http", Host: "192.0.2.10", Port: "1"}},
		{in: "[2001:db8::1]", want: Origin{Host: "2001:db8::1"}},
		{in: "[2001:db8::1]:8443", want: Origin{Host: "2001:db8::1", Port: "8443"}},
		{in: "https://[2001:DB8:0::1]:8443", want: Origin{Scheme: "https", Host: "2001:db8::1", Port: "8443"}, str: "https://[2001:db8::1]:8443"},
		{in: "[::ffff:192.0.2.1]", want: Origin{Host: "::ffff:192.0.2.1"}},
		{in: "xn--bcher-kva.de", want: Origin{Host: "xn--bcher-kva.de"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseOrigin(tt.in)
			if err != nil {
				t.Fatalf("ParseOrigin(%q) = %v", tt.in, err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatalf("ParseOrigin(%q) (-want +got):\n%s", tt.in, d)
			}
			wantStr := tt.in
			if tt.str != "" {
				wantStr = tt.str
			}
			if s := got.String(); s != wantStr {
				t.Errorf("String() = %q, want %q", s, wantStr)
			}
		})
	}
}

func TestParseOriginRefused(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", ReasonEmpty},
		{strings.Repeat("a", 1025), ReasonTooLong},
		{"origin.example.com ", ReasonControlOrSpace},
		{"origin.example.com\x00.evil", ReasonControlOrSpace},
		{"\xffx.com", ReasonNonASCIIInvalidIDN},
		{"ftp://origin.example.com", ReasonBadScheme},
		{"ws://origin.example.com", ReasonBadScheme},
		{"://origin.example.com", ReasonBadScheme},
		{"https://origin.example.com/", ReasonInvalidChar},
		{"https://origin.example.com/path", ReasonInvalidChar},
		{"origin.example.com?q=1", ReasonInvalidChar},
		{"origin.example.com#f", ReasonInvalidChar},
		{"https://user:pw@origin.example.com", ReasonInvalidChar},
		{`origin.example.com\x`, ReasonInvalidChar},
		{"origin.example.com:0", ReasonBadPort},
		{"origin.example.com:65536", ReasonBadPort},
		{"origin.example.com:08443", ReasonBadPort},
		{"origin.example.com:", ReasonBadPort},
		{"origin.example.com:+80", ReasonBadPort},
		{"origin.example.com:http", ReasonBadPort},
		{"origin.example.com:99999999999999999999", ReasonBadPort},
		{"[2001:db8::1]:", ReasonBadPort},
		{"[2001:db8::1]:0", ReasonBadPort},
		{"2001:db8::1", ReasonInvalidHostname},
		{"a:b:c", ReasonInvalidChar},
		{"[2001:db8::1", ReasonInvalidHostname},
		{"[2001:db8::1]x", ReasonInvalidChar},
		{"[192.0.2.1]", ReasonInvalidHostname},
		{"[fe80::1%25eth0]", ReasonInvalidHostname},
		{"[origin.example.com]", ReasonInvalidHostname},
		{"https://", ReasonInvalidHostname},
		{":443", ReasonInvalidHostname},
		{"origin.example.com.", ReasonInvalidHostname},
		{"origin..example.com", ReasonInvalidHostname},
		{"-origin.example.com", ReasonInvalidHostname},
		{"origin-.example.com", ReasonInvalidHostname},
		{"my_origin.example.com", ReasonInvalidHostname},
		{strings.Repeat("a", 64) + ".com", ReasonInvalidHostname},
		{strings.Repeat("a.", 127) + "com", ReasonInvalidHostname},
		{"127.1", ReasonInvalidHostname},
		{"2130706433", ReasonInvalidHostname},
		{"192.0.2.010", ReasonInvalidHostname},
		{"*.example.com", ReasonInvalidChar},
		{"orig!n.example.com", ReasonInvalidChar},
		{"bücher.de", ReasonNonASCII},
		{"https://bücher.de:8443", ReasonNonASCII},
		{"exa\u200bmple.com", ReasonNonASCIIInvalidIDN},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			o, err := ParseOrigin(tt.in)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("ParseOrigin(%q) = %+v, %v; want reason %s", tt.in, o, err, tt.reason)
			}
			if e.Reason != tt.reason || e.Input != tt.in || e.Hint == "" && tt.reason != ReasonEmpty {
				t.Fatalf("ParseOrigin(%q) error = %+v, want reason %s with a hint", tt.in, *e, tt.reason)
			}
		})
	}
}

func TestParseOriginHintForNonASCII(t *testing.T) {
	_, err := ParseOrigin("https://bücher.de:8443")
	want := &Error{Input: "https://bücher.de:8443", Reason: ReasonNonASCII, Hint: `use the A-label "xn--bcher-kva.de"`}
	if d := cmp.Diff(want, err); d != "" {
		t.Errorf("ParseOrigin error (-want +got):\n%s", d)
	}
}
