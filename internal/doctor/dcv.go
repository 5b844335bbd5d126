package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/porticohq/portico/internal/config"
)

// checkDCVDelegation follows the public delegation of --dcv-zone: its NS
// records, and their addresses, which must be Portico nodes (edge
// addresses) or the CA's DNS-01 lookups of delegated _acme-challenge names
// never reach a server that knows the values.
func (r *run) checkDCVDelegation(ctx context.Context) {
	zone := r.dcvZone()
	if zone == "" {
		if r.cfg.Certs.EffectiveIssuer() == config.IssuerInternal {
			r.ok("dcv_delegation", "", "no --dcv-zone: none is needed with the internal CA")
		} else {
			r.warn("dcv_delegation", "", "no --dcv-zone: wildcard hostnames and ssl.method txt cannot get certificates (HTTP-01 works for the rest)",
				"set --dcv-zone dcv.saasprovider.com and --dns-listen :53, and delegate the zone to this node (docs/production.md)")
		}
		return
	}
	if r.resolver == nil {
		return
	}
	expected := r.cfg.Certs.Nameservers()
	if len(expected) == 0 {
		expected = []string{"ns1." + zone}
	}
	edge := r.edgeAddrs()
	fix := delegationFix(zone, expected, edge)

	pctx, cancel := r.probe(ctx)
	ns, err := r.resolver.LookupNS(pctx, zone)
	cancel()
	if err != nil {
		r.warn("dcv_delegation", zone, "its NS records could not be looked up: "+err.Error()+
			" (a zone delegated to servers that do not answer looks like this)", "check that the DNS server on --dns-listen answers (dcv_dns_server), then "+fix)
		return
	}
	if len(ns) == 0 {
		r.fail("dcv_delegation", zone, "is not delegated: it has no NS records", fix)
		return
	}
	var here, elsewhere []string
	var found []netip.Addr
	for _, n := range ns {
		pctx, cancel := r.probe(ctx)
		addrs, err := r.resolver.LookupAddrs(pctx, n)
		cancel()
		switch {
		case len(addrs) == 0 && err != nil:
			elsewhere = append(elsewhere, n+" (its address could not be looked up)")
		case len(addrs) == 0:
			elsewhere = append(elsewhere, n+" (which has no address)")
		case len(edge) == 0:
			found = append(found, addrs...)
		default:
			if in, _, _ := compareAddrs(addrs, edge); len(in) > 0 {
				here = append(here, fmt.Sprintf("%s (%s)", n, joinAddrs(addrs)))
			} else {
				elsewhere = append(elsewhere, fmt.Sprintf("%s (%s)", n, joinAddrs(addrs)))
			}
		}
	}
	switch {
	case len(edge) == 0:
		r.warn("dcv_delegation", zone, fmt.Sprintf("is delegated to %s (%s); --edge-ipv4 and --edge-ipv6 are not set, so whether those are Portico nodes cannot be told",
			strings.Join(ns, ", "), joinAddrs(found)), "set --edge-ipv4 and --edge-ipv6 to the edge's public addresses")
	case len(here) == 0:
		r.fail("dcv_delegation", zone, fmt.Sprintf("is delegated to %s, none of which is on an edge address (%s): DNS-01 lookups never reach Portico",
			strings.Join(elsewhere, ", "), joinAddrs(edge)), fix)
	case len(elsewhere) > 0:
		r.warn("dcv_delegation", zone, fmt.Sprintf("is delegated to %s, but also to %s: resolvers that ask the latter get no DCV values, so some validations fail",
			strings.Join(here, ", "), strings.Join(elsewhere, ", ")), "delegate the zone only to Portico nodes: "+fix)
	case !sameNames(ns, expected):
		r.warn("dcv_delegation", zone, fmt.Sprintf("is delegated to %s, on edge addresses, but serve names %s in the zone's own NS and SOA records",
			strings.Join(here, ", "), strings.Join(expected, ", ")), "set --dns-nameservers "+strings.Join(ns, ","))
	default:
		r.ok("dcv_delegation", zone, "is delegated to "+strings.Join(here, ", ")+", on the edge's addresses")
	}
}

