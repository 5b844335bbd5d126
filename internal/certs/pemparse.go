package certs

import (
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Input bounds. Real bundles are a few kilobytes with two to four
// certificates; the bounds stop hostile input before parsing gets costly.
const (
	maxCertInput = 1 << 20  // bytes of certificate PEM
	maxKeyInput  = 64 << 10 // bytes of key PEM; an 8192-bit RSA key is about 6.5 KiB
	maxCerts     = 10       // certificates in one bundle
)

var (
	pemBegin = []byte("-----BEGIN")
	pemEnd   = []byte("-----END")
)

// splitPEM returns the PEM blocks in data, at most maxBlocks of them.
//
// Text before a block is allowed, because openssl writes "subject=" and "Bag
// Attributes" lines there. But that text must not hold a damaged block (which
// pem.Decode would silently skip), and nothing but white space may follow the
// last block: Cloudflare's bundler (cfssl) refuses trailing data too, and it
// usually means a truncated paste. Errors are fixed sentences, safe to show.
func splitPEM(data []byte, maxBlocks int) ([]*pem.Block, error) {
	var blocks []*pem.Block
	rest := data
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			break
		}
		consumed := rest[:len(rest)-len(next)]
		if bytes.Count(consumed, pemBegin) != 1 || bytes.Count(consumed, pemEnd) != 1 {
			return nil, errors.New("a PEM block is damaged or truncated")
		}
		if len(blocks) == maxBlocks {
			return nil, fmt.Errorf("it holds more than %d PEM blocks", maxBlocks)
		}
		blocks = append(blocks, block)
		rest = next
	}
	switch {
	case bytes.Contains(rest, pemBegin):
		return nil, errors.New("a PEM block is damaged or truncated")
	case len(bytes.TrimSpace(rest)) > 0 && len(blocks) > 0:
		return nil, errors.New("there is unexpected text after the last PEM block")
	case len(blocks) == 0:
		return nil, errors.New("no PEM block was found")
	}
	return blocks, nil
}

// blockName returns a PEM block type for a public message, bounded and
// quoted, since it is attacker-controlled text.
func blockName(typ string) string {
	if len(typ) > 40 {
		typ = typ[:40] + "..."
	}
	return fmt.Sprintf("%q", typ)
}

// isKeyBlock reports whether a PEM block type names private key material.
func isKeyBlock(typ string) bool { return strings.Contains(typ, "PRIVATE KEY") }
