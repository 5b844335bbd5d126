package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// HostnamePatch edits a custom hostname. Nil fields are absent and keep
// their stored value; so do empty objects (v0 clients send "ssl":{"settings":{}}
// and "ownership_verification":{} on every request, meaning nothing).
type HostnamePatch struct {
	// Hostname may only repeat the current name: a hostname cannot be renamed.
	Hostname *string
	// SSL, when it has any field, restarts validation ("validate again
	// now"), whether or not the configuration changes; changed fields are
	// stored. Uploaded certificates replace the current uploaded ones.
	SSL *SSLInput
	// CustomOriginServer and CustomOriginSNI: "" clears.
	CustomOriginServer *string
	CustomOriginSNI    *string
	// CustomMetadata: nil or {} keeps, JSON null clears, an object replaces.
	CustomMetadata json.RawMessage
}

// maxEditAttempts bounds the read-modify-write retries when the hostname
// changes under an edit (a verification check bumping the version).
const maxEditAttempts = 5

// editPlan is what an edit will write.
type editPlan struct {
	next       core.Hostname
	fields     []string // changed plain fields, for the audit event
	revalidate bool
	sslChanged bool
	uploads    []core.Certificate
	replaced   []core.Certificate // uploaded certificates the uploads supersede
}

func (p editPlan) write() bool { return p.revalidate || len(p.fields) > 0 }

// EditHostname applies a patch (see HostnamePatch) and returns the hostname
// as stored.
func (s *Service) EditHostname(ctx context.Context, zoneID, id string, p HostnamePatch) (core.Hostname, error) {
	z, err := s.GetZone(ctx, zoneID)
	if err != nil {
		return core.Hostname{}, err
	}
	for attempt := 1; ; attempt++ {
		h, err := s.GetHostname(ctx, zoneID, id)
		if err != nil {
			return core.Hostname{}, err
		}
		plan, err := s.planEdit(z, h, p)
		if err != nil {
			return core.Hostname{}, err
		}
		if !plan.write() {
			return h, nil
		}
		err = s.st.UpdateHostname(ctx, plan.next)
		if errors.Is(err, store.ErrStale) && attempt < maxEditAttempts {
			continue
		}
		if err != nil {
			return core.Hostname{}, storeError(err, "updating hostname "+h.Name, ReasonHostnameNotFound)
		}
		if err := s.storeUploads(ctx, h, plan); err != nil {
			return core.Hostname{}, err
		}
		s.auditEdit(ctx, h, plan)
		reason := ChangeUpdated
		if plan.revalidate {
			reason = ChangeRevalidate
		}
		s.changed(ctx, zoneID, h.ID, reason)
		if plan.revalidate {
			s.verifyNow(ctx, zoneID, h.ID) // so that the reply shows the check's verdict
		}
		return s.reread(ctx, plan.next), nil
	}
}

// planEdit validates p against h and computes the new hostname.
func (s *Service) planEdit(z core.Zone, h core.Hostname, p HostnamePatch) (editPlan, error) {
	plan := editPlan{next: h}
	next := &plan.next
	if p.Hostname != nil && strings.ToLower(*p.Hostname) != h.Name {
		return plan, &core.Error{Kind: core.KindConflict, Reason: ReasonHostnameImmutable, Field: "hostname",
			Public: "A custom hostname cannot be renamed; create a new custom hostname and delete this one."}
	}
	if err := applyOrigin(next, p.CustomOriginServer, p.CustomOriginSNI); err != nil {
		return plan, err
	}
	if next.CustomOriginServer != h.CustomOriginServer {
		plan.fields = append(plan.fields, "custom_origin_server")
	}
	if next.CustomOriginSNI != h.CustomOriginSNI {
		plan.fields = append(plan.fields, "custom_origin_sni")
	}
	if p.CustomMetadata != nil {
		if string(bytes.TrimSpace(p.CustomMetadata)) == "null" {
			next.CustomMetadata = nil
		} else {
			m, err := checkMetadata(p.CustomMetadata, h.IsWildcard())
			if err != nil {
				return plan, err
			}
			if m != nil { // {} keeps the stored metadata
				next.CustomMetadata = m
			}
		}
		if !bytes.Equal(next.CustomMetadata, h.CustomMetadata) {
			plan.fields = append(plan.fields, "custom_metadata")
		}
	}

	if !p.SSL.IsEmpty() {
		if err := s.planSSL(z, h, p.SSL, &plan); err != nil {
			return plan, err
		}
	}
	if plan.write() {
		next.UpdatedAt = s.now()
	}
	return plan, nil
}

