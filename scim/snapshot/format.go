package snapshot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/bulk"
)

// Format constants (see the package documentation).
const (
	// SchemaURN marks a tenant snapshot document.
	SchemaURN = "urn:scimd:api:messages:2.0:TenantSnapshot"
	// Version is the format version written and the only one read.
	Version = 1
	// PasswordHashKey is the user member holding the password hash.
	PasswordHashKey = "urn:scimd:snapshot:passwordHash"
)

// Header is everything of a snapshot but its users and groups.
type Header struct {
	Version       int
	Tenant        string
	ExportedAt    time.Time // zero when absent
	CustomSchemas []CustomSchema
}

// CustomSchema is a custom extension schema as a --schemas-dir file has
// it: an RFC 7643 §7 schema, the resource type it extends and whether
// resources must carry it.
type CustomSchema struct {
	schemas.Schema
	ResourceType string `json:"resourceType"`
	Required     bool   `json:"required"`
}

// User is a snapshot user, as the Bulk engine restores it.
type User = bulk.RestoreUser

// Group is a snapshot group.
type Group = bulk.RestoreGroup

// FormatError is a snapshot that is not valid JSON or not of this format.
type FormatError struct {
	Where string // "users[12]", "customSchemas", "" (the document)
	Msg   string
}

func (e *FormatError) Error() string {
	if e.Where == "" {
		return e.Msg
	}
	return e.Where + ": " + e.Msg
}

func formatErrorf(where, format string, args ...any) *FormatError {
	return &FormatError{Where: where, Msg: fmt.Sprintf(format, args...)}
}

// formatTime renders a stored timestamp.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// etag renders a version as meta.version does.
func etag(v int64) string { return `W/"` + strconv.FormatInt(v, 10) + `"` }

// parseVersion reads meta.version: W/"3", "3", or the number 3.
func parseVersion(v any) (int64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case string:
		s := strings.TrimPrefix(x, "W/")
		s = strings.Trim(s, `"`)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("meta.version %q is not a version scimd writes (W/\"<n>\")", x)
		}
		return n, nil
	case interface{ Int64() (int64, error) }: // json.Number
		n, err := x.Int64()
		if err != nil || n < 1 {
			return 0, fmt.Errorf("meta.version %v is not a positive integer", v)
		}
		return n, nil
	}
	return 0, fmt.Errorf("meta.version must be a string like W/\"3\"")
}

// parseTime reads meta.created or meta.lastModified.
func parseTime(name string, v any) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("meta.%s must be a string", name)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("meta.%s %q is not an RFC 3339 time", name, s)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}
