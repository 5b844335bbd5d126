package dnsname

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is the refusal of a hostname or origin. Reason is one of the Reason
// constants; Hint is an English sentence that tells the user what to send
// instead (for non-ASCII input it carries the A-label). Input is the raw input
// as received; print it quoted, never raw, since it may hold control bytes.
//
// Error has only exported fields so that callers can compare errors with
// cmp.Diff or == on the dereferenced value.
type Error struct {
	Input  string
	Reason string
	Hint   string
}

// maxEcho bounds how much of the input Error.Error repeats, so that a 1 KiB
// hostile input does not become a 1 KiB log line.
const maxEcho = 128

// Error returns a one-line message: the quoted input, what is wrong, the
// reason code and the hint.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid hostname ")
	if len(e.Input) > maxEcho {
		cut := maxEcho
		for cut > 0 && !utf8.RuneStart(e.Input[cut]) {
			cut--
		}
		fmt.Fprintf(&b, "%q... (%d bytes)", e.Input[:cut], len(e.Input))
	} else {
		fmt.Fprintf(&b, "%q", e.Input)
	}
	fmt.Fprintf(&b, ": %s (reason %s)", describe(e.Reason), e.Reason)
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func newError(input, reason, hint string) *Error {
	return &Error{Input: input, Reason: reason, Hint: hint}
}

// clip shortens a label or name quoted inside a hint.
func clip(s string) string {
	if len(s) <= 24 {
		return s
	}
	return s[:24] + "..."
}
