package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/columns"
)

const certificateColumns = `id, hostname_id, source, chain_pem, key_ciphertext, issuer, serial_number,
	signature, hosts, fingerprint_sha256, bundle_method, issued_on, expires_on, uploaded_on`

// upsertCertificate inserts a certificate or replaces the one with its id,
// but only when that one belongs to the same hostname: a certificate never
// moves between hostnames (or zones) by id.
const upsertCertificate = `INSERT INTO certificates (` + certificateColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET source = excluded.source, chain_pem = excluded.chain_pem,
		key_ciphertext = excluded.key_ciphertext, issuer = excluded.issuer,
		serial_number = excluded.serial_number, signature = excluded.signature, hosts = excluded.hosts,
		fingerprint_sha256 = excluded.fingerprint_sha256, bundle_method = excluded.bundle_method,
		issued_on = excluded.issued_on, expires_on = excluded.expires_on, uploaded_on = excluded.uploaded_on
	WHERE certificates.hostname_id = excluded.hostname_id`

// PutCertificate inserts c, or replaces the certificate with c's id, and
// bumps its hostname's version. ErrNotFound when the zone has no hostname
// c.HostnameID; ErrConflict when c.ID belongs to another hostname's
// certificate.
func (s *Store) PutCertificate(ctx context.Context, zoneID string, c core.Certificate) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := bumpVersion(ctx, tx, zoneID, c.HostnameID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, upsertCertificate,
			c.ID, c.HostnameID, string(c.Source), c.ChainPEM, c.KeyCiphertext, c.Issuer, c.SerialNumber,
			c.Signature, columns.Strings(c.Hosts), c.FingerprintSHA256, string(c.BundleMethod),
			micros(c.IssuedOn), micros(c.ExpiresOn), micros(c.UploadedOn))
		if err != nil {
			return err
		}
		return expectRows(res, store.ErrConflict)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := bumpVersion(ctx, tx, zoneID, hostnameID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM certificates WHERE id = ? AND hostname_id = ?", certID, hostnameID)
		if err != nil {
			return err
		}
		return expectRows(res, store.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("deleting certificate %s of hostname %s: %w", certID, hostnameID, err)
	}
	return nil
}

// bumpVersion increments the version of the zone's hostname id; it is also
// the tenancy check of the certificate writes. ErrNotFound when the zone has
// no such hostname.
func bumpVersion(ctx context.Context, tx *sql.Tx, zoneID, id string) error {
	res, err := tx.ExecContext(ctx, "UPDATE hostnames SET version = version + 1 WHERE zone_id = ? AND id = ?", zoneID, id)
	if err != nil {
		return err
	}
	if err := expectRows(res, store.ErrNotFound); err != nil {
		return fmt.Errorf("hostname %s: %w", id, err)
	}
	return nil
}

// certificateBatch bounds the ids in one IN list, well under SQLite's
// parameter limit, for pages without a limit.
const certificateBatch = 500

// attachCertificates loads the certificates of hs, newest first, into each
// hostname's SSL.Certificates. The caller has checked that the hostnames
// belong to the zone.
func attachCertificates(ctx context.Context, q queryer, hs []core.Hostname) error {
	index := make(map[string]int, len(hs))
	for i := range hs {
		index[hs[i].ID] = i
	}
	for start := 0; start < len(hs); start += certificateBatch {
		batch := hs[start:min(start+certificateBatch, len(hs))]
		args := make([]any, len(batch))
		for i, h := range batch {
			args[i] = h.ID
		}
		rows, err := q.QueryContext(ctx, "SELECT "+certificateColumns+" FROM certificates WHERE hostname_id IN (?"+
			strings.Repeat(", ?", len(batch)-1)+") ORDER BY uploaded_on DESC, id", args...)
		if err != nil {
			return fmt.Errorf("loading certificates: %w", err)
		}
		for rows.Next() {
			c, err := scanCertificate(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("loading certificates: %w", err)
			}
			h := &hs[index[c.HostnameID]]
			h.SSL.Certificates = append(h.SSL.Certificates, c)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("loading certificates: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("loading certificates: %w", err)
		}
	}
	return nil
}

func scanCertificate(row scanner) (core.Certificate, error) {
	var (
		c                        core.Certificate
		source, bundle           string
		hosts                    *string
		issued, expires, uploads int64
	)
	if err := row.Scan(&c.ID, &c.HostnameID, &source, &c.ChainPEM, &c.KeyCiphertext, &c.Issuer, &c.SerialNumber,
		&c.Signature, &hosts, &c.FingerprintSHA256, &bundle, &issued, &expires, &uploads); err != nil {
		return core.Certificate{}, err
	}
	c.Source, c.BundleMethod = core.CertificateSource(source), core.BundleMethod(bundle)
	c.IssuedOn, c.ExpiresOn, c.UploadedOn = fromMicros(issued), fromMicros(expires), fromMicros(uploads)
	var err error
	if c.Hosts, err = columns.ParseStrings(hosts); err != nil {
		return core.Certificate{}, err
	}
	return c, nil
}
