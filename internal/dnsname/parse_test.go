package dnsname

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseRules has cases of our own for each rule, beyond the corpus. All
// use the corpus policy (wildcards on, two provider zones).
func TestParseRules(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	name253 := strings.Join([]string{label63, label63, label63, strings.Repeat("b", 57)}, ".") + ".com"
	tests := []struct {
		name, input, canonical, reason string
	}{
		// R1
		{name: "R1 too long", input: strings.Repeat("a", 1025), reason: ReasonTooLong},
		{name: "R1 1024 bytes is parsed", input: strings.Repeat("a.", 511) + "ab", reason: ReasonNameTooLong},
		{name: "R1 invalid UTF-8", input: "shop\xff.example.com", reason: ReasonNonASCIIInvalidIDN},
		{name: "R1 before R2", input: "\xff ", reason: ReasonNonASCIIInvalidIDN},
		// R2
		{name: "R2 leading space", input: " shop.x.com", reason: ReasonControlOrSpace},
		{name: "R2 trailing space", input: "shop.x.com ", reason: ReasonControlOrSpace},
		{name: "R2 tab", input: "shop\t.x.com", reason: ReasonControlOrSpace},
		{name: "R2 CR", input: "shop.x.com\r", reason: ReasonControlOrSpace},
		{name: "R2 DEL", input: "shop\x7f.x.com", reason: ReasonControlOrSpace},
		{name: "R2 NBSP", input: "shop\u00a0.x.com", reason: ReasonControlOrSpace},
		{name: "R2 NEL", input: "shop.x.com\u0085", reason: ReasonControlOrSpace},
		{name: "R2 line separator", input: "shop.x.com\u2028", reason: ReasonControlOrSpace},
		{name: "R2 ideographic space", input: "shop\u3000x.com", reason: ReasonControlOrSpace},
		{name: "R2 before R4", input: "https://shop.x.com /", reason: ReasonControlOrSpace},
		// R3
		{name: "R3 umlaut", input: "bücher.de", reason: ReasonNonASCII},
		{name: "R3 uppercase non-ASCII", input: "BÜCHER.de", reason: ReasonNonASCIIInvalidIDN},
		{name: "R3 soft hyphen", input: "ex\u00adample.com", reason: ReasonNonASCIIInvalidIDN},
		{name: "R3 RTL override", input: "\u202eshop.x.com", reason: ReasonNonASCIIInvalidIDN},
		{name: "R3 fullwidth dot", input: "shop\uff0ex.com", reason: ReasonNonASCIIInvalidIDN},
		{name: "R3 fullwidth letters", input: "ｓｈｏｐ.x.com", reason: ReasonNonASCIIInvalidIDN},
		{name: "R3 ZWJ", input: "a\u200db.com", reason: ReasonNonASCIIInvalidIDN},
		{name: "R3 before R4", input: "https://bücher.de/", reason: ReasonNonASCIIInvalidIDN},
		// R4
		{name: "R4 scheme", input: "https://shop.x.com", reason: ReasonInvalidChar},
		{name: "R4 path", input: "shop.x.com/a", reason: ReasonInvalidChar},
		{name: "R4 query", input: "shop.x.com?a", reason: ReasonInvalidChar},
		{name: "R4 fragment", input: "shop.x.com#a", reason: ReasonInvalidChar},
		{name: "R4 backslash", input: `shop.x.com\a`, reason: ReasonInvalidChar},
		{name: "R4 brackets", input: "[shop.x.com]", reason: ReasonInvalidChar},
		{name: "R4 CF 1407 specials", input: "sh!op.x.com", reason: ReasonInvalidChar},
		{name: "R4 comma", input: "a.com,b.com", reason: ReasonInvalidChar},
		{name: "R4 quote", input: `"shop.x.com"`, reason: ReasonInvalidChar},
		// R5
		{name: "R5 lowercase", input: "SHOP.Example-Customer.Com", canonical: "shop.example-customer.com"},
		{name: "R5 uppercase A-label", input: "Xn--Pple-43D.COM", canonical: "xn--pple-43d.com"},
		// R6
		{name: "R6 trailing dot", input: "Shop.x.com.", reason: ReasonTrailingDot},
		{name: "R6 two trailing dots", input: "shop.x.com..", reason: ReasonTrailingDot},
		{name: "R6 dot only", input: ".", reason: ReasonTrailingDot},
		// R7
		{name: "R7 IPv4", input: "203.0.113.7", reason: ReasonIPLiteral},
		{name: "R7 IPv4 port", input: "203.0.113.7:443", reason: ReasonIPLiteral},
		{name: "R7 IPv4 trailing dot", input: "203.0.113.7.", reason: ReasonIPLiteral},
		{name: "R7 bracketed v6", input: "[2001:db8::1]", reason: ReasonIPLiteral},
		{name: "R7 bracketed v6 port", input: "[2001:db8::1]:443", reason: ReasonIPLiteral},
		{name: "R7 v6 zone", input: "fe80::1%eth0", reason: ReasonIPLiteral},
		{name: "R7 v4-mapped", input: "::ffff:192.0.2.1", reason: ReasonIPLiteral},
		{name: "R7 uppercase v6", input: "2001:DB8::1", reason: ReasonIPLiteral},
		{name: "R7 wildcard over IP", input: "*.192.0.2.1", reason: ReasonIPLiteral},
		{name: "R7 leading zeros is not netip", input: "01.2.3.4", reason: ReasonUnknownTLD},
		// R8
		{name: "R8 wildcard ok", input: "*.Shop.x.com", canonical: "*.shop.x.com"},
		{name: "R8 inner wildcard", input: "a.*.x.com", reason: ReasonBadWildcard},
		{name: "R8 trailing wildcard", input: "x.com.*", reason: ReasonBadWildcard},
		{name: "R8 partial label", input: "a*.x.com", reason: ReasonBadWildcard},
		{name: "R8 on TLD", input: "*.com", reason: ReasonWildcardOnPublicSuffix},
		{name: "R8 on private suffix", input: "*.github.io", reason: ReasonWildcardOnPublicSuffix},
		{name: "R8 on unknown TLD", input: "*.corp", reason: ReasonWildcardOnPublicSuffix},
		{name: "R8 under private suffix", input: "*.myshop.github.io", canonical: "*.myshop.github.io"},
		{name: "R8 before R10", input: "*.-a.x.com", reason: ReasonHyphenEdge},
		// R9
		{name: "R9 253 octets", input: name253, canonical: name253},
		{name: "R9 254 octets", input: "a" + name253, reason: ReasonNameTooLong},
		{name: "R9 wildcard counts", input: "*." + name253, reason: ReasonNameTooLong},
		{name: "R9 one label", input: "com", reason: ReasonTooFewLabels},
		{name: "R9 10 labels with wildcard", input: "*.b.c.d.e.f.g.h.x.com", canonical: "*.b.c.d.e.f.g.h.x.com"},
		{name: "R9 11 labels with wildcard", input: "*.b.c.d.e.f.g.h.i.x.com", reason: ReasonTooManyLabels},
		{name: "R9 before R10", input: "a..b.c.d.e.f.g.h.i.x.com", reason: ReasonTooManyLabels},
		// R10
		{name: "R10 63-octet label", input: label63 + ".com", canonical: label63 + ".com"},
		{name: "R10 64-octet label", input: label63 + "a.com", reason: ReasonLabelTooLong},
		{name: "R10 double dot", input: "a..x.com", reason: ReasonEmptyLabel},
		{name: "R10 leading dot", input: ".x.com", reason: ReasonEmptyLabel},
		{name: "R10 trailing hyphen", input: "a-.x.com", reason: ReasonHyphenEdge},
		{name: "R10 hyphen TLD", input: "a.com-", reason: ReasonHyphenEdge},
		{name: "R10 digits", input: "123.x.com", canonical: "123.x.com"},
		{name: "R10 rule before R11", input: "_a.-b.com", reason: ReasonHyphenEdge},
		// R11
		{name: "R11 leading underscore", input: "_dmarc.x.com", reason: ReasonUnderscore},
		{name: "R11 underscore in TLD", input: "x.c_m", reason: ReasonUnderscore},
		// R12
		{name: "R12 emoji A-label", input: "xn--ls8h.la", canonical: "xn--ls8h.la"},
		{name: "R12 xn-- in a subdomain", input: "xn--bcher-kva.example-customer.com", canonical: "xn--bcher-kva.example-customer.com"},
		{name: "R12 other R-LDH", input: "zz--a.x.com", reason: ReasonReservedLDH},
		{name: "R12 R-LDH in TLD", input: "x.ab--c", reason: ReasonReservedLDH},
		{name: "R12 ASCII-only punycode", input: "xn--abc-.com", reason: ReasonHyphenEdge},
		{name: "R12 ZWJ outside a joining context", input: "xn--ab-m1t.com", reason: ReasonBadPunycode},
		{name: "R12 decodes to uppercase", input: "xn--wca.com", reason: ReasonBadPunycode},
		{name: "R12 not NFC", input: "xn--a-xbb.com", reason: ReasonBadPunycode},
		{name: "R12 NFC form is fine", input: "xn--1ca.com", canonical: "xn--1ca.com"},
		{name: "R12 undecodable", input: "xn--zzzzzzzzzzzz.com", reason: ReasonBadPunycode},
		{name: "R12 underscore decoded", input: "xn--a_b-dma.com", reason: ReasonUnderscore},
		{name: "R12 bidi rule across labels", input: "xn--mgbh0fb.123.com", reason: ReasonBadPunycode},
		{name: "R12 RTL name", input: "xn--mgbh0fb.xn--mgbh0fb.com", canonical: "xn--mgbh0fb.xn--mgbh0fb.com"},
		{name: "R12 disallowed rune", input: "xn--a.x.com", reason: ReasonBadPunycode},
		// R13
		{name: "R13 new gTLD", input: "shop.example-customer.dev", canonical: "shop.example-customer.dev"},
		{name: "R13 IDN ccTLD", input: "xn--e1afmkfd.xn--p1ai", canonical: "xn--e1afmkfd.xn--p1ai"},
		{name: "R13 wildcard-only ccTLD", input: "shop.customer.ck", canonical: "shop.customer.ck"},
		{name: "R13 unknown", input: "shop.x.notatld", reason: ReasonUnknownTLD},
		{name: "R13 lan", input: "printer.lan", reason: ReasonUnknownTLD},
		// R14
		{name: "R14 onion", input: "abc.onion", reason: ReasonReservedTLD},
		{name: "R14 localhost", input: "app.localhost", reason: ReasonReservedTLD},
		{name: "R14 local", input: "printer.local", reason: ReasonReservedTLD},
		{name: "R14 alt", input: "x.alt", reason: ReasonReservedTLD},
		{name: "R14 invalid", input: "x.invalid", reason: ReasonReservedTLD},
		{name: "R14 example TLD", input: "x.example", reason: ReasonReservedTLD},
		{name: "R14 in-addr.arpa", input: "1.2.0.192.in-addr.arpa", reason: ReasonReservedTLD},
		{name: "R14 example.com itself", input: "example.com", reason: ReasonReservedDomain},
		{name: "R14 example.net", input: "a.b.example.net", reason: ReasonReservedDomain},
		{name: "R14 example.org wildcard", input: "*.example.org", reason: ReasonReservedDomain},
		{name: "R14 lookalike is fine", input: "myexample.com", canonical: "myexample.com"},
		// R15
		{name: "R15 private suffix", input: "github.io", reason: ReasonIsPublicSuffix},
		{name: "R15 ICANN second level", input: "ac.uk", reason: ReasonIsPublicSuffix},
		{name: "R15 wildcard rule", input: "anything.ck", reason: ReasonIsPublicSuffix},
		{name: "R15 exception rule", input: "www.ck", canonical: "www.ck"},
		// R16
		{name: "R16 deep under provider", input: "a.b.saas-edge.net", reason: ReasonProviderZone},
		{name: "R16 wildcard provider", input: "*.saasprovider.com", reason: ReasonProviderZone},
		{name: "R16 suffix lookalike", input: "notsaasprovider.com", canonical: "notsaasprovider.com"},
		{name: "R16 sibling", input: "saasprovider.co.uk", canonical: "saasprovider.co.uk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkParse(t, tt.input, corpusPolicy, tt.reason == "", tt.canonical, tt.reason)
		})
	}
}

