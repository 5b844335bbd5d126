package doctor

import (
	"strings"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/verify"
)

// checkResolver builds the resolvers serve would use: --resolver, else the
// nameservers of /etc/resolv.conf. Without one serve does not start.
func (r *run) checkResolver() {
	servers, err := r.cfg.ResolverServers()
	source := "--resolver"
	if err == nil && len(servers) == 0 {
		servers, err = verify.SystemServers()
		source = "/etc/resolv.conf"
	}
	if err == nil {
		r.resolver, err = verify.NewDNSResolver(servers, verify.DNSOptions{Timeout: r.opts.Timeout})
	}
	if err == nil {
		r.caa, err = acme.NewDNSCAAResolver(servers, r.opts.Timeout)
	}
	if err != nil {
		r.resolver, r.caa = nil, nil
		r.fail("resolver", "", "no DNS resolver to ask: "+err.Error()+"; the DNS checks below are skipped",
			"set --resolver to the recursive DNS server(s) this machine should use, as ip:port")
		return
	}
	r.ok("resolver", strings.Join(r.resolver.Servers(), ", "), "verification, CAA and these checks ask it (from "+source+")")
}
