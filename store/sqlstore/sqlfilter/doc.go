// Package sqlfilter translates parsed SCIM filters
// (github.com/scim2/filter-parser/v2 AST) and sortBy paths into
// parameterised SQL for the scimd tables (see
// store/sqlstore/migrations), for SQLite and PostgreSQL. Attribute names
// resolve case-insensitively through the schemas registry, which also
// decides the case rule (caseExact) and the storage location: an indexed
// column, a side table (user_emails, group_members) or a JSON path into
// attrs.
//
// The output uses '?' placeholders and always refers to the main table as
// "r". It imports schemas and store (for QueryError) only; it must not
// import gorm, the sqlstore package that calls it, or anything above store.
//
// # Semantics
//
//   - A leaf predicate on a missing attribute is FALSE, never NULL, so that
//     "not (title eq "x")" matches users without a title. Index-backed
//     forms stay sargable: the NULL guard (COALESCE(…, FALSE)) is only
//     added under an odd number of "not"s, where no index helps anyway.
//   - "ne" matches resources where the attribute is absent. On a
//     multi-valued attribute without brackets, "ne v" is exactly
//     "not (eq v)": no value equals v (emails.type ne "work" = users
//     without a work e-mail). Inside brackets the comparison is per value:
//     emails[type ne "work"] = users with some e-mail whose type is not
//     "work".
//   - "pr" is non-null and non-empty: empty strings, empty arrays and empty
//     objects do not count. "eq null" is "not pr"; "ne null" is "pr";
//     other operators with null are rejected.
//   - Strings compare case-insensitively unless the attribute is caseExact:
//     the parameter is lower-cased in Go (strings.ToLower) and the SQL side
//     with scim_lower() (SQLite, Go's ToLower) or lower() (PostgreSQL);
//     the *_ci columns are stored lower-cased already. binary and dateTime
//     values and ids (id, members.value, groups.value) are case-exact.
//     co/sw/ew use GLOB on SQLite (case-sensitive, unlike LIKE) and LIKE
//     with backslash escapes on PostgreSQL. gt/ge/lt/le and sorting use
//     code-point order on both databases (COLLATE "C" on PostgreSQL).
//   - booleans accept true/false and the strings "true"/"false" in any
//     letter case (Microsoft Entra ID sends strings); only eq, ne, pr.
//     integer and decimal compare numerically; co/sw/ew are rejected.
//     dateTime values must parse as RFC 3339; meta.created and
//     meta.lastModified compare as Unix microseconds against the indexed
//     columns, other dateTime attributes compare as strings. binary allows
//     eq, ne, pr only.
//   - A multi-valued complex attribute named without a sub-attribute means
//     its "value" sub-attribute (emails co "x" = emails.value co "x"),
//     except with "pr", which asks whether there is any value at all.
//   - meta.resourceType is a constant per endpoint; meta.version matches
//     the weak ETag W/"<version>" of the version column; meta.location,
//     groups.$ref and members.$ref depend on the request URL and are
//     rejected, as are password (returned never) and value filters nested
//     inside value filters.
//
// # Index use
//
// userName, externalId, displayName, id, the SAP userUuid, emails.value,
// groups.value and members.value equality are index look-ups
// (explain_test.go proves it on both databases). Two SQLite specifics:
// equality on a column with a non-unique index (externalId, a user's
// displayName) is wrapped in likelihood(…, 0.0001), because without
// ANALYZE statistics SQLite would rather walk the whole tenant in primary
// key order than sort one row; and the side-table IN (…) forms still need
// statistics (ANALYZE / PRAGMA optimize) to be preferred over walking the
// sortBy index when sortBy is an indexed column. sw on a *_ci column is an
// index range on both (GLOB / LIKE on COLLATE "C").
//
// scim_lower(NULL) returns the empty string with the current sqlitedrv; where that would
// change a result (ordering operators, an empty operand, ORDER BY) the
// SQLite form lower-cases only non-NULL values.
//
// # Keyset paging
//
// SortKey returns the expression OrderBy sorts by (before the r.id
// tie-break), and SortKey.After the predicate "sorts after (key, id)" in
// the same order, NULLs last, for cursor paging; keyset_test.go checks
// that keyset walks equal ORDER BY on both databases and that the default
// order and userName start with an index range at the position.
//
// # Storage locations
//
// Users: id → r.id, userName → r.user_name_ci, externalId → r.external_id,
// displayName → r.display_name_ci, active → r.active, meta.created →
// r.created_at, meta.lastModified → r.modified_at, meta.version →
// r.version, the SAP userUuid → r.user_uuid_ci, emails.value →
// user_emails, groups → group_members (+ scim_groups for display).
// Groups: id, displayName, externalId, meta.* likewise; members →
// group_members (+ scim_users/scim_groups for display). Everything else
// lives in r.attrs: json_extract / json_each on SQLite, -> / ->> /
// jsonb_array_elements on PostgreSQL, keys passed as parameters.
package sqlfilter
