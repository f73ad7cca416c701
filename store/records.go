package store

import (
	"encoding/json"
	"time"
)

// Tenant is an isolated directory: its users, groups, tokens and jobs.
type Tenant struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	Settings  TenantSettings
}

// TenantSettings override server-wide defaults for one tenant; a zero
// value means "use the server's default".
type TenantSettings struct {
	// MaxGroupsPerUser limits the groups column of one import row.
	MaxGroupsPerUser int `json:"maxGroupsPerUser,omitempty"`
	// MaxGroupsPerFile limits the distinct groups of one group import.
	MaxGroupsPerFile int `json:"maxGroupsPerFile,omitempty"`
}

// TenantSettingNames are the JSON names of TenantSettings' fields.
var TenantSettingNames = []string{"maxGroupsPerUser", "maxGroupsPerFile"}

// Field returns the setting with the given JSON name, nil for an unknown
// name.
func (s *TenantSettings) Field(name string) *int {
	switch name {
	case "maxGroupsPerUser":
		return &s.MaxGroupsPerUser
	case "maxGroupsPerFile":
		return &s.MaxGroupsPerFile
	}
	return nil
}

// Token is a bearer credential of a tenant. Only the SHA-256 hash of the
// secret is stored.
type Token struct {
	ID          string // public identifier (for deletion); not secret
	TenantID    int64
	Hash        string // hex SHA-256 of the secret
	Scopes      []string
	Description string
	ClientID    string // set for access tokens issued to an OAuth client
	CreatedAt   time.Time
	ExpiresAt   *time.Time // nil: never expires
}

// User is a stored SCIM User.
//
// Attrs is the JSON object of the user's SCIM attributes with canonical
// attribute names, including "schemas", "userName", "externalId" and
// extension objects under their URN; it never contains "id", "meta",
// "groups" or "password". The other fields are copies of attribute values
// that the store indexes; SetAttrs keeps them consistent with Attrs.
type User struct {
	ID           string
	UserName     string
	ExternalID   string // "" when absent
	DisplayName  string // "" when absent
	Active       *bool  // nil when absent
	UserUUID     string // SAP extension userUuid; "" when absent
	Emails       []string
	Attrs        json.RawMessage
	PasswordHash string // argon2id/bcrypt hash; "" when no password
	Version      int64
	Created      time.Time
	Modified     time.Time
}

// Group is a stored SCIM Group. Attrs holds the group's SCIM attributes
// (canonical names, "schemas", "displayName", "externalId", extensions)
// without "id", "meta" and "members": members are rows of their own.
type Group struct {
	ID          string
	DisplayName string
	ExternalID  string
	Attrs       json.RawMessage
	Version     int64
	Created     time.Time
	Modified    time.Time
}

// Member types.
const (
	MemberUser  = "User"
	MemberGroup = "Group"
)

// Member is one membership row: group GroupID contains Value.
type Member struct {
	GroupID string
	Value   string // the member's id
	Type    string // MemberUser or MemberGroup
	Display string // read only: the member's displayName (or userName)
}

// GroupRef is one entry of a user's derived "groups" attribute.
type GroupRef struct {
	UserID  string
	GroupID string
	Display string
}

// Query selects, orders and pages resources.
type Query struct {
	// Filter is a parsed SCIM filter (github.com/scim2/filter-parser/v2
	// AST); nil selects everything. Attribute names are resolved
	// case-insensitively against the resource type's schemas.
	Filter any
	// SortBy is an attribute path ("" = by id, i.e. creation order).
	SortBy string
	// Descending reverses the sort order.
	Descending bool
	// Offset is the number of matching resources to skip (startIndex-1).
	Offset int
	// After, when set, continues a keyset (cursor) walk: only resources
	// that sort strictly after this position are returned, and Offset must
	// be 0. Unlike Offset, it does not read the skipped resources.
	After *Position
	// Count is the maximum number of resources to return; 0 returns none
	// (only the total), a negative value means no limit.
	Count int
	// NoTotal skips counting the matches in keyset paging (ListUsersPage,
	// ListGroupsPage): Page.Total is then -1. Cursor walks count once, on
	// their first page, and carry the total in the cursor.
	NoTotal bool
	// Lean leaves the users' UserUUID and Emails empty, for callers that
	// only render Attrs (they are re-derived from Attrs on every read: a
	// tenth of the CPU of a list page).
	Lean bool
}

// UserKey names an indexed user identifier for batch look-ups.
type UserKey int

const (
	// ByID matches the SCIM id (case-sensitive).
	ByID UserKey = iota
	// ByUserName matches userName case-insensitively.
	ByUserName
	// ByExternalID matches externalId (case-sensitive).
	ByExternalID
	// ByEmail matches any of the user's email values, case-insensitively.
	ByEmail
	// ByUserUUID matches the SAP extension userUuid case-insensitively.
	ByUserUUID
)
