package store

import "context"

// Position is a place in a list's sort order: the sort key and the id of
// one resource, normally the last one of a page. Keyset (cursor) paging
// continues after it (Query.After).
type Position struct {
	// Key is the resource's sort key as the database computed it: a
	// string, int64, float64 or bool, or nil when the resource has no
	// value (such resources sort last in both directions). A PostgreSQL
	// numeric key is a decimal string. Always nil when the list is ordered
	// by id alone.
	Key any
	// ID is the resource's id, the tie-break of every order.
	ID string
}

// Page describes one keyset page (ListUsersPage, ListGroupsPage).
type Page struct {
	// Total is the number of resources matching the filter, on all pages.
	Total int
	// Last is the position of the last resource returned; nil when the
	// page is empty.
	Last *Position
	// More reports whether resources follow the page in the query's
	// order (after Last, or after Query.After when the page is empty).
	More bool
}

// CursorStore serves cursor pagination (RFC 9865).
type CursorStore interface {
	// ListUsersPage is ListUsers for keyset paging: it returns one page
	// starting after q.After (at the beginning when nil; q.Offset must be
	// 0), with the position of its last user and whether more follow. The
	// walk is stable under concurrent writes: a user that exists for the
	// whole walk and keeps its sort key is returned exactly once.
	ListUsersPage(ctx context.Context, tenantID int64, q Query) ([]User, Page, error)
	// ListGroupsPage is ListUsersPage for groups.
	ListGroupsPage(ctx context.Context, tenantID int64, q Query) ([]Group, Page, error)
	// Secret returns the server-wide random secret called name (32
	// bytes), creating it on first use. Every process sharing the
	// database gets the same value; it keys the HMAC of pagination
	// cursors, so that any replica accepts the cursors of any other.
	Secret(ctx context.Context, name string) ([]byte, error)
}
