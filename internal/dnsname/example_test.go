package dnsname_test

import (
	"fmt"

	"github.com/porticohq/portico/internal/dnsname"
)

func ExampleParse() {
	p := dnsname.Policy{AllowWildcard: true, ProviderDomains: []string{"saasprovider.com"}}
	for _, in := range []string{"Shop.Example-Customer.COM", "*.example-customer.com", "bücher.de", "app.saasprovider.com"} {
		n, err := dnsname.Parse(in, p)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(n, n.IsWildcard())
	}
	// Output:
	// shop.example-customer.com false
	// *.example-customer.com true
	// invalid hostname "bücher.de": non-ASCII characters (reason non_ascii); use the A-label "xn--bcher-kva.de"
	// invalid hostname "app.saasprovider.com": name is in the provider's own zone (reason provider_zone); this name belongs to the service provider and cannot be added as a custom hostname
}

func ExampleParseOrigin() {
	o, err := dnsname.ParseOrigin("HTTPS://[2001:DB8::1]:8443")
	fmt.Println(o.Scheme, o.Host, o.Port, o, err)
	// Output: https 2001:db8::1 8443 https://[2001:db8::1]:8443 <nil>
}
