package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// Reasons of the custom domain errors (core.Error.Reason). Hostname errors
// keep theirs (invalid_hostname, duplicate_hostname, hostname_blocked ...).
const (
	ReasonCustomDomainHostRequired = "custom_domain_host_required"
	ReasonInvalidChallengeType     = "invalid_challenge_type"
	ReasonInvalidRecipient         = "invalid_instructions_recipient"
	ReasonInstructionsUnavailable  = "instructions_email_unavailable"
	ReasonRedirectToWWWNotAllowed  = "redirect_to_www_not_allowed"
)

// EventCustomDomainCreated is the audit event of a custom domain (next to
// its hostnames' own hostname_created events).
const EventCustomDomainCreated = "custom_domain_created"

// CustomDomainInput creates a custom domain.
type CustomDomainInput struct {
	// Host is the customer's name, parsed as a hostname is.
	Host string
	// ChallengeType is http01, dns01 or "" (http01; dns01 for a wildcard).
	ChallengeType string
	// RedirectToWWW sends every visitor of Host to www.<Host>, which is
	// created alongside as a second hostname (the companion).
	RedirectToWWW bool
	// InstructionsRecipient, when not empty, is mailed the DNS records to
	// add (needs instruction emails, see SetInstructionEmails).
	InstructionsRecipient string
}

// DomainPart is one hostname of a custom domain and what its last
// ownership check found.
type DomainPart struct {
	Hostname    core.Hostname
	LastCheckAt time.Time // zero before the first check
	// DNSStatus is valid, invalid, pending (could not check) or "" (not
	// checked yet); see Verification.
	DNSStatus string
}

// CustomDomain is a custom hostname as the SaaS Custom Domains dialect
// shows it.
type CustomDomain struct {
	DomainPart
	// Domain is its record; zero (HostnameID "") for a hostname created
	// through the Cloudflare dialect, which has no upstream.
	Domain core.CustomDomain
	// WWW is the companion of a domain that redirects to www; nil otherwise.
	WWW *DomainPart
}

// Parts returns the domain's hostnames: itself, then its companion.
func (d CustomDomain) Parts() []DomainPart {
	if d.WWW == nil {
		return []DomainPart{d.DomainPart}
	}
	return []DomainPart{d.DomainPart, *d.WWW}
}

// CustomDomainList is one page of custom domains and the number matching.
type CustomDomainList struct {
	Domains []CustomDomain
	Total   int
}

// CreateCustomDomain creates a custom hostname routed to an upstream of the
// zone, with its companion www.<host> when it redirects to www, in one
// transaction. The hostnames are ordinary custom hostnames (verified,
// certified and visible in the Cloudflare dialect like any other).
func (s *Service) CreateCustomDomain(ctx context.Context, zoneID, upstreamID string, in CustomDomainInput) (CustomDomain, error) {
	cd, err := s.customDomains()
	if err != nil {
		return CustomDomain{}, err
	}
	z, err := s.GetZone(ctx, zoneID)
	if err != nil {
		return CustomDomain{}, err
	}
	u, err := s.GetUpstream(ctx, zoneID, upstreamID)
	if err != nil {
		return CustomDomain{}, err
	}
	if strings.TrimSpace(in.Host) == "" {
		return CustomDomain{}, invalid(ReasonCustomDomainHostRequired, "host", "host is required: the domain your customer will use, e.g. app.customer.com.")
	}
	ssl := &SSLInput{}
	switch c := core.ChallengeType(strings.ToLower(in.ChallengeType)); c {
	case "":
	case core.ChallengeHTTP01, core.ChallengeDNS01:
		m := string(c.Method())
		ssl.Method = &m
	default:
		return CustomDomain{}, invalid(ReasonInvalidChallengeType, "challenge_type",
			"Invalid challenge_type %q: use http01 or dns01.", clipInput(in.ChallengeType))
	}
	recipient, err := s.checkRecipient(in.InstructionsRecipient)
	if err != nil {
		return CustomDomain{}, err
	}
	h, _, err := s.newHostname(ctx, z, HostnameInput{Hostname: in.Host, SSL: ssl})
	if err != nil {
		var ce *core.Error
		if errors.As(err, &ce) && ce.Reason == ReasonWildcardRequiresTXT {
			return CustomDomain{}, invalid(ReasonInvalidChallengeType, "challenge_type",
				"A wildcard host can only be validated through DNS: use challenge_type dns01.")
		}
		return CustomDomain{}, err
	}
	d := core.CustomDomain{HostnameID: h.ID, ZoneID: z.ID, UpstreamID: u.ID, RedirectToWWW: in.RedirectToWWW,
		InstructionsRecipient: recipient, CreatedAt: h.CreatedAt, UpdatedAt: h.CreatedAt}
	out := CustomDomain{DomainPart: DomainPart{Hostname: h}, Domain: d}
	hs, ds := []core.Hostname{h}, []core.CustomDomain{d}
	if in.RedirectToWWW {
		if h.IsWildcard() || strings.HasPrefix(h.Name, "www.") {
			return CustomDomain{}, invalid(ReasonRedirectToWWWNotAllowed, "redirect_to_www",
				"redirect_to_www needs a host that a www. name can be put in front of: not a wildcard, and not a www. name itself.")
		}
		w, _, err := s.newHostname(ctx, z, HostnameInput{Hostname: "www." + h.Name, SSL: ssl})
		if err != nil {
			return CustomDomain{}, err
		}
		dw := core.CustomDomain{HostnameID: w.ID, ZoneID: z.ID, UpstreamID: u.ID, ApexHostnameID: h.ID,
			CreatedAt: w.CreatedAt, UpdatedAt: w.CreatedAt}
		hs, ds = append(hs, w), append(ds, dw)
		out.Domain.WWWHostnameID = w.ID
		out.WWW = &DomainPart{Hostname: w}
	}
	err = s.withQuota(ctx, z.ID, len(hs), func() error { return cd.CreateCustomDomain(ctx, hs, ds) })
	switch {
	case errors.Is(err, store.ErrConflict):
		return CustomDomain{}, &core.Error{Kind: core.KindConflict, Reason: ReasonDuplicateHostname, Field: "host",
			Public: "This account already has a custom domain " + conflictName(hs) + ".", Err: err}
	case errors.Is(err, store.ErrNotFound):
		return CustomDomain{}, upstreamStoreError(err, "")
	case err != nil:
		return CustomDomain{}, storeError(err, "creating custom domain "+h.Name, ReasonZoneNotFound)
	}
	for _, x := range hs {
		x.Version = 1
		s.hostnameCreated(ctx, x, nil)
	}
	s.auditHostname(ctx, EventCustomDomainCreated, h, "", "", slog.String("upstream_id", u.ID),
		slog.Bool("redirect_to_www", in.RedirectToWWW), slog.Bool("instructions_email", recipient != ""))
	out.Hostname.Version = 1
	if out.WWW != nil {
		out.WWW.Hostname.Version = 1
	}
	return out, nil
}

