package verify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/porticohq/portico/internal/testkit/dnstest"
)

func TestPublicAddr(t *testing.T) {
	tests := map[string]bool{
		"8.8.8.8":              true,
		"2606:4700::1111":      true,
		"192.0.2.1":            true, // documentation, but routable as far as the dialer can tell
		"127.0.0.1":            false,
		"10.1.2.3":             false,
		"172.16.0.1":           false,
		"192.168.1.1":          false,
		"100.64.0.1":           false,
		"169.254.169.254":      false, // cloud metadata
		"0.0.0.0":              false,
		"0.1.2.3":              false,
		"255.255.255.255":      false,
		"224.0.0.1":            false,
		"198.18.0.1":           false,
		"240.0.0.1":            false,
		"192.0.0.8":            false,
		"::1":                  false,
		"::":                   false,
		"fe80::1":              false,
		"fd00::1":              false,
		"ff02::1":              false,
		"::ffff:127.0.0.1":     false,
		"::ffff:169.254.1.1":   false,
		"::ffff:93.184.216.34": true,
	}
	for in, want := range tests {
		if got := PublicAddr(netip.MustParseAddr(in)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	srv := dnstest.New(t)
	srv.SetA("origin.acme-store.com", "127.0.0.1")
	srv.SetAAAA("v6only.acme-store.com", "::1")
	srv.SetServfail("broken.acme-store.com", true)
	d := &Dialer{Resolver: newResolver(t, srv.Addr())}

	tests := []struct {
		name    string
		network string
		addr    string
		allow   func(netip.Addr) bool
		wantErr error // nil: connects
	}{
		{"name through the resolver", "tcp", "origin.acme-store.com:" + port, nil, nil},
		{"ip literal", "tcp", "127.0.0.1:" + port, nil, nil},
		{"refused by allow", "tcp", "origin.acme-store.com:" + port, PublicAddr, ErrAddrNotAllowed},
		{"ip literal refused by allow", "tcp", "127.0.0.1:" + port, PublicAddr, ErrAddrNotAllowed},
		{"no records", "tcp", "missing.acme-store.com:" + port, nil, ErrNoAddrs},
		{"family filtered out", "tcp4", "v6only.acme-store.com:" + port, nil, ErrNoAddrs},
		{"lookup failure", "tcp", "broken.acme-store.com:" + port, nil, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d.Allow = tt.allow
			conn, err := d.DialContext(context.Background(), tt.network, tt.addr)
			if conn != nil {
				conn.Close()
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("DialContext: %v, want %v", err, tt.wantErr)
			}
		})
	}
	if _, err := d.DialContext(context.Background(), "udp", "127.0.0.1:53"); err == nil {
		t.Error("udp accepted")
	}
}
