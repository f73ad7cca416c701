package sqlfilter

import (
	"github.com/scimd/scimd/schemas"
)

// Dialect selects the SQL flavour.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

// Resource selects the table a filter applies to.
type Resource int

const (
	// Users: table scim_users, aliased "r".
	Users Resource = iota
	// Groups: table scim_groups, aliased "r".
	Groups
)

// Translator turns filters and sort paths into SQL fragments. It is
// stateless and safe for concurrent use.
type Translator struct {
	Dialect Dialect
	Reg     *schemas.Registry
}

// Where translates expr (a filter.Expression; nil means "everything") into
// a boolean SQL expression over the main table aliased "r", with '?'
// placeholders and their arguments. tenantID is used by sub-queries on
// side tables. Errors are *store.QueryError.
func (t Translator) Where(res Resource, tenantID int64, expr any) (string, []any, error) {
	if isNilExpr(expr) {
		return sqlTrue, nil, nil
	}
	var b builder
	if err := b.init(t, res, tenantID, false); err != nil {
		return "", nil, err
	}
	if err := b.expr(expr, 0); err != nil {
		return "", nil, err
	}
	return b.sb.String(), b.args, nil
}

// OrderBy returns the ORDER BY list (without the keywords) for sortBy
// ("" = creation order), always ending with the "r.id" tie-break so that
// paging is stable. Errors are *store.QueryError with Sort set.
//
// The sort key comes first, NULLs (absent values) last in both directions,
// then r.id in the same direction. Arguments (JSON paths or keys) must
// follow the WHERE arguments in the final statement.
func (t Translator) OrderBy(res Resource, sortBy string, descending bool) (string, []any, error) {
	return t.orderBy(res, sortBy, descending)
}
