package dnsname

import "testing"

func TestNormalizeHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"shop.x.com", "shop.x.com"},
		{"SHOP.x.com.", "shop.x.com"},
		{"shop.x.com:443", "shop.x.com"},
		{"Shop.X.com.:8443", "shop.x.com"},
		{"shop.x.com:", "shop.x.com"},
		{"shop.x.com..", "shop.x.com."},        // one dot only
		{"shop.x.com:evil", "shop.x.com:evil"}, // not a port: routes nowhere
		{"[2001:DB8::1]:443", "2001:db8::1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"[2001:db8::1]x", "[2001:db8::1]x"},
		{"[2001:db8::1", "[2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"192.0.2.1:80", "192.0.2.1"},
		{"BÜCHER.de", "bÜcher.de"}, // ASCII only: a U-label matches no route
		{"", ""},
		{".", ""},
		{":443", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeHost(tt.in); got != tt.want {
				t.Errorf("NormalizeHost(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestNormalizeHostNoAlloc holds the hot-path promise: a value that is
// already normal costs no allocation.
func TestNormalizeHostNoAlloc(t *testing.T) {
	for _, h := range []string{"shop.x.com", "shop.x.com:443", "[2001:db8::1]:443"} {
		if n := testing.AllocsPerRun(100, func() { NormalizeHost(h) }); n != 0 {
			t.Errorf("NormalizeHost(%q) allocates %v times", h, n)
		}
	}
}

func TestRegistrableDomain(t *testing.T) {
	tests := []struct{ in, want, reason string }{
		{in: "shop.example-customer.com", want: "example-customer.com"},
		{in: "a.b.example-customer.co.uk", want: "example-customer.co.uk"},
		{in: "a.myshop.github.io", want: "myshop.github.io"},
		{in: "*.shop.x.com", want: "x.com"},
		{in: "Shop.X.COM", want: "x.com"},
		{in: "x.com", want: "x.com"},
		{in: "foo.customer.ck", want: "foo.customer.ck"},
		{in: "xn--bcher-kva.de", want: "xn--bcher-kva.de"},
		{in: "", reason: ReasonEmpty},
		{in: "co.uk", reason: ReasonIsPublicSuffix},
		{in: "github.io", reason: ReasonIsPublicSuffix},
		{in: "com", reason: ReasonIsPublicSuffix},
		{in: "shop.x.com.", reason: ReasonTrailingDot},
		{in: "a..x.com", reason: ReasonEmptyLabel},
		{in: "192.0.2.1", reason: ReasonIPLiteral},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := RegistrableDomain(tt.in)
			if tt.reason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("RegistrableDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Reason != tt.reason {
				t.Fatalf("RegistrableDomain(%q) = %q, %v; want reason %s", tt.in, got, err, tt.reason)
			}
		})
	}
}

// TestICANNTLD pins the PSL facts R13 relies on, so an x/net update that
// changes them fails here rather than in production.
func TestICANNTLD(t *testing.T) {
	tests := []struct {
		tld  string
		want bool
	}{
		{"com", true}, {"uk", true}, {"io", true}, {"dev", true}, {"xn--p1ai", true},
		{"ck", true}, {"er", true}, {"jm", true}, {"mm", true}, {"np", true}, {"pg", true}, // listed only as "*.tld"
		{"corp", false}, {"lan", false}, {"home", false}, {"123", false}, {"test", false},
	}
	for _, tt := range tests {
		if got := isICANNTLD(tt.tld); got != tt.want {
			t.Errorf("isICANNTLD(%q) = %v, want %v", tt.tld, got, tt.want)
		}
	}
}
