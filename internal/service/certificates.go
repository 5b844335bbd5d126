package service

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/certs"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
)

// certificateKeyAAD binds a sealed key to its certificate and hostname, so
// that a ciphertext copied to another row fails to open (threat model D1).
func certificateKeyAAD(certID, hostnameID string) string {
	return "certificate_key:" + certID + ":" + hostnameID
}

// parseUploads checks uploaded certificate/key pairs against h and seals
// their keys. ids, when given, are the certificate ids to use (a replacement
// keeps its id); otherwise each gets a new one. The plaintext keys are wiped
// once sealed and never leave this function.
func (s *Service) parseUploads(pairs []CertKeyPair, h core.Hostname, ids []string, now time.Time) ([]core.Certificate, error) {
	if len(pairs) > 2 {
		return nil, invalid(ReasonInvalidCertBundle, "ssl.custom_cert_bundle",
			"A certificate bundle holds at most two certificates (one RSA and one ECDSA); got %d.", len(pairs))
	}
	if s.box == nil {
		return nil, fmt.Errorf("uploading a certificate for %s: no master key configured", h.Name)
	}
	out := make([]core.Certificate, 0, len(pairs))
	algs := make([]x509.PublicKeyAlgorithm, 0, len(pairs))
	for i, p := range pairs {
		field := "ssl.custom_certificate"
		if len(pairs) > 1 {
			field = fmt.Sprintf("ssl.custom_cert_bundle[%d]", i)
		}
		parsed, err := certs.ParseCustom(p.Certificate, p.Key, certs.Options{
			Hostname: h.Name,
			Bundle:   h.SSL.BundleMethod,
			Now:      now,
			Roots:    s.cfg.CertRoots,
		})
		if err != nil {
			var ce *core.Error
			if errors.As(err, &ce) && ce.Field == "" {
				ce.Field = field
			}
			return nil, err
		}
		id := ident.UUID()
		if i < len(ids) {
			id = ids[i]
		}
		sealed, err := s.box.Seal(parsed.KeyPEM, certificateKeyAAD(id, h.ID))
		clear(parsed.KeyPEM)
		if err != nil {
			return nil, fmt.Errorf("sealing the key of certificate %s of %s: %w", id, h.Name, err)
		}
		if parsed.Leaf != nil {
			algs = append(algs, parsed.Leaf.PublicKeyAlgorithm)
		}
		out = append(out, core.Certificate{
			ID:                id,
			HostnameID:        h.ID,
			Source:            core.SourceCustom,
			ChainPEM:          parsed.ChainPEM,
			KeyCiphertext:     sealed,
			Issuer:            parsed.Issuer,
			SerialNumber:      parsed.SerialNumber,
			Signature:         parsed.Signature,
			Hosts:             parsed.Hosts,
			FingerprintSHA256: parsed.FingerprintSHA256,
			BundleMethod:      h.SSL.BundleMethod,
			IssuedOn:          parsed.NotBefore.UTC(),
			ExpiresOn:         parsed.NotAfter.UTC(),
			UploadedOn:        now,
		})
	}
	if len(algs) == 2 && algs[0] == algs[1] {
		return nil, invalid(ReasonInvalidCertBundle, "ssl.custom_cert_bundle",
			"A certificate bundle must hold one RSA and one ECDSA certificate; both are %s.", algs[0])
	}
	return out, nil
}

// customCertificates returns h's uploaded certificates.
func customCertificates(h core.Hostname) []core.Certificate {
	var out []core.Certificate
	for _, c := range h.SSL.Certificates {
		if c.Source == core.SourceCustom {
			out = append(out, c)
		}
	}
	return out
}

// leafAlgorithm returns the public key algorithm of a stored chain's leaf.
func leafAlgorithm(c core.Certificate) x509.PublicKeyAlgorithm {
	leaf, err := firstCertificate(c.ChainPEM)
	if err != nil {
		return x509.UnknownPublicKeyAlgorithm
	}
	return leaf.PublicKeyAlgorithm
}

