// Package ident generates Portico's identifiers and unguessable values from
// crypto/rand.
package ident

import (
	"crypto/rand"
	"encoding/hex"
)

// UUID returns a random version-4 UUID in its 36-character form, the shape
// Cloudflare uses for custom hostname and certificate ids.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return format(b)
}

// Secret128 returns 128 random bits in UUID layout (8-4-4-4-12 hex). Unlike a
// v4 UUID it fixes no version bits, so all 128 bits are random: ownership
// tokens must be unguessable (threat model A9).
func Secret128() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return format(b)
}

// ZoneID returns 32 lowercase hex characters (128 random bits), the shape of
// a Cloudflare zone id.
func ZoneID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func format(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
