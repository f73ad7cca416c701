package resource

import "fmt"

// SCIM error types (RFC 7644 §3.12) that this package returns.
const (
	InvalidValue  = "invalidValue"
	InvalidPath   = "invalidPath"
	NoTarget      = "noTarget"
	Mutability    = "mutability"
	InvalidSyntax = "invalidSyntax"
)

// Error is a client error: the request cannot be applied as sent. Detail
// names the attribute or path and the problem; clients show it to people.
// Functions of this package return it as *Error.
type Error struct {
	ScimType string
	Detail   string
}

func (e *Error) Error() string { return e.ScimType + ": " + e.Detail }

func errorf(scimType, format string, args ...any) *Error {
	return &Error{ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}