// firstCertificate parses the first CERTIFICATE block of a PEM chain.
func firstCertificate(chain []byte) (*x509.Certificate, error) {
	for rest := chain; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("no certificate in the chain")
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// findCustom looks up an uploaded certificate of h by pack and certificate
// id. Both ids must match: the pack id is the ssl id.
func findCustom(h core.Hostname, packID, certID string) (core.Certificate, error) {
	if !strings.EqualFold(packID, h.SSL.ID) {
		return core.Certificate{}, &core.Error{Kind: core.KindNotFound, Reason: ReasonCertificateNotFound, Public: notFoundText(ReasonCertificateNotFound)}
	}
	for _, c := range h.SSL.Certificates {
		if strings.EqualFold(c.ID, certID) {
			if c.Source != core.SourceCustom {
				return core.Certificate{}, invalid(ReasonCertificateNotCustom, "certificate_id",
					"Certificate %s was issued by Portico; only uploaded certificates can be replaced or removed.", c.ID)
			}
			return c, nil
		}
	}
	return core.Certificate{}, &core.Error{Kind: core.KindNotFound, Reason: ReasonCertificateNotFound, Public: notFoundText(ReasonCertificateNotFound)}
}

// ReplaceCertificate replaces one uploaded certificate of a hostname's
// certificate pack (packID is the ssl id) with a new certificate and key,
// keeping its id. It returns the updated hostname.
func (s *Service) ReplaceCertificate(ctx context.Context, zoneID, hostnameID, packID, certID, certPEM, keyPEM string) (core.Hostname, error) {
	h, err := s.GetHostname(ctx, zoneID, hostnameID)
	if err != nil {
		return core.Hostname{}, err
	}
	old, err := findCustom(h, packID, certID)
	if err != nil {
		return core.Hostname{}, err
	}
	now := s.now()
	uploaded, err := s.parseUploads([]CertKeyPair{{Certificate: certPEM, Key: keyPEM}}, h, []string{old.ID}, now)
	if err != nil {
		return core.Hostname{}, err
	}
	c := uploaded[0]
	for _, other := range customCertificates(h) {
		if other.ID != old.ID && leafAlgorithm(other) == leafAlgorithm(c) {
			return core.Hostname{}, invalid(ReasonInvalidCertBundle, "custom_certificate",
				"The certificate pack already holds a %s certificate; a bundle must hold one RSA and one ECDSA certificate.", leafAlgorithm(c))
		}
	}
	if err := s.st.PutCertificate(ctx, zoneID, c); err != nil {
		return core.Hostname{}, storeError(err, "storing certificate "+c.ID+" of "+h.Name, ReasonHostnameNotFound)
	}
	s.auditCertificate(ctx, EventCertificateReplaced, h, c)
	if h.SSL.Status != core.SSLActive {
		// An uploaded certificate is usable at once.
		if err := s.setSSLStatus(ctx, h, core.SSLActive); err != nil {
			s.log.WarnContext(ctx, "activating a replaced certificate", "zone_id", zoneID, "hostname_id", h.ID, "err", err)
		}
	}
	s.changed(ctx, zoneID, h.ID, ChangeCertificate)
	return s.reread(ctx, h), nil
}

// DeleteCertificate removes one uploaded certificate from a hostname's
// certificate pack. The last uploaded certificate cannot be removed this
// way (as at Cloudflare): delete the hostname, or upload a replacement.
func (s *Service) DeleteCertificate(ctx context.Context, zoneID, hostnameID, packID, certID string) error {
	h, err := s.GetHostname(ctx, zoneID, hostnameID)
	if err != nil {
		return err
	}
	c, err := findCustom(h, packID, certID)
	if err != nil {
		return err
	}
	if len(customCertificates(h)) < 2 {
		return invalid(ReasonLastCertificate, "certificate_id",
			"Certificate %s is the only one in the pack and cannot be removed; at least one certificate must remain.", c.ID)
	}
	if err := s.st.DeleteCertificate(ctx, zoneID, h.ID, c.ID); err != nil {
		return storeError(err, "deleting certificate "+c.ID+" of "+h.Name, ReasonCertificateNotFound)
	}
	s.auditCertificate(ctx, EventCertificateDeleted, h, c)
	s.changed(ctx, zoneID, h.ID, ChangeCertificate)
	return nil
}

// auditCertificate logs a certificate event with the certificate's public
// identity (never its key).
func (s *Service) auditCertificate(ctx context.Context, event string, h core.Hostname, c core.Certificate) {
	s.auditHostname(ctx, event, h, "", "",
		slog.String("certificate_id", c.ID),
		slog.String("source", string(c.Source)),
		slog.String("serial_number", c.SerialNumber),
		slog.String("fingerprint_sha256", c.FingerprintSHA256),
		slog.Time("expires_on", c.ExpiresOn),
	)
}
