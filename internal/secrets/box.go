package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the size in bytes of the master key and of every data key.
const KeySize = 32

// Errors that Open returns, wrapped with context. Callers branch on them with
// errors.Is.
var (
	// ErrWrongKey means the record was sealed under another master key.
	ErrWrongKey = errors.New("secrets: record was sealed with a different master key")
	// ErrAuthFailed means the record does not authenticate: it was changed,
	// or it belongs to another row (the AAD differs).
	ErrAuthFailed = errors.New("secrets: record failed authentication (tampered, or sealed for another record)")
	// ErrMalformed means the bytes are not a sealed record of a known format.
	ErrMalformed = errors.New("secrets: not a sealed record")
)

// Record layout, version 1:
//
//	offset  size  field
//	0       1     version (1)
//	1       4     key id: SHA-256(KEK)[:4]
//	5       60    wrapped DEK: nonce(12) | AES-256-GCM(KEK, DEK)(32) | tag(16)
//	65      28+n  data: nonce(12) | AES-256-GCM(DEK, plaintext)(n) | tag(16)
//
// Nonces are random. A DEK seals one record only, so its nonce can never
// repeat; the KEK's random 96-bit nonces stay far below the 2^32-message
// bound for the number of keys a Portico installation holds.
const (
	version1    byte = 1
	keyIDSize        = 4
	headerSize       = 1 + keyIDSize
	gcmOverhead      = 12 + 16 // random nonce + tag, as NewGCMWithRandomNonce lays them out
	wrappedSize      = KeySize + gcmOverhead
	minSize          = headerSize + wrappedSize + gcmOverhead
)

// Box seals and opens records with one master key. It is safe for concurrent
// use.
type Box struct {
	kek   cipher.AEAD
	keyID [keyIDSize]byte
}

// NewBox returns a Box for masterKey, which must be exactly KeySize bytes.
// The Box keeps no reference to masterKey.
func NewBox(masterKey []byte) (*Box, error) {
	if len(masterKey) != KeySize {
		return nil, fmt.Errorf("secrets: master key must be %d bytes, got %d", KeySize, len(masterKey))
	}
	kek, err := newAEAD(masterKey)
	if err != nil {
		return nil, fmt.Errorf("secrets: master key: %w", err)
	}
	b := &Box{kek: kek}
	sum := sha256.Sum256(masterKey)
	copy(b.keyID[:], sum[:keyIDSize])
	return b, nil
}

// KeyID returns the hex id of the master key (the first 4 bytes of its
// SHA-256), safe to log so operators can tell which key a process runs with.
func (b *Box) KeyID() string { return hex.EncodeToString(b.keyID[:]) }

// Seal encrypts plaintext under a fresh data key and binds it to aad. Open
// must be called with the same aad.
func (b *Box) Seal(plaintext []byte, aad string) ([]byte, error) {
	dek := make([]byte, KeySize)
	defer clear(dek)
	_, _ = rand.Read(dek) // never fails since Go 1.24
	data, err := newAEAD(dek)
	if err != nil {
		return nil, fmt.Errorf("secrets: data key: %w", err)
	}
	header := b.header()
	out := make([]byte, 0, minSize+len(plaintext))
	out = append(out, header...)
	out = b.kek.Seal(out, nil, dek, layerAAD(header, "dek", aad))
	out = data.Seal(out, nil, plaintext, layerAAD(header, "data", aad))
	return out, nil
}

// Open decrypts a record made by Seal. It fails with an error wrapping
// ErrMalformed, ErrWrongKey or ErrAuthFailed; the error never contains the
// record's bytes or plaintext.
func (b *Box) Open(ciphertext []byte, aad string) ([]byte, error) {
	if len(ciphertext) < minSize {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the %d-byte minimum", ErrMalformed, len(ciphertext), minSize)
	}
	header := ciphertext[:headerSize]
	if header[0] != version1 {
		return nil, fmt.Errorf("%w: unknown format version %d", ErrMalformed, header[0])
	}
	if got := header[1:headerSize]; string(got) != string(b.keyID[:]) {
		// Key ids are public hashes, so naming both helps the operator.
		return nil, fmt.Errorf("%w: record has key id %x, this master key is %s", ErrWrongKey, got, b.KeyID())
	}
	wrapped := ciphertext[headerSize : headerSize+wrappedSize]
	dek, err := b.kek.Open(nil, nil, wrapped, layerAAD(header, "dek", aad))
	if err != nil {
		return nil, fmt.Errorf("%w: unwrapping the data key", ErrAuthFailed)
	}
	defer clear(dek)
	data, err := newAEAD(dek)
	if err != nil {
		return nil, fmt.Errorf("secrets: data key: %w", err)
	}
	plaintext, err := data.Open(nil, nil, ciphertext[headerSize+wrappedSize:], layerAAD(header, "data", aad))
	if err != nil {
		return nil, fmt.Errorf("%w: decrypting the data", ErrAuthFailed)
	}
	return plaintext, nil
}

func (b *Box) header() []byte {
	return append([]byte{version1}, b.keyID[:]...)
}

// layerAAD binds a layer to the record header (so version and key id cannot
// be swapped), to its role (so the wrapped key and the data are never
// interchangeable) and to the caller's aad. header and label have fixed
// lengths, so the encoding is unambiguous.
func layerAAD(header []byte, label, aad string) []byte {
	out := make([]byte, 0, len(header)+len(label)+1+len(aad))
	out = append(out, header...)
	out = append(out, label...)
	out = append(out, 0)
	return append(out, aad...)
}

// newAEAD returns AES-256-GCM that draws a random 96-bit nonce on Seal and
// stores it in front of the ciphertext.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}
