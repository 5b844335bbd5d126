package pebbletest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/miekg/dns"
	"github.com/porticohq/portico/internal/authdns"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
)

// The directory is served over TLS that RootsPEM trusts, with the CAA
// identities asked for; after Close it is unreachable.
func TestStart(t *testing.T) {
	resolver := dnstest.New(t)
	s := pebbletest.Start(t, pebbletest.Options{DNSServer: resolver.Addr(), HTTPPort: 5002, CAAIdentities: []string{"ca.portico.test"}})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.RootsPEM) {
		t.Fatal("RootsPEM holds no certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(s.DirectoryURL)
	if err != nil {
		t.Fatal(err)
	}
	var dir struct {
		NewOrder string `json:"newOrder"`
		Meta     struct {
			CAAIdentities []string          `json:"caaIdentities"`
			Profiles      map[string]string `json:"profiles"`
		} `json:"meta"`
	}
	err = json.NewDecoder(resp.Body).Decode(&dir)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if dir.NewOrder == "" || !slices.Equal(dir.Meta.CAAIdentities, []string{"ca.portico.test"}) || len(dir.Meta.Profiles) != 1 {
		t.Errorf("directory %+v", dir)
	}
	if s.Orders() != 0 || s.Finalized() != 0 {
		t.Error("counts start above zero")
	}
	s.Close()
	if _, err := client.Get(s.DirectoryURL); err == nil {
		t.Error("directory still reachable after Close")
	}
}

// Delegate: a TXT query for the customer's name follows the CNAME and gets
// the value authdns holds at that moment.
func TestDelegate(t *testing.T) {
	resolver := dnstest.New(t)
	recs := &authdns.MemRecords{}
	auth, err := authdns.New(authdns.Config{Zone: "dcv.portico.test", Listen: "127.0.0.1:0"}, recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = auth.Shutdown(context.Background()) })

	label := authdns.NewLabel()
	_ = recs.Set(label)
	target := authdns.DelegationTarget(label, "dcv.portico.test")
	resolver.SetCNAME("_acme-challenge.shop.example.com", target)
	pebbletest.Delegate(t, resolver, target, auth.Addr())

	ask := func() (int, []string) {
		m := new(dns.Msg)
		m.SetQuestion("_acme-challenge.shop.example.com.", dns.TypeTXT)
		r, _, err := (&dns.Client{Net: "tcp"}).Exchange(m, resolver.Addr())
		if err != nil {
			t.Fatal(err)
		}
		var txt []string
		for _, rr := range r.Answer {
			if t, ok := rr.(*dns.TXT); ok {
				txt = append(txt, t.Txt...)
			}
		}
		return r.Rcode, txt
	}
	if rcode, txt := ask(); rcode != dns.RcodeSuccess || len(txt) != 0 {
		t.Errorf("before publishing: %s %v", dns.RcodeToString[rcode], txt)
	}
	_ = recs.Add(label, "value-1")
	if rcode, txt := ask(); rcode != dns.RcodeSuccess || !slices.Equal(txt, []string{"value-1"}) {
		t.Errorf("published: %s %v", dns.RcodeToString[rcode], txt)
	}
	recs.DeleteLabel(label)
	if rcode, _ := ask(); rcode != dns.RcodeNameError {
		t.Errorf("deleted label: %s", dns.RcodeToString[rcode])
	}
}
