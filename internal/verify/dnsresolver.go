package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DNSOptions tune a DNSResolver. The zero value gives the defaults.
type DNSOptions struct {
	// Timeout bounds one query to one server, a TCP retry after truncation
	// included. Default 2 s. The ctx passed to a lookup bounds the whole.
	Timeout time.Duration

	// MaxCNAMEChain is how many CNAMEs a lookup follows before giving up
	// with ErrCNAMEChainTooLong. Default 8, the bound most stub resolvers use;
	// nobody needs more to reach a SaaS target.
	MaxCNAMEChain int

	// UDPSize is the EDNS0 buffer size advertised over UDP. Default 1232, the
	// DNS Flag Day 2020 value that avoids IP fragmentation; larger answers
	// come over TCP.
	UDPSize uint16
}

// DNSResolver is the Resolver over real DNS servers, with miekg/dns as the
// client. It asks its servers in order and moves to the next one when a
// server fails, times out or answers something bogus; the first NOERROR or
// NXDOMAIN answer is final. Queries go over UDP and are repeated over TCP
// when the answer is truncated. Query ids are random (miekg/dns draws them
// from crypto/rand), and a response is believed only if its id and question
// match the query.
type DNSResolver struct {
	servers []string
	opts    DNSOptions
}

var _ Resolver = (*DNSResolver)(nil)

// NewDNSResolver returns a resolver that asks servers, each "ip" or
// "ip:port" (port 53 by default). Names are refused: resolving the resolver
// would need a resolver, and would escape --resolver.
func NewDNSResolver(servers []string, opts DNSOptions) (*DNSResolver, error) {
	if len(servers) == 0 {
		return nil, errors.New("dns resolver: no servers")
	}
	r := &DNSResolver{opts: opts}
	for _, s := range servers {
		addr, err := serverAddr(s)
		if err != nil {
			return nil, fmt.Errorf("dns resolver: %w", err)
		}
		r.servers = append(r.servers, addr)
	}
	if r.opts.Timeout <= 0 {
		r.opts.Timeout = 2 * time.Second
	}
	if r.opts.MaxCNAMEChain <= 0 {
		r.opts.MaxCNAMEChain = 8
	}
	if r.opts.UDPSize < dns.MinMsgSize {
		r.opts.UDPSize = 1232
	}
	return r, nil
}

// Servers returns the servers the resolver asks, as "ip:port", in order.
func (r *DNSResolver) Servers() []string { return append([]string(nil), r.servers...) }

func serverAddr(s string) (string, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.String(), nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return netip.AddrPortFrom(a, 53).String(), nil
	}
	return "", fmt.Errorf("server %q is not an IP address or ip:port", s)
}

// exchange asks the servers in order for (fqdn, qtype) and returns the first
// usable answer: rcode NOERROR or NXDOMAIN with a matching id and question.
func (r *DNSResolver) exchange(ctx context.Context, fqdn string, qtype uint16) (*dns.Msg, error) {
	var last *LookupError
	for _, server := range r.servers {
		if err := ctx.Err(); err != nil {
			return nil, r.lookupError(fqdn, qtype, "the check was cancelled", err)
		}
		resp, lerr := r.exchangeOne(ctx, server, fqdn, qtype)
		if lerr == nil {
			return resp, nil
		}
		last = lerr
	}
	return nil, last
}

// exchangeOne asks one server, over UDP and then over TCP if the UDP answer
// is truncated, within the per-query timeout.
func (r *DNSResolver) exchangeOne(ctx context.Context, server, fqdn string, qtype uint16) (*dns.Msg, *LookupError) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype) // sets a random id and RD
	m.SetEdns0(r.opts.UDPSize, false)

	resp, err := r.roundTrip(ctx, "udp", server, m)
	if err == nil && resp.Truncated {
		resp, err = r.roundTrip(ctx, "tcp", server, m)
	}
	// Reasons reach customers, so they never name our servers; the cause,
	// for logs, does.
	if err != nil {
		reason := "the DNS server could not be reached"
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			reason = "the DNS server did not answer in time"
		}
		return nil, r.lookupError(fqdn, qtype, reason, fmt.Errorf("server %s: %w", server, err))
	}
	if !sameQuestion(m, resp) {
		return nil, r.lookupError(fqdn, qtype, "the DNS server answered another question", fmt.Errorf("server %s: response question does not match the query", server))
	}
	switch resp.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		if resp.Truncated {
			return nil, r.lookupError(fqdn, qtype, "the DNS server's answer was truncated", fmt.Errorf("server %s: TC set over TCP", server))
		}
		return resp, nil
	default:
		code := dns.RcodeToString[resp.Rcode]
		if code == "" {
			code = "rcode " + strconv.Itoa(resp.Rcode)
		}
		return nil, r.lookupError(fqdn, qtype, "the DNS server answered "+code, fmt.Errorf("server %s", server))
	}
}

// roundTrip sends m to server and waits for the answer, giving up when ctx
// is done: miekg/dns obeys only deadlines, so the connection is closed on
// cancellation to unblock the read.
func (r *DNSResolver) roundTrip(ctx context.Context, network, server string, m *dns.Msg) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: r.opts.Timeout, UDPSize: r.opts.UDPSize}
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
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// sameQuestion reports whether resp answers exactly the question of q. The
// id was checked by miekg/dns (it drops mismatched ids over UDP and fails
// over TCP); a forged or confused answer may still carry another question.
func sameQuestion(q, resp *dns.Msg) bool {
	if len(resp.Question) != 1 {
		return false
	}
	a, b := q.Question[0], resp.Question[0]
	return a.Qtype == b.Qtype && a.Qclass == b.Qclass && strings.EqualFold(a.Name, b.Name)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (r *DNSResolver) lookupError(fqdn string, qtype uint16, reason string, err error) *LookupError {
	return &LookupError{Name: strings.TrimSuffix(fqdn, "."), Type: dns.TypeToString[qtype], Reason: reason, Err: err}
}
