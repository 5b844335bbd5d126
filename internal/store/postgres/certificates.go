package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/columns"
)

const (
	certificateColumns = `id, hostname_id, source, chain_pem, key_ciphertext, issuer, serial_number,
	signature, hosts, fingerprint_sha256, bundle_method, issued_on, expires_on, uploaded_on`
	selectCertificates = "SELECT " + certificateColumns + " FROM certificates"

	// upsertCertificate inserts a certificate or replaces the one with its
	// id, but only when that one belongs to the same hostname: a
	// certificate never moves between hostnames (or zones) by id.
	upsertCertificate = `INSERT INTO certificates (` + certificateColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
	ON CONFLICT (id) DO UPDATE SET source = excluded.source, chain_pem = excluded.chain_pem,
		key_ciphertext = excluded.key_ciphertext, issuer = excluded.issuer,
		serial_number = excluded.serial_number, signature = excluded.signature, hosts = excluded.hosts,
		fingerprint_sha256 = excluded.fingerprint_sha256, bundle_method = excluded.bundle_method,
		issued_on = excluded.issued_on, expires_on = excluded.expires_on, uploaded_on = excluded.uploaded_on
	WHERE certificates.hostname_id = excluded.hostname_id`

	// bumpVersion is also the tenancy check of the certificate writes.
	bumpVersion = "UPDATE hostnames SET version = version + 1 WHERE zone_id = $1 AND id = $2"
)

// PutCertificate inserts c, or replaces the certificate with c's id, and
// bumps its hostname's version. ErrNotFound when the zone has no hostname
// c.HostnameID; ErrConflict when c.ID belongs to another hostname's
// certificate.
func (s *Store) PutCertificate(ctx context.Context, zoneID string, c core.Certificate) error {
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, bumpVersion, zoneID, c.HostnameID)
		if err != nil {
			return err
		}
		if err := expectRows(tag, store.ErrNotFound); err != nil {
			return fmt.Errorf("hostname %s: %w", c.HostnameID, err)
		}
		tag, err = tx.Exec(ctx, upsertCertificate,
			c.ID, c.HostnameID, string(c.Source), c.ChainPEM, c.KeyCiphertext, c.Issuer, c.SerialNumber,
			c.Signature, columns.Strings(c.Hosts), c.FingerprintSHA256, string(c.BundleMethod),
			c.IssuedOn, c.ExpiresOn, c.UploadedOn)
		if err != nil {
			return err
		}
		return expectRows(tag, store.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("putting certificate %s of hostname %s: %w", c.ID, c.HostnameID, err)
	}
	return nil
}

// DeleteCertificate removes one certificate of a hostname of the zone and
// bumps the hostname's version, as PutCertificate does, so that a reader
// holding the old version sees that the certificate set changed.
// ErrNotFound when there is no such certificate there.
func (s *Store) DeleteCertificate(ctx context.Context, zoneID, hostnameID, certID string) error {
	err := s.tx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := lockHostname(ctx, tx, zoneID, hostnameID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM certificates WHERE id = $1 AND hostname_id = $2", certID, hostnameID)
		if err != nil {
			return err
		}
		if err := expectRows(tag, store.ErrNotFound); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, bumpVersion, zoneID, hostnameID)
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting certificate %s of hostname %s: %w", certID, hostnameID, err)
	}
	return nil
}

// attachCertificates loads the certificates of hs, newest first, into each
// hostname's SSL.Certificates. The caller has checked that the hostnames
// belong to the zone.
func attachCertificates(ctx context.Context, q queryer, hs []core.Hostname) error {
	if len(hs) == 0 {
		return nil
	}
	ids := make([]string, len(hs))
	index := make(map[string]int, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
		index[h.ID] = i
	}
	rows, err := q.Query(ctx, selectCertificates+" WHERE hostname_id = ANY ($1) ORDER BY uploaded_on DESC, id", ids)
	if err != nil {
		return fmt.Errorf("loading certificates: %w", err)
	}
	certs, err := scanCertificates(rows)
	if err != nil {
		return fmt.Errorf("loading certificates: %w", err)
	}
	for _, c := range certs {
		h := &hs[index[c.HostnameID]]
		h.SSL.Certificates = append(h.SSL.Certificates, c)
	}
	return nil
}

// scanCertificates reads and closes rows.
func scanCertificates(rows pgx.Rows) ([]core.Certificate, error) {
	defer rows.Close()
	var cs []core.Certificate
	for rows.Next() {
		var (
			c              core.Certificate
			source, bundle string
			hosts          *string
		)
		if err := rows.Scan(&c.ID, &c.HostnameID, &source, &c.ChainPEM, &c.KeyCiphertext, &c.Issuer, &c.SerialNumber,
			&c.Signature, &hosts, &c.FingerprintSHA256, &bundle, &c.IssuedOn, &c.ExpiresOn, &c.UploadedOn); err != nil {
			return nil, err
		}
		c.Source, c.BundleMethod = core.CertificateSource(source), core.BundleMethod(bundle)
		c.IssuedOn, c.ExpiresOn, c.UploadedOn = utc(c.IssuedOn), utc(c.ExpiresOn), utc(c.UploadedOn)
		var err error
		if c.Hosts, err = columns.ParseStrings(hosts); err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}
