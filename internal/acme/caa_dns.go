package acme

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DNSCAAResolver is the CAAResolver over recursive DNS servers (the
// --resolver servers), with miekg/dns as the client. It asks its servers in
// order and takes the first NOERROR or NXDOMAIN answer; UDP answers that
// are truncated are asked again over TCP. Only records owned by the name or
// by a name of its CNAME chain are believed.
type DNSCAAResolver struct {
	servers  []string
	timeout  time.Duration
	maxChase int
}

var _ CAAResolver = (*DNSCAAResolver)(nil)

// NewDNSCAAResolver returns a resolver that asks servers, each "ip" or
// "ip:port" (port 53 by default). timeout bounds one query to one server;
// 0 means 2 s.
func NewDNSCAAResolver(servers []string, timeout time.Duration) (*DNSCAAResolver, error) {
	if len(servers) == 0 {
		return nil, errors.New("CAA resolver: no servers")
	}
	r := &DNSCAAResolver{timeout: orDefault(timeout, 2*time.Second), maxChase: 8}
	for _, s := range servers {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			r.servers = append(r.servers, ap.String())
			continue
		}
		a, err := netip.ParseAddr(strings.Trim(s, "[]"))
		if err != nil {
			return nil, fmt.Errorf("CAA resolver: server %q is not an IP address or ip:port", s)
		}
		r.servers = append(r.servers, netip.AddrPortFrom(a, 53).String())
	}
	return r, nil
}

// LookupCAA implements CAAResolver.
func (r *DNSCAAResolver) LookupCAA(ctx context.Context, name string) ([]CAA, error) {
	cur := dns.Fqdn(strings.ToLower(name))
	seen := map[string]bool{}
	for range r.maxChase {
		resp, err := r.exchange(ctx, cur)
		if err != nil {
			return nil, err
		}
		// Walk the chain inside this answer.
		var out []CAA
		for {
			seen[cur] = true
			next := ""
			for _, rr := range resp.Answer {
				if !strings.EqualFold(rr.Header().Name, cur) {
					continue
				}
				switch rr := rr.(type) {
				case *dns.CAA:
					out = append(out, CAA{Flag: rr.Flag, Tag: rr.Tag, Value: rr.Value})
				case *dns.CNAME:
					next = strings.ToLower(rr.Target)
				}
			}
			if len(out) > 0 || next == "" {
				return out, nil
			}
			if seen[next] {
				return nil, fmt.Errorf("CAA lookup for %s: CNAME loop at %s", name, next)
			}
			cur = next
			if !answerOwns(resp, cur) {
				break // the server stopped the chain here: ask for the target
			}
		}
	}
	return nil, fmt.Errorf("CAA lookup for %s: CNAME chain too long", name)
}

func answerOwns(resp *dns.Msg, fqdn string) bool {
	for _, rr := range resp.Answer {
		if strings.EqualFold(rr.Header().Name, fqdn) {
			return true
		}
	}
	return false
}

// exchange asks the servers in order for the CAA records of fqdn.
func (r *DNSCAAResolver) exchange(ctx context.Context, fqdn string) (*dns.Msg, error) {
	var last error
	for _, server := range r.servers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		resp, err := r.exchangeOne(ctx, server, fqdn)
		if err == nil {
			return resp, nil
		}
		last = err
	}
	return nil, last
}

func (r *DNSCAAResolver) exchangeOne(ctx context.Context, server, fqdn string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(fqdn, dns.TypeCAA)
	m.SetEdns0(1232, false)
	resp, err := r.roundTrip(ctx, "udp", server, m)
	if err == nil && resp.Truncated {
		resp, err = r.roundTrip(ctx, "tcp", server, m)
	}
	if err != nil {
		return nil, fmt.Errorf("CAA lookup for %s at %s: %w", fqdn, server, err)
	}
	if len(resp.Question) != 1 || !strings.EqualFold(resp.Question[0].Name, fqdn) || resp.Question[0].Qtype != dns.TypeCAA {
		return nil, fmt.Errorf("CAA lookup for %s at %s: the answer is for another question", fqdn, server)
	}
	switch resp.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		return resp, nil
	}
	return nil, fmt.Errorf("CAA lookup for %s at %s: %s", fqdn, server, dns.RcodeToString[resp.Rcode])
}

// roundTrip sends m and waits for the answer; miekg/dns obeys only
// deadlines, so the connection is closed when ctx is done.
func (r *DNSCAAResolver) roundTrip(ctx context.Context, network, server string, m *dns.Msg) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: r.timeout, UDPSize: 1232}
	conn, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	resp, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr
	}
	return resp, err
}
