package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store"
)

// keySamples bounds how many zones checkMasterKey samples a certificate
// key from: enough to notice a wrong key, cheap at startup.
const keySamples = 3

// checkMasterKey opens a sample of the keys this database holds sealed (a
// certificate key from each of the first zones, the ACME accounts of the
// configured CAs) and refuses to start when one does not open: a node
// started with the wrong master key (a fleet node that made its own, a lost
// backup) would otherwise serve nothing and order certificates afresh for
// every hostname (threat model D1: a wrong key fails closed).
func (d *Daemon) checkMasterKey(ctx context.Context, box *secrets.Box) error {
	if err := d.sampleCertificateKeys(ctx, box); err != nil {
		return err
	}
	is, ok := d.store.(store.Issuances)
	if !ok || d.cfg.Certs.ACMEDirectory == "" {
		return nil
	}
	a, err := is.GetAccount(ctx, d.cfg.Certs.DefaultCAName(), d.cfg.Certs.ACMEDirectory)
	if errors.Is(err, acme.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the ACME account: %w", err)
	}
	return openSample(box, a.KeyCiphertext, acme.AccountKeyAAD(a.CA, a.DirectoryURL), "the ACME account key for "+a.CA)
}

func (d *Daemon) sampleCertificateKeys(ctx context.Context, box *secrets.Box) error {
	edges, ok := d.store.(store.EdgeSource)
	if !ok {
		return nil
	}
	zones, err := d.store.ListZones(ctx)
	if err != nil {
		return fmt.Errorf("reading zones: %w", err)
	}
	for i, z := range zones {
		if i == keySamples {
			break
		}
		active := true
		page, err := d.store.ListHostnames(ctx, z.ID, store.HostnameQuery{HasActiveSSL: &active, Limit: 20})
		if err != nil {
			return fmt.Errorf("reading hostnames of zone %s: %w", z.ID, err)
		}
		for _, h := range page.Hostnames {
			certs, err := edges.EdgeCertificates(ctx, h.ID)
			if err != nil {
				return fmt.Errorf("reading the certificates of %s: %w", h.Name, err)
			}
			if len(certs) == 0 {
				continue
			}
			c := certs[0]
			if err := openSample(box, c.KeyCiphertext, acme.CertificateKeyAAD(c.ID, h.ID), "the certificate key of "+h.Name); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

func openSample(box *secrets.Box, ciphertext []byte, aad, what string) error {
	plain, err := box.Open(ciphertext, aad)
	clear(plain)
	if err != nil {
		return fmt.Errorf("%s does not open with this master key (%w): start with the key this database was written with "+
			"(PORTICO_MASTER_KEY or --master-key-file; every node of a fleet needs the same one); `portico doctor` says more", what, err)
	}
	return nil
}
