package acme

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mholt/acmez/v3/acme"
)

// The outcomes Step and Run report, for callers to branch on with
// errors.Is.
var (
	// ErrPostponed: the Issuance waits; the error is a *PostponedError
	// that says until when. Nothing is wrong with the record.
	ErrPostponed = errors.New("acme: issuance postponed")
	// ErrFailed: the Issuance is at StepFailed and will not be tried again.
	ErrFailed = errors.New("acme: issuance failed")
)

// PostponedError says an Issuance waits until Until; Reason is the private
// cause, for logs.
type PostponedError struct {
	ID     string
	Until  time.Time
	Reason string
}

func (e *PostponedError) Error() string {
	return fmt.Sprintf("issuance %s postponed until %s: %s", e.ID, e.Until.UTC().Format(time.RFC3339), e.Reason)
}

// Is makes errors.Is(err, ErrPostponed) true.
func (e *PostponedError) Is(target error) bool { return target == ErrPostponed }

// failKind says what a failed step means for the Issuance.
type failKind int

const (
	// kindTransient: keep the step, retry after RetryDelay(Retries).
	kindTransient failKind = iota
	// kindWait: keep the step, retry at retryAt (Retry-After, pacing);
	// nothing counted.
	kindWait
	// kindValidation: the order failed for a reason the customer can act
	// on; back to StepNew after Backoff(Attempts).
	kindValidation
	// kindLookup: CAA could not be looked up; retry later, no attempt
	// counted.
	kindLookup
	// kindRestart: the order is gone at the CA (expired, forgotten); back
	// to StepNew now-ish, no attempt counted.
	kindRestart
	// kindFatal: the Issuance cannot succeed as configured.
	kindFatal
)

// stepError is a classified failure of one step.
type stepError struct {
	kind    failKind
	public  string    // for ValidationErrors (validation, fatal)
	retryAt time.Time // for kindWait
	err     error     // the private cause
}

func (e *stepError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return e.public
}

func (e *stepError) Unwrap() error { return e.err }

func validationError(public string, err error) *stepError {
	return &stepError{kind: kindValidation, public: clip(public), err: err}
}

func fatalError(public string, err error) *stepError {
	return &stepError{kind: kindFatal, public: clip(public), err: err}
}

// classify turns any error of a step into a stepError. note holds the
// Retry-After the CA sent during the step, if any.
func classify(err error, note *retryNote, now time.Time) *stepError {
	var se *stepError
	if errors.As(err, &se) {
		return se
	}
	var forbidden *caaForbidden
	if errors.As(err, &forbidden) {
		return validationError(forbidden.Error(), err)
	}
	var lookup *caaLookupError
	if errors.As(err, &lookup) {
		return &stepError{kind: kindLookup, err: err}
	}
	var p acme.Problem
	isProblem := errors.As(err, &p)
	if isProblem {
		switch p.Type {
		case acme.ProblemTypeUnauthorized, acme.ProblemTypeIncorrectResponse, acme.ProblemTypeDNS,
			acme.ProblemTypeConnection, acme.ProblemTypeCAA, acme.ProblemTypeTLS,
			acme.ProblemTypeRejectedIdentifier, acme.ProblemTypeUnsupportedIdentifier:
			return validationError(problemText(p), err)
		}
	}
	// Retry-After wins over every other kind of failure: a CA that says
	// when to come back is not asked before (threat model B1, B8).
	if at := note.get(); at.After(now) {
		return &stepError{kind: kindWait, retryAt: at, err: err}
	}
	if !isProblem {
		return &stepError{kind: kindTransient, err: err} // network, timeouts, decoding
	}
	switch p.Type {
	case acme.ProblemTypeRateLimited:
		// No Retry-After: wait longer than a retry that would certainly
		// be refused again.
		return &stepError{kind: kindWait, retryAt: now.Add(time.Hour), err: err}
	case acme.ProblemTypeBadNonce, acme.ProblemTypeServerInternal, acme.ProblemTypeOrderNotReady,
		acme.ProblemTypeAccountDoesNotExist:
		return &stepError{kind: kindTransient, err: err}
	}
	switch {
	case p.Status >= 500 || p.Status == 0:
		return &stepError{kind: kindTransient, err: err}
	case p.Status == http.StatusNotFound:
		return &stepError{kind: kindRestart, err: err}
	}
	// Any other refusal (malformed, badCSR, ...) would be refused again
	// right away: back off as for a failed validation.
	return validationError(problemText(p), err)
}

// problemText is the plain-words text of a CA problem, for customers.
func problemText(p acme.Problem) string {
	detail := p.Detail
	for _, sp := range p.Subproblems {
		detail += "; " + sp.Identifier.Value + ": " + sp.Detail
	}
	if detail == "" {
		detail = strings.TrimPrefix(p.Type, acme.ProblemTypeNamespace)
	}
	return "The certificate authority refused: " + detail
}

// clip bounds a message shown to customers.
func clip(s string) string {
	const max = 500
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// isContextErr reports whether err is the cancellation of ctx itself
// (shutdown), which is not a failure of the Issuance.
func isContextErr(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
