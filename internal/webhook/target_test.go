package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
)

func TestParseURL(t *testing.T) {
	prod, dev, lab := Network{}, Network{AllowHTTP: true}, Network{AllowPrivate: true}
	tests := []struct {
		name string
		n    Network
		in   string
		want string // "" means refused
	}{
		{"https", prod, "https://Hooks.Example.COM/portico/in?tenant=A&x=%2F", "https://hooks.example.com/portico/in?tenant=A&x=%2F"},
		{"https with port, no path", prod, "HTTPS://hooks.example.com:8443", "https://hooks.example.com:8443/"},
		{"public IPv4 routable", prod, "https://8.8.8.8/h", "https://8.8.8.8/h"},
		{"IPv6 public", prod, "https://[2606:4700:4700::1111]/h", "https://[2606:4700:4700::1111]/h"},
		{"http", prod, "http://hooks.example.com/h", ""},
		{"http even when allowed", dev, "http://hooks.example.com/h", ""},
		{"http to loopback when allowed", dev, "http://127.0.0.1:8080/h", "http://127.0.0.1:8080/h"},
		{"http to localhost when allowed", dev, "http://LOCALHOST:8080/h", "http://localhost:8080/h"},
		{"https to loopback when allowed", dev, "https://[::1]:8443/h", "https://[::1]:8443/h"},
		{"loopback", prod, "https://127.0.0.1/h", ""},
		{"localhost", prod, "https://localhost/h", ""},
		{"under localhost", prod, "https://a.localhost/h", ""},
		{"private", prod, "https://10.1.2.3/h", ""},
		{"private in a lab", lab, "https://10.1.2.3/h", "https://10.1.2.3/h"},
		{"CGNAT in a lab", lab, "https://100.64.0.1/h", "https://100.64.0.1/h"},
		{"metadata service even in a lab", lab, "https://169.254.169.254/latest/meta-data", ""},
		{"mapped metadata", lab, "https://[::ffff:169.254.169.254]/", ""},
		{"unspecified", lab, "https://0.0.0.0/", ""},
		{"credentials", prod, "https://user:pass@hooks.example.com/", ""},
		{"fragment", prod, "https://hooks.example.com/#x", ""},
		{"empty fragment", prod, "https://hooks.example.com/#", ""},
		{"ftp", prod, "ftp://hooks.example.com/", ""},
		{"javascript", prod, "javascript:alert(1)", ""},
		{"relative", prod, "/hooks", ""},
		{"no host", prod, "https:///hooks", ""},
		{"bad host", prod, "https://hooks_1.example.com/", ""},
		{"bad port", prod, "https://hooks.example.com:99999/", ""},
		{"empty", prod, "", ""},
		{"control character", prod, "https://hooks.example.com/\x00", ""},
		{"too long", prod, "https://hooks.example.com/" + string(make([]byte, MaxURLLength)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.n.ParseURL(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseURL(%q) = %q, want a refusal", tt.in, got)
				}
				if e := core.AsError(err); e.Kind != core.KindInvalid || e.Reason != ReasonInvalidURL || e.Public == "" {
					t.Errorf("refusal %#v, want KindInvalid %s with a message", e, ReasonInvalidURL)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestControlRefusesAtDial: the address policy holds at connect time,
// whatever name led there.
func TestControlRefusesAtDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, tt := range []struct {
		n       Network
		allowed bool
	}{{Network{}, false}, {Network{AllowPrivate: true}, false}, {Network{AllowHTTP: true}, true}} {
		d := net.Dialer{ControlContext: tt.n.control}
		c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if tt.allowed {
			if err != nil {
				t.Errorf("%+v: dial: %v", tt.n, err)
			} else {
				c.Close()
			}
			continue
		}
		if !errors.Is(err, ErrAddressNotAllowed) {
			t.Errorf("%+v: dial = %v, want ErrAddressNotAllowed", tt.n, err)
		} else if got := describe(err, time.Second); got != "refused: address not allowed for webhooks: 127.0.0.1 is loopback" {
			t.Errorf("described as %q", got)
		}
	}
}

func TestAllowAddr(t *testing.T) {
	tests := []struct {
		addr                 string
		prod, dev, lab, both bool
	}{
		{"8.8.8.8", true, true, true, true},
		{"2606:4700:4700::1111", true, true, true, true},
		{"127.0.0.1", false, true, false, true},
		{"::1", false, true, false, true},
		{"10.0.0.1", false, false, true, true},
		{"192.168.1.1", false, false, true, true},
		{"fd00::1", false, false, true, true},
		{"100.100.100.200", false, false, true, true},
		{"169.254.169.254", false, false, false, false},
		{"fe80::1", false, false, false, false},
		{"0.0.0.0", false, false, false, false},
		{"224.0.0.1", false, false, false, false},
		{"::ffff:10.0.0.1", false, false, true, true},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		got := [4]bool{Network{}.allowAddr(a), Network{AllowHTTP: true}.allowAddr(a),
			Network{AllowPrivate: true}.allowAddr(a), Network{AllowHTTP: true, AllowPrivate: true}.allowAddr(a)}
		if want := [4]bool{tt.prod, tt.dev, tt.lab, tt.both}; got != want {
			t.Errorf("%s: allowed %v, want %v (prod, dev, lab, both)", tt.addr, got, want)
		}
	}
}
