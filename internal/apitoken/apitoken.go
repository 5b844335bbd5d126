// Package apitoken issues and checks Portico API tokens.
//
// A token is "ptk_" + id + "_" + secret. The id is public: the store looks
// the token up by it. The secret carries 256 random bits and is kept only as
// its SHA-256 hash, so a database dump yields no usable token (threat model
// D3). The fixed "ptk_" prefix and fixed lengths make leaked tokens easy to
// find with Pattern, in our own tests and in secret scanners.
package apitoken

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
)

// Prefix starts every token. It names the token type so that scanners and
// people recognise a leaked token at a glance.
const Prefix = "ptk_"

const (
	idBytes     = 10 // 80 bits: unique enough for a lookup key; the store refuses duplicates anyway
	secretBytes = 32 // 256 bits: the part an attacker must guess
	idLen       = 16 // base32 characters for idBytes, no padding
	secretLen   = 43 // unpadded base64url characters for secretBytes
	// TokenLen is the length of every token New returns.
	TokenLen = len(Prefix) + idLen + 1 + secretLen
)

// Pattern is a regular expression (RE2 syntax) that matches every token New
// issues, for leak scanners. It is unanchored so that it finds tokens inside
// logs, JSON and database files.
const Pattern = `ptk_[a-z2-7]{16}_[A-Za-z0-9_-]{43}`

// ErrMalformed is returned (wrapped) by Parse for any string that is not a
// well-formed token.
var ErrMalformed = errors.New("apitoken: malformed token")

// idEncoding is lowercase RFC 4648 base32 without padding: no '_' or '-', so
// the separator after the id is unambiguous, and it reads well in URLs and logs.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// secretEncoding refuses non-canonical encodings, so one secret has exactly one
// spelling.
var secretEncoding = base64.RawURLEncoding.Strict()

// New returns a fresh token, its public id and the hash to store. The token is
// shown to its owner once and never stored.
func New() (token, id string, hash []byte) {
	idRaw := make([]byte, idBytes)
	secretRaw := make([]byte, secretBytes)
	// crypto/rand.Read never fails since Go 1.24 (it crashes the program
	// instead), so there is no error to return.
	_, _ = rand.Read(idRaw)
	_, _ = rand.Read(secretRaw)
	id = idEncoding.EncodeToString(idRaw)
	secret := secretEncoding.EncodeToString(secretRaw)
	return Prefix + id + "_" + secret, id, hashSecret(secret)
}

// Parse splits a token into its id and secret. It is strict: prefix,
// separator, lengths and alphabets must be exactly those New produces. The
// error wraps ErrMalformed and never contains the token.
func Parse(token string) (id, secret string, err error) {
	if len(token) != TokenLen {
		return "", "", fmt.Errorf("%w: want %d characters, got %d", ErrMalformed, TokenLen, len(token))
	}
	if token[:len(Prefix)] != Prefix {
		return "", "", fmt.Errorf("%w: missing %q prefix", ErrMalformed, Prefix)
	}
	rest := token[len(Prefix):]
	if rest[idLen] != '_' {
		return "", "", fmt.Errorf("%w: missing separator after the id", ErrMalformed)
	}
	id, secret = rest[:idLen], rest[idLen+1:]
	// DecodeString accepts upper case for base32 only if the alphabet has it;
	// ours is lowercase, so "ABC..." is refused, keeping one spelling per id.
	if raw, err := idEncoding.DecodeString(id); err != nil || len(raw) != idBytes {
		return "", "", fmt.Errorf("%w: bad id", ErrMalformed)
	}
	if raw, err := secretEncoding.DecodeString(secret); err != nil || len(raw) != secretBytes {
		return "", "", fmt.Errorf("%w: bad secret", ErrMalformed)
	}
	return id, secret, nil
}

// Verify reports whether secret (as returned by Parse) hashes to hash. The
// comparison takes the same time wherever the first difference is, so the
// response time does not leak how much of a guess was right.
func Verify(hash []byte, secret string) bool {
	sum := hashSecret(secret)
	return len(hash) == sha256.Size && subtle.ConstantTimeCompare(sum, hash) == 1
}

// hashSecret is SHA-256 over the secret's text form (its 43 characters).
// Plain SHA-256 is enough: the secret has 256 random bits, so there is
// nothing for a slow hash to protect against.
func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}