// conflictName names the hostnames of a create that failed on a taken name.
func conflictName(hs []core.Hostname) string {
	if len(hs) == 1 {
		return hs[0].Name
	}
	return hs[0].Name + " or " + hs[1].Name
}

// checkRecipient validates an instructions recipient and returns its bare
// address ("" for none).
func (s *Service) checkRecipient(in string) (string, error) {
	in = strings.TrimSpace(in)
	if in == "" {
		return "", nil
	}
	if s.instructions.Load() == nil {
		return "", invalid(ReasonInstructionsUnavailable, "instructions_recipient",
			"This Portico server does not send instruction emails (the operator has not set --smtp-url): leave instructions_recipient out.")
	}
	a, err := mail.ParseAddress(in)
	if err != nil || len(a.Address) > 254 || strings.ContainsAny(a.Address, "\r\n") {
		return "", invalid(ReasonInvalidRecipient, "instructions_recipient",
			"instructions_recipient %q is not an email address.", clipInput(in))
	}
	return a.Address, nil
}

// GetCustomDomain returns a hostname of the zone as a custom domain of the
// upstream: hostname_not_found when it routes to another upstream or is a
// www companion (part of its domain, not a domain of its own). A
// hostname without a record (created through the Cloudflare dialect) is
// shown under every upstream of its zone, with no upstream of its own.
func (s *Service) GetCustomDomain(ctx context.Context, zoneID, upstreamID, id string) (CustomDomain, error) {
	cd, err := s.customDomains()
	if err != nil {
		return CustomDomain{}, err
	}
	u, err := s.GetUpstream(ctx, zoneID, upstreamID)
	if err != nil {
		return CustomDomain{}, err
	}
	h, err := s.GetHostname(ctx, zoneID, id)
	if err != nil {
		return CustomDomain{}, err
	}
	d, err := cd.GetCustomDomain(ctx, zoneID, h.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d = core.CustomDomain{}
	case err != nil:
		return CustomDomain{}, fmt.Errorf("reading the custom domain record of %s: %w", h.Name, err)
	case d.UpstreamID != u.ID || d.ApexHostnameID != "":
		// Another upstream's domain; or a www companion, which is part
		// of its domain here (the other dialect shows it on its own).
		return CustomDomain{}, storeError(store.ErrNotFound, "", ReasonHostnameNotFound)
	}
	out := CustomDomain{DomainPart: DomainPart{Hostname: h}, Domain: d}
	if err := s.checkState(ctx, &out.DomainPart); err != nil {
		return CustomDomain{}, err
	}
	if err := s.attachWWW(ctx, &out); err != nil {
		return CustomDomain{}, err
	}
	return out, nil
}

