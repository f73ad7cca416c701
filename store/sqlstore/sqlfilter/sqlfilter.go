// Package sqlfilter translates parsed SCIM filters
// (github.com/scim2/filter-parser/v2 AST) and sortBy paths into
// parameterised SQL for the scimd tables (see
// store/sqlstore/migrations), for SQLite and PostgreSQL. Attribute names
// resolve case-insensitively through the schemas registry, which also
// decides the case rule (caseExact) and the storage location: an indexed
// column, a side table (user_emails, group_members) or a JSON path into
// attrs.
package sqlfilter

import (
	"errors"

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

// Translator turns filters and sort paths into SQL fragments.
type Translator struct {
	Dialect Dialect
	Reg     *schemas.Registry
}

var errTODO = errors.New("sqlfilter: not implemented yet")

// Where translates expr (a filter.Expression; nil means "everything") into
// a boolean SQL expression over the main table aliased "r", with '?'
// placeholders and their arguments. tenantID is used by sub-queries on
// side tables. Errors are *store.QueryError.
func (t Translator) Where(res Resource, tenantID int64, expr any) (string, []any, error) {
	return "", nil, errTODO
}

// OrderBy returns the ORDER BY list (without the keywords) for sortBy
// ("" = creation order), always ending with the "r.id" tie-break so that
// paging is stable. Errors are *store.QueryError with Sort set.
func (t Translator) OrderBy(res Resource, sortBy string, descending bool) (string, []any, error) {
	return "", nil, errTODO
}
