package core

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error so that each API dialect can choose its own
// status code and error shape.
type Kind int

// The error kinds.
const (
	KindInternal     Kind = iota // a bug or an infrastructure failure; the message is generic
	KindInvalid                  // the request is malformed or a value is refused
	KindUnauthorized             // no or bad credentials
	KindForbidden                // credentials valid, action not allowed (quota, entitlement)
	KindNotFound                 // the object does not exist for this tenant
	KindConflict                 // the object exists already, or the state moved on
	KindUnavailable              // try again later (database down, rate limited)
)

// Error is the one domain error type. Public is safe to show a client; Err is
// the private cause, logged but never returned. Reason is a stable machine
// code (e.g. "duplicate_hostname", "invalid_hostname") that the dialects map to
// their own codes; Field names the input at fault, when there is one.
type Error struct {
	Kind   Kind
	Reason string
	Public string
	Field  string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Public, e.Err)
	}
	return e.Public
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a public domain error of the given kind and reason.
func Errorf(kind Kind, reason, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Public: fmt.Sprintf(format, args...)}
}

// AsError returns the *Error in err's chain, or a KindInternal error wrapping
// err when there is none.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Reason: "internal", Public: "internal error", Err: err}
}
