package scdapi

import (
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/service"
)

// timeFormat is the vendor's timestamp: milliseconds and an offset
// (Portico's is always UTC, "Z").
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func stamp(t time.Time) string { return t.UTC().Format(timeFormat) }

// optStamp is a nullable timestamp: null for the zero time.
func optStamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// upstreamJSON is the vendor's upstream model, plus prepend_path.
// bubble_io is always false: Portico has no Bubble.io host rewrite.
type upstreamJSON struct {
	UUID        string  `json:"uuid"`
	Host        string  `json:"host"`
	Port        int     `json:"port"`
	TLS         bool    `json:"tls"`
	BubbleIO    bool    `json:"bubble_io"`
	PrependPath *string `json:"prepend_path"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
}

func renderUpstream(u core.Upstream) upstreamJSON {
	return upstreamJSON{
		UUID: publicID(upstreamPrefix, u.ID), Host: u.Host, Port: u.Port, TLS: u.TLS,
		PrependPath: optString(u.PrependPath), CreatedAt: stamp(u.CreatedAt), UpdatedAt: stamp(u.UpdatedAt),
	}
}

// domainJSON is the vendor's custom domain model, field for field and in
// the seed's order.
type domainJSON struct {
	UUID                         string  `json:"uuid"`
	Host                         string  `json:"host"`
	CreatedAt                    string  `json:"created_at"`
	UpdatedAt                    string  `json:"updated_at"`
	LastDNSCheckAt               *string `json:"last_dns_check_at"`
	Status                       string  `json:"status"`
	TLSCertificateIssued         bool    `json:"tls_certificate_issued"`
	ACMEChallengeDNSRecordStatus string  `json:"acme_challenge_dns_record_status"`
	ChallengeType                string  `json:"challenge_type"`
	RedirectToWWW                bool    `json:"redirect_to_www"`
	InstructionsRecipient        *string `json:"instructions_recipient"`
	InstructionsEmailSentAt      *string `json:"instructions_email_sent_at"`
	UpstreamUUID                 *string `json:"upstream_uuid"`
	DelegatedDCVRecordHostname   *string `json:"delegated_domain_control_validation_record_hostname"`
	DelegatedDCVRecordValue      *string `json:"delegated_domain_control_validation_record_value"`
}

// The values of status (the records that send visitors to the edge).
const (
	statusPendingCheck = "pending_check"
	statusFound        = "dns_records_found"
	statusNotFound     = "dns_records_not_found"
	statusUnnecessary  = "dns_check_unnecessary"
)

// The values of acme_challenge_dns_record_status.
const (
	recordValid   = "valid"
	recordPending = "pending"
	recordMissing = "not_found"
)

// The values of verify_dns_records' dns_status: the check state's
// DNSStatus (service.DomainPart), combined over a domain's hostnames.
const (
	dnsValid   = "valid"
	dnsPending = "pending"
	dnsInvalid = "invalid"
)

func renderDomain(d service.CustomDomain) domainJSON {
	h := d.Hostname
	out := domainJSON{
		UUID:                         publicID(domainPrefix, h.ID),
		Host:                         h.Name,
		CreatedAt:                    stamp(h.CreatedAt),
		UpdatedAt:                    stamp(latest(h.UpdatedAt, d.Domain.UpdatedAt)),
		Status:                       domainStatus(d),
		TLSCertificateIssued:         true,
		ChallengeType:                string(core.ChallengeTypeOf(h.SSL.Method)),
		RedirectToWWW:                d.Domain.RedirectToWWW,
		InstructionsRecipient:        optString(d.Domain.InstructionsRecipient),
		InstructionsEmailSentAt:      optStamp(d.Domain.InstructionsEmailSentAt),
		ACMEChallengeDNSRecordStatus: recordValid,
	}
	var last time.Time
	for _, p := range d.Parts() {
		last = latest(last, p.LastCheckAt)
		if p.Hostname.SSL.Status != core.SSLActive {
			out.TLSCertificateIssued = false
		}
	}
	out.LastDNSCheckAt = optStamp(last)
	if d.Domain.UpstreamID != "" {
		id := publicID(upstreamPrefix, d.Domain.UpstreamID)
		out.UpstreamUUID = &id
	}
	if h.SSL.Method == core.DCVTXT {
		out.ACMEChallengeDNSRecordStatus = delegationStatus(d)
		if dl := h.SSL.DCVDelegation; len(dl) > 0 {
			out.DelegatedDCVRecordHostname, out.DelegatedDCVRecordValue = optString(dl[0].CNAME), optString(dl[0].CNAMETarget)
		}
	}
	return out
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// domainStatus is the status of the records that send the domain's
// visitors to the edge: found once a hostname is active or its last check
// proved it, not found when the last check proved nothing, pending before
// the first check and while DNS could not be asked. A domain with a www
// companion needs both. A wildcard has no one name to look up: its
// status is dns_check_unnecessary, as the vendor shows it.
func domainStatus(d service.CustomDomain) string {
	if d.Hostname.IsWildcard() {
		return statusUnnecessary
	}
	status := statusFound
	for _, p := range d.Parts() {
		switch partStatus(p) {
		case statusNotFound:
			return statusNotFound
		case statusPendingCheck:
			status = statusPendingCheck
		}
	}
	return status
}

func partStatus(p service.DomainPart) string {
	switch {
	case p.Hostname.Status == core.HostnameActive || p.Hostname.Status == core.HostnameActiveRedeploying:
		return statusFound
	case p.DNSStatus == dnsValid:
		return statusFound
	case p.DNSStatus == dnsInvalid:
		return statusNotFound
	}
	return statusPendingCheck
}

// delegationStatus is the status of the _acme-challenge delegation CNAME
// of a dns01 domain: valid once every part's delegation is confirmed,
// pending until then, not_found when one was checked and is missing.
func delegationStatus(d service.CustomDomain) string {
	status := recordValid
	for _, p := range d.Parts() {
		dl := p.Hostname.SSL.DCVDelegation
		if len(dl) == 0 {
			status = recordPending // validated by TXT values published by hand
			continue
		}
		switch dl[0].Status {
		case "active", "valid":
		case "", "pending":
			status = recordPending
		default:
			return recordMissing
		}
	}
	return status
}

// dnsStatus is verify_dns_records' verdict: invalid when a part's records
// were not found, pending while one could not be checked, else valid.
func dnsStatus(d service.CustomDomain) string {
	status := dnsValid
	for _, p := range d.Parts() {
		switch p.DNSStatus {
		case dnsInvalid:
			return dnsInvalid
		case dnsValid:
		default:
			status = dnsPending
		}
	}
	return status
}

// listJSON is a page of a list.
type listJSON[T any] struct {
	Data       []T            `json:"data"`
	Pagination paginationJSON `json:"pagination"`
}

// paginationJSON is the vendor's pagination block: the page asked for and
// the number of objects in all.
type paginationJSON struct {
	Page  int `json:"page"`
	Count int `json:"count"`
}

type messageJSON struct {
	Message string `json:"message"`
}

type verifyJSON struct {
	Message   string `json:"message"`
	DNSStatus string `json:"dns_status"`
	Host      string `json:"host"`
}