// delegationFix says what to add in the parent zone.
func delegationFix(zone string, ns []string, edge []netip.Addr) string {
	parent := zone
	if _, p, ok := strings.Cut(zone, "."); ok {
		parent = p
	}
	var recs []string
	for _, n := range ns {
		recs = append(recs, fmt.Sprintf("%s NS %s", zone, n))
	}
	for _, n := range ns {
		if !strings.HasSuffix(n, "."+zone) {
			continue // out of zone: its own A/AAAA, no glue
		}
		if len(edge) == 0 {
			recs = append(recs, n+" A <the edge's public IPv4 address>")
		}
		for _, a := range edge {
			typ := "A"
			if a.Is6() {
				typ = "AAAA"
			}
			recs = append(recs, fmt.Sprintf("%s %s %s", n, typ, a))
		}
	}
	return fmt.Sprintf("in the DNS of %s, add %s (the address records are the glue)", parent, strings.Join(recs, "; "))
}

func sameNames(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// checkDCVServer asks this node's DNS server (--dns-listen) for the DCV
// zone's SOA, without recursion: the answer must be authoritative.
func (r *run) checkDCVServer(ctx context.Context) {
	zone := r.dcvZone()
	if zone == "" {
		return
	}
	if !r.cfg.Certs.DNSEnabled() {
		r.warn("dcv_dns_server", "", "this node serves no DNS for "+zone+" (--dns-listen is not set): the nodes the zone is delegated to must",
			"set --dns-listen :53 on the nodes "+zone+" is delegated to")
		return
	}
	addr := r.cfg.Certs.DNSListen
	switch {
	case r.bindable[addr]:
		r.warn("dcv_dns_server", addr, "nothing answers for "+zone+" yet: the address is free, so serve is not running", "start serve, then run doctor again")
		return
	case !r.inUse[addr]:
		return // the listen check failed for another reason
	}
	target, ok := connectAddr(addr)
	if !ok {
		return
	}
	pctx, cancel := r.probe(ctx)
	resp, err := querySOA(pctx, target, zone)
	cancel()
	if err != nil {
		r.fail("dcv_dns_server", addr, fmt.Sprintf("does not answer a query for the SOA of %s: %v", zone, err),
			"the port is held by something that is not Portico's DNS server, or serve's DNS server is stuck: see the listen check and serve's log")
		return
	}
	if !resp.Authoritative || resp.Rcode != dns.RcodeSuccess || !ownsSOA(resp, zone) {
		r.fail("dcv_dns_server", addr, fmt.Sprintf("answers, but not authoritatively for %s (%s, aa=%v): another DNS server holds the address",
			zone, dns.RcodeToString[resp.Rcode], resp.Authoritative), "stop the other DNS server, or give --dns-listen the address the zone is delegated to")
		return
	}
	r.ok("dcv_dns_server", addr, "answers authoritatively for "+zone)
}

// querySOA asks server for zone's SOA without recursion, over UDP, then
// TCP when the answer is truncated.
func querySOA(ctx context.Context, server, zone string) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(zone), dns.TypeSOA)
	m.RecursionDesired = false
	var resp *dns.Msg
	var err error
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network}
		resp, _, err = c.ExchangeContext(ctx, m, server)
		if err != nil || !resp.Truncated {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if len(resp.Question) != 1 || !strings.EqualFold(resp.Question[0].Name, m.Question[0].Name) {
		return nil, errors.New("the answer is for another question")
	}
	return resp, nil
}

func ownsSOA(resp *dns.Msg, zone string) bool {
	for _, rr := range resp.Answer {
		if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, dns.Fqdn(zone)) {
			return true
		}
	}
	return false
}
