package storetest

import (
	"testing"
	"time"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/store"
)

func testCertificates(t *testing.T, open opener) {
	s := open(t)
	z := newZone(t, s)
	h := createHostname(t, s, fullHostname(z.ID, "certs.customer.example"))
	other := createHostname(t, s, minimalHostname(z.ID, "other.customer.example"))
	older := certificate(h.ID, base)
	older.Source = core.SourceManaged
	newer := certificate(h.ID, base.Add(time.Hour))
	newer.ChainPEM = []byte("-----BEGIN CERTIFICATE-----\nnewer\n-----END CERTIFICATE-----\n")

	// version tracks h's expected version: every certificate write bumps it.
	version := h.Version
	check := func(t *testing.T, want ...core.Certificate) {
		t.Helper()
		got := getHostname(t, s, z.ID, h.ID)
		diff(t, "certificates, newest first", want, got.SSL.Certificates)
		if got.Version != version {
			t.Errorf("hostname version = %d, want %d", got.Version, version)
		}
	}
	t.Run("insert", func(t *testing.T) {
		wantErr(t, "PutCertificate(older)", s.PutCertificate(ctx(t), z.ID, older), nil)
		wantErr(t, "PutCertificate(newer)", s.PutCertificate(ctx(t), z.ID, newer), nil)
		version += 2
		check(t, newer, older)
	})
	t.Run("replace by id", func(t *testing.T) {
		older.Issuer = "Replacement CA"
		older.UploadedOn = base.Add(2 * time.Hour) // now the newest
		older.KeyCiphertext = []byte("new key")
		older.Hosts = nil
		wantErr(t, "PutCertificate(replace)", s.PutCertificate(ctx(t), z.ID, older), nil)
		version++
		check(t, older, newer)
	})
	t.Run("unknown hostname", func(t *testing.T) {
		err := s.PutCertificate(ctx(t), z.ID, certificate(ident.UUID(), base))
		wantErr(t, "PutCertificate for a missing hostname", err, store.ErrNotFound)
	})
	t.Run("id of another hostname's certificate", func(t *testing.T) {
		c := certificate(other.ID, base)
		c.ID = newer.ID
		wantErr(t, "PutCertificate reusing an id", s.PutCertificate(ctx(t), z.ID, c), store.ErrConflict)
		check(t, older, newer)
		if got := getHostname(t, s, z.ID, other.ID); len(got.SSL.Certificates) != 0 || got.Version != other.Version {
			t.Errorf("other hostname changed: %d certificates, version %d", len(got.SSL.Certificates), got.Version)
		}
	})
	t.Run("in list pages", func(t *testing.T) {
		page, err := s.ListHostnames(ctx(t), z.ID, store.HostnameQuery{Order: store.OrderHostname})
		wantErr(t, "ListHostnames", err, nil)
		if len(page.Hostnames) != 2 {
			t.Fatalf("ListHostnames returned %d hostnames, want 2", len(page.Hostnames))
		}
		diff(t, "certificates in the page", []core.Certificate{older, newer}, page.Hostnames[0].SSL.Certificates)
		diff(t, "certificates of the other", []core.Certificate(nil), page.Hostnames[1].SSL.Certificates)
	})
	t.Run("delete", func(t *testing.T) {
		wantErr(t, "DeleteCertificate", s.DeleteCertificate(ctx(t), z.ID, h.ID, older.ID), nil)
		version++
		check(t, newer)
		wantErr(t, "DeleteCertificate again", s.DeleteCertificate(ctx(t), z.ID, h.ID, older.ID), store.ErrNotFound)
		wantErr(t, "DeleteCertificate under the wrong hostname", s.DeleteCertificate(ctx(t), z.ID, other.ID, newer.ID), store.ErrNotFound)
		wantErr(t, "DeleteCertificate of a missing hostname", s.DeleteCertificate(ctx(t), z.ID, ident.UUID(), newer.ID), store.ErrNotFound)
		check(t, newer)
	})
}
