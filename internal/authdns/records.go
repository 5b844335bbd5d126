package authdns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// MaxValues is the most TXT values a label may hold at once. Let's Encrypt
// needs two while it validates a name and its wildcard in one order; more
// would only make the label a bigger amplifier (threat model A15).
const MaxValues = 2

// MaxValueLen is the longest TXT value MemRecords accepts, in bytes. A DNS-01
// value is 43 bytes; with this bound two values always fit a 1232-byte UDP
// answer, so a CA never has to fall back to TCP.
const MaxValueLen = 512

// Records is where the server finds the TXT values published under a
// delegation label.
//
// TXT reports the values of label, a single lowercase DNS label such as
// NewLabel returns, never a full name. ok is false when the label does not
// exist, which the server answers with NXDOMAIN: a label exists from the
// moment its hostname is created until it is deleted. ok is true with no
// values when the label exists and nothing is published (NODATA). There are
// at most MaxValues values, in no particular order; the server answers
// SERVFAIL when there are more. A non-nil err means the answer is unknown
// (SERVFAIL), and values and ok are ignored.
//
// Implementations MUST be safe for concurrent use and SHOULD return when ctx
// is done: the server gives each lookup a short deadline and answers SERVFAIL
// when it passes, abandoning the call.
type Records interface {
	TXT(ctx context.Context, label string) (values []string, ok bool, err error)
}

// RecordsFunc adapts a function to Records, the way the store-backed source
// plugs in without a type of its own.
type RecordsFunc func(ctx context.Context, label string) (values []string, ok bool, err error)

// TXT calls f.
func (f RecordsFunc) TXT(ctx context.Context, label string) ([]string, bool, error) {
	return f(ctx, label)
}

// The errors MemRecords returns, for callers to branch on with errors.Is.
var (
	ErrInvalidLabel  = errors.New("not a lowercase DNS label")
	ErrUnknownLabel  = errors.New("label does not exist")
	ErrTooManyValues = fmt.Errorf("more than %d TXT values for one label", MaxValues)
	ErrValueTooLong  = fmt.Errorf("TXT value longer than %d bytes", MaxValueLen)
)

// MemRecords is an in-memory Records, safe for concurrent use. Its zero value
// is empty and ready to use. Changes are visible to the next query at once.
//
// Labels come into existence only through Set, which the hostname lifecycle
// calls; Add and Remove, which the ACME engine calls, change the values of a
// label that exists. So publishing a challenge can never create a name the
// server answers for (threat model A15).
type MemRecords struct {
	mu     sync.RWMutex
	labels map[string][]string
}

var _ Records = (*MemRecords)(nil)

// TXT implements Records.
func (m *MemRecords) TXT(_ context.Context, label string) ([]string, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	values, ok := m.labels[label]
	return slices.Clone(values), ok, nil
}

// Set creates label, or replaces its values, with values (none makes a label
// that answers NODATA). Duplicate values are kept once. It returns
// ErrInvalidLabel, ErrTooManyValues or ErrValueTooLong, and then changes
// nothing.
func (m *MemRecords) Set(label string, values ...string) error {
	if !validLabel(label) {
		return fmt.Errorf("setting TXT values: %w", ErrInvalidLabel)
	}
	var uniq []string
	for _, v := range values {
		if len(v) > MaxValueLen {
			return fmt.Errorf("setting TXT values: %w", ErrValueTooLong)
		}
		if !slices.Contains(uniq, v) {
			uniq = append(uniq, v)
		}
	}
	if len(uniq) > MaxValues {
		return fmt.Errorf("setting %d TXT values: %w", len(uniq), ErrTooManyValues)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.labels == nil {
		m.labels = make(map[string][]string)
	}
	m.labels[label] = uniq
	return nil
}

// Add publishes value under an existing label. Adding a value the label
// already has does nothing, so a retried publication is harmless. It returns
// ErrUnknownLabel when the label does not exist, ErrTooManyValues when it
// holds MaxValues values already, and ErrValueTooLong.
func (m *MemRecords) Add(label, value string) error {
	if len(value) > MaxValueLen {
		return fmt.Errorf("adding TXT value: %w", ErrValueTooLong)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	values, ok := m.labels[label]
	switch {
	case !ok:
		return fmt.Errorf("adding TXT value: %w", ErrUnknownLabel)
	case slices.Contains(values, value):
		return nil
	case len(values) >= MaxValues:
		return fmt.Errorf("adding TXT value: %w", ErrTooManyValues)
	}
	// A new slice, not append: TXT handed out clones, but keeping every
	// stored slice immutable means no caller can ever alias one.
	m.labels[label] = append(slices.Clip(values), value)
	return nil
}

// Remove withdraws value from label. The label keeps existing (NODATA when
// it has no values left). Removing a value or label that is not there does
// nothing.
func (m *MemRecords) Remove(label, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	values, ok := m.labels[label]
	if !ok {
		return
	}
	m.labels[label] = slices.DeleteFunc(slices.Clone(values), func(v string) bool { return v == value })
}

// DeleteLabel removes label and its values: from the next query on, the
// server answers NXDOMAIN for it. Deleting a label that does not exist does
// nothing.
func (m *MemRecords) DeleteLabel(label string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.labels, label)
}
