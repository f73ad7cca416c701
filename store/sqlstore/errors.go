package sqlstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

// constraint identifies a unique constraint of the table layout.
type constraint int

const (
	cUnknown constraint = iota
	cUserName
	cUserUUID
	cUserID
	cGroupName
	cGroupID
	cTenantName
	cTokenHash
	cTokenID
	cJobID
)

// attrUserUUID is the SCIM path of the SAP userUuid attribute.
const attrUserUUID = schemas.SAPUserURN + ":userUuid"

// attr is the SCIM attribute a constraint protects.
func (c constraint) attr() string {
	switch c {
	case cUserName:
		return "userName"
	case cUserUUID:
		return attrUserUUID
	case cGroupName:
		return "displayName"
	case cTenantName:
		return "name"
	case cTokenHash:
		return "hash"
	case cUserID, cGroupID, cTokenID, cJobID:
		return "id"
	}
	return ""
}

// PostgreSQL constraint names (migrations/postgres/0001_init.sql).
var pgConstraints = map[string]constraint{
	"scim_users_user_name":     cUserName,
	"scim_users_user_uuid":     cUserUUID,
	"scim_users_pkey":          cUserID,
	"scim_groups_display_name": cGroupName,
	"scim_groups_pkey":         cGroupID,
	"tenants_name_key":         cTenantName,
	"tokens_pkey":              cTokenHash,
	"tokens_tenant_id":         cTokenID,
	"jobs_pkey":                cJobID,
}

// SQLite reports the columns: "UNIQUE constraint failed: t.a, t.b".
var sqliteConstraints = map[string]constraint{
	"scim_users.tenant_id, scim_users.user_name_ci":      cUserName,
	"scim_users.tenant_id, scim_users.user_uuid_ci":      cUserUUID,
	"scim_users.tenant_id, scim_users.id":                cUserID,
	"scim_groups.tenant_id, scim_groups.display_name_ci": cGroupName,
	"scim_groups.tenant_id, scim_groups.id":              cGroupID,
	"tenants.name":                                       cTenantName,
	"tokens.hash":                                        cTokenHash,
	"tokens.tenant_id, tokens.id":                        cTokenID,
	"jobs.tenant_id, jobs.id":                            cJobID,
}

// uniqueViolation reports whether err is a unique-constraint violation
// and which constraint failed (cUnknown if not in the layout).
func uniqueViolation(err error) (constraint, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code != "23505" {
			return cUnknown, false
		}
		return pgConstraints[pe.ConstraintName], true
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		if se.ExtendedCode != sqlite3.ErrConstraintUnique && se.ExtendedCode != sqlite3.ErrConstraintPrimaryKey {
			return cUnknown, false
		}
		_, cols, _ := strings.Cut(se.Error(), "constraint failed: ")
		return sqliteConstraints[cols], true
	}
	return cUnknown, false
}

// isForeignKeyViolation reports a foreign-key violation (a token of an
// unknown tenant).
func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintForeignKey
	}
	return false
}

// uniquenessError builds the store error for a violated constraint.
// value is the colliding value of the item being written.
func uniquenessError(c constraint, value string, cause error) error {
	if c == cUnknown {
		return fmt.Errorf("%w: %v", store.ErrUniqueness, cause)
	}
	return &store.UniquenessError{Attr: c.attr(), Value: value}
}

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, store.ErrNotFound)
}

// batchErr returns a *store.BatchError for errs, or nil when empty.
func batchErr(errs map[int]error) error {
	if len(errs) == 0 {
		return nil
	}
	return &store.BatchError{Errs: errs}
}
