package acme

import (
	"context"
	"errors"
	"time"
)

// The errors stores return, for callers to branch on with errors.Is.
var (
	// ErrNotFound: no record with that key.
	ErrNotFound = errors.New("acme: not found")
	// ErrConflict: a record with that key exists already.
	ErrConflict = errors.New("acme: already exists")
	// ErrStale: the record changed since it was read (Version differs);
	// someone else is working on it.
	ErrStale = errors.New("acme: record changed since it was read")
)

// OrderStore keeps Issuance records. The lead implements it on SQLite and
// PostgreSQL; MemOrders is the in-memory implementation for tests.
//
// Contract:
//
//   - Implementations MUST be safe for concurrent use and SHOULD return
//     when ctx is done.
//   - Values are copied in and out: a caller's later changes to a slice of
//     an Issuance it passed or received never reach the store.
//   - CreateIssuance stores iss with Version 1 (iss.Version must be 0) and
//     sets iss.Version to 1; ErrConflict when the ID exists.
//   - GetIssuance returns ErrNotFound for an unknown id.
//   - SaveIssuance is a compare-and-swap: it writes iss only when the
//     stored Version equals iss.Version, stores it with Version+1 and sets
//     iss.Version to that; otherwise it returns ErrStale and changes
//     nothing. ErrNotFound when the record is gone. The engine calls it
//     before every network call that depends on what it saves, so a
//     successful return MUST mean durable (committed, fsynced per the
//     database's settings).
//   - When SaveIssuance stores a record whose Step is StepDone, the
//     certificate in iss.Result SHOULD be committed (inserted with id
//     Result.CertificateID, or left alone when it exists) in the same
//     transaction: that is the commit that makes the certificate exist
//     exactly once.
//   - DueIssuances returns up to limit records that are not terminal and
//     whose NextAttemptAt is at or before now, the earliest first.
type OrderStore interface {
	CreateIssuance(ctx context.Context, iss *Issuance) error
	GetIssuance(ctx context.Context, id string) (Issuance, error)
	SaveIssuance(ctx context.Context, iss *Issuance) error
	DueIssuances(ctx context.Context, now time.Time, limit int) ([]Issuance, error)
}

// Account is an ACME account, one per configured CA.
type Account struct {
	// CA is the name of the CA in Config.CAs; DirectoryURL its directory.
	// Together they are the account's key in the store: changing a CA's
	// directory makes a new account.
	CA           string
	DirectoryURL string
	// KeyCiphertext is the account's private key, PKCS#8 sealed under
	// AccountKeyAAD(CA, DirectoryURL).
	KeyCiphertext []byte
	// URL is the account's URL at the CA (the "kid"); empty until the CA
	// has confirmed the registration. The key is stored first, so a crash
	// during registration leaves a key the next attempt registers again,
	// which the CA answers with the same account.
	URL       string
	Email     string
	CreatedAt time.Time
}

// AccountKeyAAD is the AAD an account key is sealed with.
func AccountKeyAAD(ca, directoryURL string) string {
	return "acme_account_key:" + ca + ":" + directoryURL
}

// AccountStore keeps ACME accounts. It MUST be safe for concurrent use and
// SHOULD return when ctx is done.
//
//   - GetAccount returns ErrNotFound when there is none for (ca,
//     directoryURL).
//   - CreateAccount stores a new account; ErrConflict when one exists for
//     (a.CA, a.DirectoryURL), in which case the caller reads and uses that
//     one (two nodes registering at once end up sharing one key).
//   - SetAccountURL records the URL the CA gave the account.
type AccountStore interface {
	GetAccount(ctx context.Context, ca, directoryURL string) (Account, error)
	CreateAccount(ctx context.Context, a Account) error
	SetAccountURL(ctx context.Context, ca, directoryURL, url string) error
}
