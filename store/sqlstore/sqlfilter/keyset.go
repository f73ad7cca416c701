package sqlfilter

import (
	"strings"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
)

// SortKey is the sort key of a sortBy path: the expression that OrderBy
// sorts by before its r.id tie-break. Keyset (cursor) paging selects it
// with each row and continues after the last row's (key, id).
type SortKey struct {
	// Expr is the SQL expression over r with '?' placeholders; "" when the
	// order is by r.id alone (no sortBy, "id", or a constant such as
	// meta.resourceType).
	Expr string
	// Args are Expr's arguments (JSON paths or keys); every occurrence of
	// Expr in a statement needs its own copy.
	Args []any
	// Nullable: Expr is NULL for resources without a value. Those sort
	// last in both directions.
	Nullable bool
}

// SortKey returns the sort key of sortBy ("" = creation order). Errors
// are *store.QueryError with Sort set, as for OrderBy.
func (t Translator) SortKey(res Resource, sortBy string) (SortKey, error) {
	return t.sortKey(res, sortBy)
}

// sortKey resolves sortBy and renders its sort expression.
func (t Translator) sortKey(res Resource, sortBy string) (SortKey, error) {
	sortBy = strings.TrimSpace(sortBy)
	if sortBy == "" {
		return SortKey{}, nil
	}
	var b builder
	if err := b.init(t, res, 0, true); err != nil {
		return SortKey{}, err
	}
	b.sortPath = sortBy
	urn, attr, sub := schemas.SplitPath(b.rt, sortBy)
	ap := filter.AttributePath{AttributeName: attr}
	if urn != "" {
		ap.URIPrefix = &urn
	}
	if sub != "" {
		ap.SubAttribute = &sub
	}
	p, err := b.resolve(ap)
	if err != nil {
		return SortKey{}, err
	}
	nullable, err := b.sortKey(p)
	if err != nil {
		return SortKey{}, err
	}
	key := b.sb.String()
	if key == "" || key == "r.id" { // constant, or the id itself
		return SortKey{}, nil
	}
	return SortKey{Expr: key, Args: b.args, Nullable: nullable}, nil
}

// After returns a predicate selecting the rows that sort strictly after
// the row (key, id) in the order OrderBy(res, sortBy, descending) gives,
// and its arguments (they follow the WHERE arguments, before OrderBy's).
// key is that row's value of Expr: a value as the driver returned it, or
// nil for NULL. With K = Expr, ascending (descending swaps < and >):
//
//	by id:             r.id > ?
//	key not NULL:      (K >= ? AND (K > ? OR r.id > ?))       -- NOT NULL K
//	                   ((K >= ? AND (K > ? OR r.id > ?)) OR K IS NULL)
//	key NULL:          (K IS NULL AND r.id > ?)               -- the NULL tail
//
// The leading "K >= ?" is a plain range condition on K, so an index on
// K (userName, a group's displayName) or on r.id (creation order) starts
// the scan at the position: a deep page costs what the first one does.
func (k SortKey) After(descending bool, key any, id string) (string, []any) {
	gt, ge := " > ", " >= "
	if descending {
		gt, ge = " < ", " <= "
	}
	if k.Expr == "" {
		return "r.id" + gt + "?", []any{id}
	}
	var sb strings.Builder
	args := make([]any, 0, 3*len(k.Args)+3)
	expr := func() {
		sb.WriteString(k.Expr)
		args = append(args, k.Args...)
	}
	if key == nil {
		sb.WriteString("(")
		expr()
		sb.WriteString(" IS NULL AND r.id" + gt + "?)")
		return sb.String(), append(args, id)
	}
	sb.WriteString("(")
	if k.Nullable {
		sb.WriteString("(")
	}
	expr()
	sb.WriteString(ge + "? AND (")
	args = append(args, key)
	expr()
	sb.WriteString(gt + "? OR r.id" + gt + "?))")
	args = append(args, key, id)
	if k.Nullable {
		sb.WriteString(" OR ")
		expr()
		sb.WriteString(" IS NULL)")
	}
	return sb.String(), args
}
