package store

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Implementations wrap them (errors.Is works); the scim
// package maps each to one HTTP status and scimType.
var (
	// ErrNotFound: the tenant, resource, token or job does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUniqueness: a unique attribute value is already taken.
	ErrUniqueness = errors.New("uniqueness violation")
	// ErrVersionMismatch: the resource changed since the version the caller read.
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrInvalidQuery: the filter or sort cannot be evaluated (see QueryError).
	ErrInvalidQuery = errors.New("invalid query")
)

// UniquenessError names the attribute and value that collided.
type UniquenessError struct {
	Attr  string // SCIM attribute path, e.g. "userName"
	Value string
}

func (e *UniquenessError) Error() string {
	return fmt.Sprintf("%s %q is already in use", e.Attr, e.Value)
}

// Is makes errors.Is(err, ErrUniqueness) true.
func (e *UniquenessError) Is(target error) bool { return target == ErrUniqueness }

// QueryError describes why a filter or sortBy cannot be evaluated.
type QueryError struct {
	Sort bool // true: the sortBy parameter is at fault; false: the filter
	Msg  string
}

func (e *QueryError) Error() string {
	if e.Sort {
		return "invalid sortBy: " + e.Msg
	}
	return "invalid filter: " + e.Msg
}

// Is makes errors.Is(err, ErrInvalidQuery) true.
func (e *QueryError) Is(target error) bool { return target == ErrInvalidQuery }

// BatchError reports per-item failures of a batch write. Items not listed
// in Errs succeeded (or, when the batch was rolled back by the caller, would
// have). Keys are indexes into the batch slice.
type BatchError struct {
	Errs map[int]error
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of the batch items failed", len(e.Errs))
	for i, err := range e.Errs {
		fmt.Fprintf(&b, "; item %d: %v", i, err)
		break
	}
	return b.String()
}

// ItemErrors returns the per-item errors of err if it is (or wraps) a
// *BatchError, else nil.
func ItemErrors(err error) map[int]error {
	var be *BatchError
	if errors.As(err, &be) {
		return be.Errs
	}
	return nil
}
