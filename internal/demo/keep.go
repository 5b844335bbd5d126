package demo

import (
	"context"
	"net"
	"path/filepath"
)

// keep leaves everything running until ctx ends and prints how to explore.
func (r *run) keep(ctx context.Context) error {
	// Every other name under the customer's domain points at the provider,
	// so that hostnames the user creates there go live at their first check.
	r.dns.SetCNAME("*."+customer, cnameTarget)
	api := "http://" + r.node.APIAddr() + "/client/v4"
	_, port, _ := net.SplitHostPort(r.node.Edge().HTTPSAddr())
	ca := filepath.Join(r.dir, caRootFile)
	r.section("Portico keeps running: explore it from another terminal. Ctrl-C stops it.")
	r.printf(`
  export API=%s ZONE_ID=%s TOKEN=%s

  # The hostname, through the Cloudflare API
  curl -s "$API/zones/$ZONE_ID/custom_hostnames?hostname=%s" -H "Authorization: Bearer $TOKEN"

  # The page, through the edge, trusting the internal CA's root
  curl --cacert %s --resolve %s:%s:127.0.0.1 https://%s:%s/

  # Another hostname: the stand-in DNS now points every name under %s at %s
  curl -s -X POST "$API/zones/$ZONE_ID/custom_hostnames" -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: application/json' -d '{"hostname":"www.%s","ssl":{"method":"http","type":"dv"}}'
  curl --cacert %s --resolve www.%s:%s:127.0.0.1 https://www.%s:%s/

  # The stand-in DNS
  dig @127.0.0.1 -p %s %s

  // Go, with github.com/cloudflare/cloudflare-go
  api, _ := cloudflare.NewWithAPIToken("%s", cloudflare.BaseURL("%s"))
  hostnames, _, _ := api.CustomHostnames(context.Background(), "%s", 1, cloudflare.CustomHostname{})

  Portico's log: %s
`, api, r.api.zoneID, r.api.token,
		hostname,
		ca, hostname, port, hostname, port,
		customer, cnameTarget,
		customer,
		ca, customer, port, customer, port,
		dnsPort(r.dns.Addr()), hostname,
		r.api.token, api, r.api.zoneID,
		filepath.Join(r.dir, logFileName))
	<-ctx.Done()
	r.printf("\nStopping...\n")
	return nil
}

func dnsPort(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