// planSSL applies an ssl object: new configuration, uploads, and the restart
// of validation with its status changes.
func (s *Service) planSSL(z core.Zone, h core.Hostname, in *SSLInput, plan *editPlan) error {
	ssl, err := applySSL(h.SSL, in, h.IsWildcard(), z, false)
	if err != nil {
		return err
	}
	if ssl.CertificateAuthority != h.SSL.CertificateAuthority {
		if err := s.checkCA(ssl.CertificateAuthority); err != nil {
			return err
		}
	}
	plan.revalidate = true
	plan.sslChanged = !sameSSLConfig(h.SSL, ssl)
	if len(in.CustomCertificates) > 0 {
		withSSL := h
		withSSL.SSL = ssl
		if plan.uploads, err = s.parseUploads(in.CustomCertificates, withSSL, nil, s.now()); err != nil {
			return err
		}
		plan.replaced = customCertificates(h)
	}

	// An uploaded certificate is active at once; an active uploaded
	// certificate stays active (there is nothing to validate), and so does
	// an active managed one when the configuration is unchanged (its
	// renewal is already scheduled); anything else starts validation over.
	target := core.SSLInitializing
	if len(plan.uploads) > 0 || (h.SSL.Status == core.SSLActive && len(customCertificates(h)) > 0) ||
		(h.SSL.Status == core.SSLActive && len(h.SSL.Certificates) > 0 && !plan.sslChanged) {
		target = core.SSLActive
	}
	if !sslPathLegal(h.SSL.Status, target) {
		return &core.Error{Kind: core.KindConflict, Reason: ReasonSSLStateConflict, Field: "ssl",
			Public: "The certificate is " + string(h.SSL.Status) + " and cannot be validated again now.",
			Err:    core.CheckSSLTransition(h.SSL.Status, target)}
	}
	ssl.Status = target
	if target == core.SSLInitializing {
		ssl.ValidationErrors = nil
	}
	// A refresh brings a hostname that lost its proof back to pending, as
	// Cloudflare documents; other statuses are the verifier's to change.
	if (h.Status == core.HostnameMoved || h.Status == core.HostnameDeleted) && h.Status.CanTransition(core.HostnamePending) {
		plan.next.Status = core.HostnamePending
		plan.next.VerificationErrors = nil
	}
	plan.next.SSL = ssl
	return nil
}

// storeUploads stores an edit's uploaded certificates, then removes the ones
// they supersede (in that order, so a hostname is never without one). When
// storing fails, the status the edit set is rolled back as far as possible.
func (s *Service) storeUploads(ctx context.Context, h core.Hostname, plan editPlan) error {
	for _, c := range plan.uploads {
		if err := s.st.PutCertificate(ctx, h.ZoneID, c); err != nil {
			if plan.next.SSL.Status != h.SSL.Status {
				rerr := s.st.SetSSLStatus(ctx, h.ZoneID, h.ID, plan.next.SSL.Status, core.SSLInitializing, s.now())
				if rerr != nil {
					s.log.ErrorContext(ctx, "resetting the certificate status after a failed upload",
						"zone_id", h.ZoneID, "hostname_id", h.ID, "err", rerr)
				}
			}
			return storeError(err, "storing certificate "+c.ID+" of "+h.Name, ReasonHostnameNotFound)
		}
	}
	for _, old := range plan.replaced {
		if slices.ContainsFunc(plan.uploads, func(c core.Certificate) bool { return c.ID == old.ID }) {
			continue
		}
		if err := s.st.DeleteCertificate(ctx, h.ZoneID, h.ID, old.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			// The new certificate is stored and newest, so it is served;
			// the old one lingers until the next upload or delete.
			s.log.WarnContext(ctx, "removing a superseded certificate", "zone_id", h.ZoneID,
				"hostname_id", h.ID, "certificate_id", old.ID, "err", err)
		}
	}
	return nil
}

// auditEdit logs what an edit changed.
func (s *Service) auditEdit(ctx context.Context, h core.Hostname, plan editPlan) {
	next := plan.next
	if len(plan.fields) > 0 {
		s.auditHostname(ctx, EventHostnameUpdated, next, "", "", slog.String("fields", strings.Join(plan.fields, ",")))
	}
	if plan.revalidate {
		s.auditHostname(ctx, EventRevalidation, next, "", "", slog.Bool("ssl_config_changed", plan.sslChanged))
	}
	if next.Status != h.Status {
		s.statusChanged(ctx, next, h.Status, next.Status, TransitionRefreshed)
	}
	if next.SSL.Status != h.SSL.Status {
		s.auditHostname(ctx, EventSSLStatus, next, string(h.SSL.Status), string(next.SSL.Status))
	}
	for _, c := range plan.uploads {
		s.auditCertificate(ctx, EventCertificateUploaded, next, c)
	}
	for _, c := range plan.replaced {
		s.auditCertificate(ctx, EventCertificateDeleted, next, c)
	}
}
