// Package secrets keeps private keys encrypted at rest (threat model D1).
//
// Box does envelope encryption: every record gets a fresh 256-bit data key
// (DEK) that encrypts the plaintext with AES-256-GCM, and the master key
// (KEK) wraps the DEK with AES-256-GCM. Both layers bind the caller's
// associated data (AAD), e.g. "certificate_key:<cert id>:<hostname id>", so a
// ciphertext copied to another row does not decrypt. Each record names the
// KEK that sealed it by a short key id, so a wrong master key fails with
// ErrWrongKey instead of a vague authentication error, and a key ring can be
// added later for rotation without changing the format.
//
// LoadOrCreateMasterKey and DecodeMasterKey obtain the KEK from a file or an
// environment variable. No function in this package puts key bytes or
// plaintext into an error.
package secrets
