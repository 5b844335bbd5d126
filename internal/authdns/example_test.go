package authdns_test

import (
	"context"
	"fmt"
	"log"

	"github.com/miekg/dns"
	"github.com/porticohq/portico/internal/authdns"
)

// The customer's one-time record for a wildcard hostname.
func ExampleDelegationName() {
	fmt.Println(authdns.DelegationName("*.shop.example.com"), "CNAME",
		authdns.DelegationTarget("<label>", "dcv.saasprovider.com"))
	// Output: _acme-challenge.shop.example.com CNAME <label>.dcv.saasprovider.com
}

// A label's life: created with its hostname, a DNS-01 value published while
// the CA validates, and NXDOMAIN once the hostname is deleted.
func Example() {
	recs := &authdns.MemRecords{}
	srv, err := authdns.New(authdns.Config{Zone: "dcv.saasprovider.com", Listen: "127.0.0.1:0"}, recs, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	label := authdns.NewLabel()
	ask := func() {
		m := new(dns.Msg)
		m.SetQuestion(authdns.DelegationTarget(label, "dcv.saasprovider.com")+".", dns.TypeTXT)
		r, err := dns.Exchange(m, srv.Addr())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(dns.RcodeToString[r.Rcode])
		for _, rr := range r.Answer {
			fmt.Print(" ", rr.(*dns.TXT).Txt)
		}
		fmt.Println()
	}

	_ = recs.Set(label) // the hostname is created
	ask()
	_ = recs.Add(label, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0")
	ask()
	recs.DeleteLabel(label) // the hostname is deleted
	ask()
	// Output:
	// NOERROR
	// NOERROR [LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0]
	// NXDOMAIN
}
