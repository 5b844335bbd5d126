package pebbletest

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/porticohq/portico/internal/testkit/dnstest"
)

// Delegate makes resolver (the server Pebble's VA asks) answer every query
// that reaches name, directly or through a CNAME chain, with what the
// authoritative server at authAddr says about name at that moment: the
// recursion a real resolver does when it follows the customer's
// "_acme-challenge" CNAME into Portico's DCV zone.
//
// Why a hook rather than copying the TXT into resolver: the values then
// come from the real authdns server, over the wire, at query time, so a
// test exercises what production does (the publisher writes into authdns
// only) and sees authdns's answers (NXDOMAIN for a deleted label, the TXT
// set as published). The hook runs dnstest's SetMutate at name.
func Delegate(t testing.TB, resolver *dnstest.Server, name, authAddr string) {
	t.Helper()
	fqdn := dns.CanonicalName(name)
	resolver.SetMutate(fqdn, func(resp *dns.Msg) {
		if len(resp.Question) != 1 {
			return
		}
		q := new(dns.Msg)
		q.SetQuestion(fqdn, resp.Question[0].Qtype)
		q.RecursionDesired = false
		c := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
		ans, _, err := c.Exchange(q, authAddr)
		if err != nil {
			resp.Answer = nil
			resp.Rcode = dns.RcodeServerFailure
			return
		}
		// Keep the chain that led here; replace whatever resolver itself
		// made up for name.
		kept := resp.Answer[:0]
		for _, rr := range resp.Answer {
			if !strings.EqualFold(rr.Header().Name, fqdn) {
				kept = append(kept, rr)
			}
		}
		resp.Answer = append(kept, ans.Answer...)
		resp.Rcode = ans.Rcode
	})
}