// checkState fills in what the part's last ownership check found.
func (s *Service) checkState(ctx context.Context, p *DomainPart) error {
	checks, ok := s.st.(store.Checks)
	if !ok {
		return errors.New("the store keeps no check schedule")
	}
	c, err := checks.GetCheck(ctx, p.Hostname.ZoneID, p.Hostname.ID)
	if err != nil {
		return storeError(err, "reading the check state of "+p.Hostname.Name, ReasonHostnameNotFound)
	}
	p.LastCheckAt, p.DNSStatus = c.LastCheckAt, c.DNSStatus
	return nil
}

// attachWWW loads the domain's companion, if it has one. A companion
// deleted through the other dialect is simply not there.
func (s *Service) attachWWW(ctx context.Context, d *CustomDomain) error {
	if d.Domain.WWWHostnameID == "" {
		return nil
	}
	w, err := s.st.GetHostname(ctx, d.Hostname.ZoneID, d.Domain.WWWHostnameID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the www companion of %s: %w", d.Hostname.Name, err)
	}
	d.WWW = &DomainPart{Hostname: w}
	return s.checkState(ctx, d.WWW)
}

// ListCustomDomains returns one page of the custom domains that route to
// an upstream of the zone, oldest first (companions are part of their
// domain, not listed). host, when not empty, keeps the domain of that name.
func (s *Service) ListCustomDomains(ctx context.Context, zoneID, upstreamID, host string, offset, limit int) (CustomDomainList, error) {
	cd, err := s.customDomains()
	if err != nil {
		return CustomDomainList{}, err
	}
	u, err := s.GetUpstream(ctx, zoneID, upstreamID)
	if err != nil {
		return CustomDomainList{}, err
	}
	q := store.DomainQuery{Name: filterName(host), Offset: max(offset, 0), Limit: limit}
	page, err := cd.ListCustomDomains(ctx, zoneID, u.ID, q)
	if err != nil {
		return CustomDomainList{}, fmt.Errorf("listing custom domains of upstream %s: %w", u.ID, err)
	}
	out := CustomDomainList{Domains: make([]CustomDomain, 0, len(page.Domains)), Total: page.Total}
	for _, r := range page.Domains {
		d := CustomDomain{DomainPart: DomainPart{Hostname: r.Hostname, LastCheckAt: r.LastCheckAt, DNSStatus: r.DNSStatus}, Domain: r.Domain}
		if err := s.attachWWW(ctx, &d); err != nil {
			return CustomDomainList{}, err
		}
		out.Domains = append(out.Domains, d)
	}
	return out, nil
}

// filterName spells a host filter as names are stored: lower case, no
// trailing dot. Anything else that is not canonical matches nothing.
func filterName(host string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
}

// DeleteCustomDomain deletes a custom domain of the upstream (as
// GetCustomDomain finds it) with its companion, certificates and keys, and
// returns what it deleted.
func (s *Service) DeleteCustomDomain(ctx context.Context, zoneID, upstreamID, id string) (CustomDomain, error) {
	cd, err := s.customDomains()
	if err != nil {
		return CustomDomain{}, err
	}
	d, err := s.GetCustomDomain(ctx, zoneID, upstreamID, id)
	if err != nil {
		return CustomDomain{}, err
	}
	ids, err := cd.DeleteCustomDomain(ctx, zoneID, d.Hostname.ID)
	if err != nil {
		return CustomDomain{}, storeError(err, "deleting custom domain "+d.Hostname.Name, ReasonHostnameNotFound)
	}
	for _, p := range d.Parts() {
		for _, gone := range ids {
			if gone == p.Hostname.ID {
				s.auditHostname(ctx, EventHostnameDeleted, p.Hostname, string(p.Hostname.Status), string(core.HostnameDeleted))
				s.changed(ctx, zoneID, p.Hostname.ID, ChangeDeleted)
				s.emitHostname(ctx, EventTypeHostnameDeleted, p.Hostname, p.Hostname.Status, core.HostnameDeleted, EventReasonRemoved)
			}
		}
	}
	return d, nil
}

// VerifyCustomDomain checks the ownership of a custom domain (and of its
// companion) now, as a refresh does, and returns it with the verdict. It
// waits for the checks, which the verifier bounds.
func (s *Service) VerifyCustomDomain(ctx context.Context, zoneID, upstreamID, id string) (CustomDomain, error) {
	d, err := s.GetCustomDomain(ctx, zoneID, upstreamID, id)
	if err != nil {
		return CustomDomain{}, err
	}
	for _, p := range d.Parts() {
		s.verifyNow(ctx, zoneID, p.Hostname.ID)
	}
	return s.GetCustomDomain(ctx, zoneID, upstreamID, d.Hostname.ID)
}
