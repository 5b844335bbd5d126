package service

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
)

// InstructionsConfig turns on instruction emails (the SaaS Custom Domains
// instructions_recipient) and says what they need beyond the zone.
type InstructionsConfig struct {
	// EdgeIPv4 and EdgeIPv6 are the edge's public addresses: an apex
	// domain, which cannot have a CNAME, points A/AAAA records at them.
	// Without any, the email asks for an ALIAS (CNAME flattening) record.
	EdgeIPv4, EdgeIPv6 []netip.Addr
}

// SetInstructionEmails turns instruction emails on (c not nil: the daemon
// has a mail sender) or off. While off, a create that asks for them is
// refused with instructions_email_unavailable.
func (s *Service) SetInstructionEmails(c *InstructionsConfig) { s.instructions.Store(c) }

// DNSRecord is one record a customer publishes for their custom domain.
type DNSRecord struct {
	Name  string // fully qualified, no trailing dot
	Type  string // CNAME, TXT, A, AAAA or ALIAS
	Value string
	// Purpose says in plain words why the record is needed.
	Purpose string
}

// Instructions are what the instruction email of a custom domain says.
type Instructions struct {
	Zone      core.Zone
	Domain    CustomDomain
	Recipient string
	// Records are the records to add, the domain's then its companion's.
	Records []DNSRecord
}

// Instructions returns the DNS records the customer of a custom domain
// must publish, for its instruction email. hostname_not_found when the
// hostname has no custom domain record.
func (s *Service) Instructions(ctx context.Context, zoneID, hostnameID string) (Instructions, error) {
	cd, err := s.customDomains()
	if err != nil {
		return Instructions{}, err
	}
	z, err := s.GetZone(ctx, zoneID)
	if err != nil {
		return Instructions{}, err
	}
	rec, err := cd.GetCustomDomain(ctx, zoneID, hostnameID)
	if err != nil {
		return Instructions{}, storeError(err, "reading the custom domain record of "+hostnameID, ReasonHostnameNotFound)
	}
	h, err := s.GetHostname(ctx, zoneID, hostnameID)
	if err != nil {
		return Instructions{}, err
	}
	d := CustomDomain{DomainPart: DomainPart{Hostname: h}, Domain: rec}
	if err := s.attachWWW(ctx, &d); err != nil {
		return Instructions{}, err
	}
	var cfg InstructionsConfig
	if c := s.instructions.Load(); c != nil {
		cfg = *c
	}
	out := Instructions{Zone: z, Domain: d, Recipient: rec.InstructionsRecipient}
	for _, p := range d.Parts() {
		out.Records = append(out.Records, dnsRecords(z, p.Hostname, cfg)...)
	}
	return out, nil
}

// dnsRecords are the records that route h to the edge, prove its
// ownership and, for DNS-01, delegate its ACME challenge.
func dnsRecords(z core.Zone, h core.Hostname, cfg InstructionsConfig) []DNSRecord {
	var out []DNSRecord
	base := h.Name
	if h.IsWildcard() {
		base = h.Name[2:]
	}
	route := "Sends the visitors of " + h.Name + " to us."
	if apex, _ := dnsname.RegistrableDomain(base); apex == base && !h.IsWildcard() {
		// An apex cannot hold a CNAME next to its SOA and NS records.
		for _, a := range cfg.EdgeIPv4 {
			out = append(out, DNSRecord{Name: h.Name, Type: "A", Value: a.String(), Purpose: route})
		}
		for _, a := range cfg.EdgeIPv6 {
			out = append(out, DNSRecord{Name: h.Name, Type: "AAAA", Value: a.String(), Purpose: route})
		}
		if len(cfg.EdgeIPv4)+len(cfg.EdgeIPv6) == 0 {
			out = append(out, DNSRecord{Name: h.Name, Type: "ALIAS", Value: z.CNAMETarget,
				Purpose: route + " A root domain cannot have a CNAME: use your DNS provider's ALIAS, ANAME or CNAME flattening."})
		}
	} else {
		out = append(out, DNSRecord{Name: h.Name, Type: "CNAME", Value: z.CNAMETarget, Purpose: route})
	}
	out = append(out, DNSRecord{Name: h.OwnershipTXTName(), Type: "TXT", Value: h.OwnershipToken,
		Purpose: fmt.Sprintf("Proves that you own %s.", h.Name)})
	if h.SSL.Method == core.DCVTXT {
		for _, r := range h.SSL.DCVDelegation {
			out = append(out, DNSRecord{Name: r.CNAME, Type: "CNAME", Value: r.CNAMETarget,
				Purpose: "Lets us obtain the TLS certificate of " + h.Name + " through DNS (ACME DNS-01)."})
		}
	}
	return out
}