// TestParsePolicy covers the zone settings: wildcards off, provider domains
// absent or written carelessly.
func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name, input       string
		p                 Policy
		canonical, reason string
	}{
		{name: "wildcard off", input: "*.shop.x.com", p: Policy{}, reason: ReasonWildcardNotAllowed},
		{name: "wildcard off, malformed wins", input: "*a.x.com", p: Policy{}, reason: ReasonBadWildcard},
		{name: "wildcard off, suffix wins", input: "*.co.uk", p: Policy{}, reason: ReasonWildcardOnPublicSuffix},
		{name: "wildcard off, plain name", input: "shop.x.com", p: Policy{}, canonical: "shop.x.com"},
		{name: "no provider domains", input: "app.saasprovider.com", p: Policy{}, canonical: "app.saasprovider.com"},
		{name: "provider domain uppercase", input: "app.saasprovider.com", p: Policy{ProviderDomains: []string{"SaaSProvider.COM."}}, reason: ReasonProviderZone},
		{name: "empty provider domain ignored", input: "shop.x.com", p: Policy{ProviderDomains: []string{""}}, canonical: "shop.x.com"},
		{name: "provider is a deeper zone", input: "x.customers.saas-edge.net", p: Policy{ProviderDomains: []string{"customers.saas-edge.net"}}, reason: ReasonProviderZone},
		{name: "provider deeper, parent free", input: "saas-edge.net", p: Policy{ProviderDomains: []string{"customers.saas-edge.net"}}, canonical: "saas-edge.net"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkParse(t, tt.input, tt.p, tt.reason == "", tt.canonical, tt.reason)
		})
	}
}

