package verify

import (
	"fmt"
	"net"

	"github.com/miekg/dns"
)

// resolvConf is where SystemServers looks.
const resolvConf = "/etc/resolv.conf"

// SystemServers returns the nameservers of /etc/resolv.conf as "ip:port",
// for NewDNSResolver when --resolver is not set.
func SystemServers() ([]string, error) { return serversFromFile(resolvConf) }

func serversFromFile(path string) ([]string, error) {
	cfg, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading nameservers from %s: %w", path, err)
	}
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("reading nameservers from %s: none listed", path)
	}
	out := make([]string, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		out = append(out, net.JoinHostPort(s, cfg.Port))
	}
	return out, nil
}
