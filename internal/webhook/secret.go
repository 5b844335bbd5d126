package webhook

import (
	"crypto/rand"
	"encoding/base64"
)

// SecretPrefix starts every signing secret, so that a secret pasted into the
// wrong place (or a log) is recognisable, as API tokens are.
const SecretPrefix = "whsec_"

// SecretPattern matches a signing secret (for secret scanners).
const SecretPattern = `whsec_[A-Za-z0-9_-]{43}`

// NewSecret returns a new signing secret: SecretPrefix and 256 random bits
// in unpadded base64url. The HMAC key is the whole string, so that a shell
// receiver can pass it to openssl as it is.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// secretAAD binds a sealed secret to its endpoint: a sealed value copied to
// another endpoint's row does not open.
func secretAAD(endpointID string) string { return "webhook_secret:" + endpointID }
