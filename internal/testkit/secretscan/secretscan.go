// Package secretscan finds secrets in bytes: logs, database files, dumps and
// API responses. Tests use it to show that no private key or API token leaks
// (threat model D1, D2, D3 and D5).
//
// Find looks for private keys as PEM blocks, as raw DER (PKCS#8, PKCS#1 and
// SEC1 structures, recognised by their ASN.1 headers and key OIDs), as DER
// inside base64 text without PEM armour (JSON fields, stripped PEM bodies) and
// as DER inside hex text (PostgreSQL bytea dumps), and for Portico API tokens
// and webhook signing secrets.
// Certificates, public keys and random bytes do not match.
package secretscan

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/porticohq/portico/internal/apitoken"
)

var (
	pemKey = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----`)
	token  = regexp.MustCompile(apitoken.Pattern)
	// webhookSecret is webhook.SecretPattern, copied rather than imported
	// to keep this package's dependencies small; package webhook's tests
	// check that the two agree.
	webhookSecret = regexp.MustCompile(`whsec_[A-Za-z0-9_-]{43}`)
)

// Find returns one line per secret found in data, naming the kind of secret
// and its byte offset, in offset order. It never quotes the secret, so the
// result is safe to print in a test failure. One key may be reported more
// than once: a PKCS#8 key also contains a PKCS#1 or SEC1 structure.
func Find(data []byte) []string {
	var fs []finding
	for _, m := range pemKey.FindAllSubmatchIndex(data, -1) {
		fs = append(fs, finding{m[0], fmt.Sprintf("PEM private key block (%sPRIVATE KEY)", data[m[2]:m[3]])})
	}
	for _, m := range token.FindAllIndex(data, -1) {
		fs = append(fs, finding{m[0], "Portico API token"})
	}
	for _, m := range webhookSecret.FindAllIndex(data, -1) {
		fs = append(fs, finding{m[0], "Portico webhook signing secret"})
	}
	fs = append(fs, findDER(data, 0, "")...)
	fs = append(fs, findEncoded(data)...)
	slices.SortStableFunc(fs, func(a, b finding) int { return a.offset - b.offset })
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("offset %d: %s", f.offset, f.what)
	}
	return out
}

type finding struct {
	offset int
	what   string
}