func TestName(t *testing.T) {
	w, err := Parse("*.Shop.x.com", corpusPolicy)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Parse("shop.x.com", corpusPolicy)
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		String, Base string
		Wildcard     bool
	}
	got := []view{{w.String(), w.Base(), w.IsWildcard()}, {n.String(), n.Base(), n.IsWildcard()}, {Name{}.String(), Name{}.Base(), Name{}.IsWildcard()}}
	want := []view{{"*.shop.x.com", "shop.x.com", true}, {"shop.x.com", "shop.x.com", false}, {"", "", false}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Name accessors (-want +got):\n%s", d)
	}
}

// TestErrorHints holds the hints fixed where the user depends on them: the
// A-label for non-ASCII input and the canonical form for a trailing dot.
func TestErrorHints(t *testing.T) {
	tests := []struct {
		input string
		want  Error
	}{
		{"bücher.de", Error{Input: "bücher.de", Reason: ReasonNonASCII, Hint: `use the A-label "xn--bcher-kva.de"`}},
		{"faß.de", Error{Input: "faß.de", Reason: ReasonNonASCII, Hint: `use the A-label "xn--fa-hia.de"`}},
		{"Bücher.DE.", Error{Input: "Bücher.DE.", Reason: ReasonNonASCII, Hint: `use the A-label "xn--bcher-kva.de"`}},
		{"*.bücher.de", Error{Input: "*.bücher.de", Reason: ReasonNonASCII, Hint: `use the A-label "*.xn--bcher-kva.de"`}},
		{"💩.la", Error{Input: "💩.la", Reason: ReasonNonASCII, Hint: `use the A-label "xn--ls8h.la"`}},
		{"example。com", Error{Input: "example。com", Reason: ReasonNonASCIIInvalidIDN, Hint: "replace U+3002 with an ASCII dot"}},
		{"exa\u200bmple.com", Error{Input: "exa\u200bmple.com", Reason: ReasonNonASCIIInvalidIDN, Hint: "remove the invisible character U+200B"}},
		{"Shop.X.com.", Error{Input: "Shop.X.com.", Reason: ReasonTrailingDot, Hint: `use "shop.x.com"`}},
		{"shop.x.test.", Error{Input: "shop.x.test.", Reason: ReasonTrailingDot, Hint: "remove the trailing dot"}},
		{"shop.x.com:443", Error{Input: "shop.x.com:443", Reason: ReasonInvalidChar, Hint: "remove the port; enter the hostname only"}},
		{"https://shop.x.com/", Error{Input: "https://shop.x.com/", Reason: ReasonInvalidChar, Hint: "enter the hostname only, without a scheme such as https://"}},
		{"shop.x.com\n", Error{Input: "shop.x.com\n", Reason: ReasonControlOrSpace, Hint: "remove U+000A; the input is never trimmed"}},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			_, err := Parse(tt.input, corpusPolicy)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse(%q) error = %v, want *Error", tt.input, err)
			}
			if d := cmp.Diff(tt.want, *e); d != "" {
				t.Errorf("Parse(%q) error (-want +got):\n%s", tt.input, d)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"with hint", &Error{Input: "bücher.de", Reason: ReasonNonASCII, Hint: `use the A-label "xn--bcher-kva.de"`},
			`invalid hostname "bücher.de": non-ASCII characters (reason non_ascii); use the A-label "xn--bcher-kva.de"`},
		{"control bytes quoted", &Error{Input: "a\x00b\n", Reason: ReasonControlOrSpace},
			`invalid hostname "a\x00b\n": whitespace or control character (reason control_or_space)`},
		{"long input clipped", &Error{Input: strings.Repeat("é", 100), Reason: ReasonTooLong},
			`invalid hostname "` + strings.Repeat("é", 64) + `"... (200 bytes): input longer than 1024 bytes (reason too_long)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestEveryReasonDescribed keeps describe in step with the constants.
func TestEveryReasonDescribed(t *testing.T) {
	for _, r := range allReasons {
		if describe(r) == "invalid" {
			t.Errorf("reason %q has no description", r)
		}
	}
}

var allReasons = []string{
	ReasonEmpty, ReasonTooLong, ReasonControlOrSpace, ReasonNonASCII, ReasonNonASCIIInvalidIDN, ReasonInvalidChar,
	ReasonTrailingDot, ReasonIPLiteral, ReasonBadWildcard, ReasonWildcardOnPublicSuffix, ReasonWildcardNotAllowed,
	ReasonNameTooLong, ReasonTooFewLabels, ReasonTooManyLabels, ReasonEmptyLabel, ReasonLabelTooLong, ReasonHyphenEdge,
	ReasonUnderscore, ReasonReservedLDH, ReasonBadPunycode, ReasonUnknownTLD, ReasonReservedTLD, ReasonReservedDomain,
	ReasonIsPublicSuffix, ReasonProviderZone, ReasonBadScheme, ReasonBadPort, ReasonInvalidHostname,
}
