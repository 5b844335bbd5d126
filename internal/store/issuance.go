package store

import (
	"context"
	"time"

	"github.com/porticohq/portico/internal/acme"
)

// Issuances keeps the managed-certificate lifecycle: the ACME write-ahead
// records (acme.OrderStore), the ACME accounts (acme.AccountStore), the
// challenge responses every node must answer, and the DCV delegation
// values. Both stores implement it next to Store; the certificate lifecycle
// (package acme/lifecycle) is its only user besides the edge and authdns,
// which read challenges.
//
// Implementations MUST be safe for concurrent use by several processes on
// one database and honour ctx. acme.ErrNotFound, acme.ErrConflict and
// acme.ErrStale are the errors of the embedded acme interfaces (wrapped);
// the methods below return this package's ErrNotFound and ErrConflict.
//
// Rules beyond the acme contracts:
//
//   - A hostname has at most one live (non-terminal: Step not done and not
//     failed) Issuance: CreateIssuance returns acme.ErrConflict when the
//     hostname has one already (the database enforces it, so racing
//     creators get one record), and when iss.ID exists.
//   - CreateIssuance and SaveIssuance return acme.ErrNotFound when the
//     hostname (iss.ZoneID, iss.HostnameID) does not exist: no record, and
//     no certificate, can outlive its hostname. DeleteHostname deletes the
//     hostname's Issuances and HTTP challenges in its transaction.
//   - SaveIssuance of a record whose Step is acme.StepDone inserts
//     iss.Result.Certificate(iss.HostnameID, iss.UpdatedAt) into the
//     hostname's certificates in the same transaction (left alone when a
//     certificate with that id exists), bumping the hostname's version as
//     PutCertificate does, so the edge's change feed sees it.
//   - Account keys and certificate keys are stored as given (sealed by the
//     caller); nothing here decrypts.
type Issuances interface {
	acme.OrderStore
	acme.AccountStore

	// ClaimDueIssuances leases to owner, for leaseFor, up to limit live
	// Issuances whose NextAttemptAt is at or before now and whose lease
	// (if any) has ended, the earliest due first, and returns them.
	// Concurrent claimers, in this process or another, never receive the
	// same record while its lease runs. The lease is bookkeeping beside
	// the record: it does not change Version, and SaveIssuance leaves it
	// alone.
	ClaimDueIssuances(ctx context.Context, now time.Time, limit int, owner string, leaseFor time.Duration) ([]acme.Issuance, error)
	// ReleaseIssuance ends owner's lease on the record early (a no-op when
	// owner does not hold it, or the record is gone).
	ReleaseIssuance(ctx context.Context, id, owner string) error
	// HostnameIssuances returns the hostname's Issuances, newest (by
	// CreatedAt) first, at most limit (<= 0: all). An unknown hostname has
	// none.
	HostnameIssuances(ctx context.Context, zoneID, hostnameID string, limit int) ([]acme.Issuance, error)

	// PutHTTPChallenge stores an HTTP-01 response: the edge of every node
	// answers GET http://<identifier>/.well-known/acme-challenge/<token>
	// with keyAuth until expires. identifier is a canonical name; putting
	// the same (identifier, token) again replaces it.
	PutHTTPChallenge(ctx context.Context, identifier, token, keyAuth string, expires time.Time) error
	// DeleteHTTPChallenge removes one; nil when it does not exist.
	DeleteHTTPChallenge(ctx context.Context, identifier, token string) error
	// HTTPChallenge returns the key authorization of (identifier, token)
	// if it exists and has not expired at now; ok false otherwise.
	HTTPChallenge(ctx context.Context, identifier, token string, now time.Time) (keyAuth string, ok bool, err error)

	// AddDCVValue adds value to the TXT values of the DCV delegation label
	// (core.SSL.DCVLabel) until expires. ErrNotFound when no hostname has
	// that label; adding a value already there only extends its expiry.
	AddDCVValue(ctx context.Context, label, value string, expires time.Time) error
	// RemoveDCVValue removes one value; nil when it is not there.
	RemoveDCVValue(ctx context.Context, label, value string) error
	// DCVValues returns the unexpired (at now) values of label, and ok true
	// when a hostname has that label (false: the DNS server answers
	// NXDOMAIN). Values of a deleted hostname's label are never returned.
	DCVValues(ctx context.Context, label string, now time.Time) (values []string, ok bool, err error)
}
