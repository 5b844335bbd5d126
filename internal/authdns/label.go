package authdns

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// labelEncoding is lowercase base32 without padding: 128 bits make 26
// characters, all valid in a DNS label, none of them '-', so a label can never
// look like an IDNA "xn--" label. Base32 rather than hex keeps the label short
// enough that "_acme-challenge.<host>" CNAME targets stay readable.
var labelEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewLabel returns a fresh delegation label: 128 random bits as 26 lowercase
// base32 characters. The caller stores it with the hostname; a label must
// never be reused, so that a CNAME left behind by a deleted hostname cannot
// validate for whoever claims the name next (threat model A4).
func NewLabel() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return labelEncoding.EncodeToString(b[:])
}

// DelegationTarget returns the name the customer's _acme-challenge CNAME
// points at: "<label>.<dcvZone>", the DCV zone given in canonical form
// (lowercase, no trailing dot).
func DelegationTarget(label, dcvZone string) string {
	return label + "." + dcvZone
}

// DelegationName returns the name the customer delegates:
// "_acme-challenge.<base>", for a canonical hostname as package dnsname
// produces it. A wildcard "*.base" uses the same name as "base", because that
// is where the CA looks for the DNS-01 record of a wildcard (RFC 8555, sections 7.1.3 and 8.4).
func DelegationName(hostname string) string {
	return "_acme-challenge." + strings.TrimPrefix(hostname, "*.")
}

// validLabel reports whether s is a lowercase LDH DNS label: 1 to 63 of
// a-z, 0-9 and '-', not starting or ending with '-'. It is what zone labels
// and delegation labels must look like; anything else in a query cannot
// exist, so the server answers it without asking Records.
func validLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// asciiLower folds A-Z to a-z byte by byte. Names in DNS messages compare
// case-insensitively in ASCII only (RFC 4343), and unlike strings.ToLower this
// never changes a name's length, so offsets found in the folded name are
// valid in the original.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
