package verify

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/core"
)

// checkTXT looks for the ownership token in the TXT records at
// _cf-custom-hostname.<base>. One record must equal the token exactly, its
// character-strings joined: no trimming, no case folding, no prefix or
// suffix (threat A9). An empty token never matches, so that a hostname
// stored without one cannot be proven by an empty record.
func (c *Checker) checkTXT(ctx context.Context, h core.Hostname) proof {
	name := h.OwnershipTXTName()
	values, err := c.resolver.LookupTXT(ctx, name)
	switch {
	case errors.Is(err, ErrUnavailable):
		return proof{unknown: true, msg: fmt.Sprintf("could not check TXT record %s: %s; it will be checked again", name, unavailableReason(err))}
	case err != nil: // a CNAME loop or an over-long chain: definitely no usable record
		return proof{msg: fmt.Sprintf("TXT record %s not found: %v", name, err)}
	case len(values) == 0:
		return proof{msg: fmt.Sprintf("TXT record %s not found", name)}
	}
	if tokenIn(values, h.OwnershipToken) {
		return proof{ok: true}
	}
	return proof{msg: fmt.Sprintf("found TXT %s at %s, expected the ownership token", quoteList(values), name)}
}

// tokenIn reports whether one of values equals token, comparing in constant
// time: the values are public, but a timing signal on a secret is a habit
// not worth having.
func tokenIn(values []string, token string) bool {
	if token == "" {
		return false
	}
	found := 0
	for _, v := range values {
		found |= subtle.ConstantTimeCompare([]byte(v), []byte(token))
	}
	return found == 1
}

// quoteList renders found values for a message: quoted with Go escapes (a
// hostile record may carry control characters), each clipped, at most three.
func quoteList(values []string) string {
	const show = 3
	parts := make([]string, 0, show+1)
	for i, v := range values {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(values)-show))
			break
		}
		parts = append(parts, fmt.Sprintf("%q", clip(v, 64)))
	}
	return strings.Join(parts, ", ")
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
