package store

import "context"

// Store is the persistence contract. Read methods run outside any write
// transaction; every write goes through Tx so that one request, one Bulk
// operation or one import chunk commits atomically. Jobs (JobStore) are the
// exception: their records have methods of their own, and a chunk's job
// progress is written through Tx (JobTx).
type Store interface {
	JobStore
	CursorStore
	ClientStore

	// Tenants.
	CreateTenant(ctx context.Context, name string) (Tenant, error)
	GetTenant(ctx context.Context, name string) (Tenant, error)
	GetTenantByID(ctx context.Context, id int64) (Tenant, error)
	ListTenants(ctx context.Context) ([]Tenant, error)
	// SetTenantSettings replaces the tenant's settings.
	SetTenantSettings(ctx context.Context, name string, s TenantSettings) error
	// DeleteTenant removes the tenant and everything it owns.
	DeleteTenant(ctx context.Context, name string) error

	// Tokens. LookupToken is the one query without a tenant: the token
	// decides the tenant.
	CreateToken(ctx context.Context, t Token) error
	ListTokens(ctx context.Context, tenantID int64) ([]Token, error)
	DeleteToken(ctx context.Context, tenantID int64, id string) error
	LookupToken(ctx context.Context, hash string) (Token, error)

	// Users.
	GetUser(ctx context.Context, tenantID int64, id string) (User, error)
	// ListUsers returns one page of matching users and the total number
	// of matches.
	ListUsers(ctx context.Context, tenantID int64, q Query) ([]User, int, error)
	// ScanUsers streams every matching user in query order (Offset and
	// Count apply) without holding them all in memory. It stops at the
	// first error fn returns, and when ctx is cancelled.
	ScanUsers(ctx context.Context, tenantID int64, q Query, fn func(*User) error) error
	// GroupsOfUsers returns the direct groups of each given user.
	GroupsOfUsers(ctx context.Context, tenantID int64, userIDs []string) (map[string][]GroupRef, error)

	// Groups.
	GetGroup(ctx context.Context, tenantID int64, id string) (Group, error)
	ListGroups(ctx context.Context, tenantID int64, q Query) ([]Group, int, error)
	ScanGroups(ctx context.Context, tenantID int64, q Query, fn func(*Group) error) error
	// Members returns the members of each given group, with Display filled.
	Members(ctx context.Context, tenantID int64, groupIDs []string) (map[string][]Member, error)

	// Tx runs fn in one write transaction bound to tenantID. fn's error
	// rolls the transaction back and is returned as is.
	Tx(ctx context.Context, tenantID int64, fn func(tx Tx) error) error

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is a write transaction bound to one tenant. Look-ups lock the rows
// they return until the transaction ends (SELECT … FOR UPDATE where the
// database supports it; SQLite serialises writers), so read-modify-write
// is safe against concurrent requests. Batch methods do a bounded number of
// statements per call, never one round trip per item where the database
// offers a batch form.
type Tx interface {
	// JobTx writes an import chunk's report lines and checkpoint in the
	// chunk's transaction.
	JobTx

	// Users by an indexed key. The result maps each given value (as given)
	// to the matching users; values without a match are absent.
	UsersBy(ctx context.Context, key UserKey, values []string) (map[string][]*User, error)
	// InsertUsers inserts new users. It fills Version (1), Created and
	// Modified when zero. A uniqueness collision (userName, userUuid) fails
	// that item with a *UniquenessError inside a *BatchError; the other
	// items are still inserted.
	InsertUsers(ctx context.Context, users []*User) error
	// UpdateUsers writes users read in this transaction. Each user's
	// Version must be the version read; the store stores Version+1, sets it
	// on the struct and sets Modified. Per-item failures (uniqueness,
	// ErrVersionMismatch, ErrNotFound) come back in a *BatchError.
	UpdateUsers(ctx context.Context, users []*User) error
	// DeleteUsers deletes users and their memberships. Unknown ids fail
	// with ErrNotFound in a *BatchError.
	DeleteUsers(ctx context.Context, ids []string) error

	// Groups by id, or by displayName (case-insensitive) when byName.
	GroupsBy(ctx context.Context, byName bool, values []string) (map[string][]*Group, error)
	InsertGroups(ctx context.Context, groups []*Group) error
	UpdateGroups(ctx context.Context, groups []*Group) error
	// DeleteGroups deletes groups, their member rows and their
	// memberships in other groups.
	DeleteGroups(ctx context.Context, ids []string) error

	// AddMembers adds membership rows; rows that already exist are
	// ignored. It returns how many rows were new. Callers check that
	// members exist (ExistingIDs) first.
	AddMembers(ctx context.Context, members []Member) (int, error)
	// RemoveMembers removes membership rows (Type is ignored) and returns
	// how many existed.
	RemoveMembers(ctx context.Context, members []Member) (int, error)
	// RemoveAllMembers removes every member of a group.
	RemoveAllMembers(ctx context.Context, groupID string) error
	// ExistingIDs returns which of ids are users and which are groups.
	ExistingIDs(ctx context.Context, ids []string) (users, groups map[string]bool, err error)
	// TouchGroups bumps version and lastModified of groups whose
	// membership changed without a group row update.
	TouchGroups(ctx context.Context, ids []string) error
}
