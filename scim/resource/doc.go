// Package resource owns the pure rules for SCIM Users and Groups: attribute
// map normalisation against the schemas, create and replace (PUT) rules
// (ids, immutability, password hashing), applying PATCH operations with
// every Entra ID and Okta request shape, and group member deltas.
//
// It does no I/O: no HTTP, no SQL, no clock or randomness of its own (the
// Service gets Now, NewID and Hash from its caller). The HTTP handlers
// (behind elimity-com/scim) and the Bulk engine both call it, so /Bulk and
// CSV imports follow exactly the same rules as single requests.
//
// Attribute maps use canonical attribute names from the schema at every
// level, with extension attributes nested under their URN key. Values are
// string, bool, int64, float64 (json.Number when read back from the
// store), map[string]any and []any; nil, empty strings, empty objects and
// empty arrays mean "absent" and are never stored.
//
// Decisions worth knowing:
//
//   - Primary: at most one element of a multi-valued attribute is
//     primary. When several are, the element written by the current
//     operation wins (RFC 7644 §3.5.2: setting primary resets the others),
//     else the first one; the others get "primary": false. Input with
//     several primaries is not rejected.
//   - Unknown attributes are ignored on create and replace (as elimity
//     does) and rejected with invalidPath in PATCH paths.
//   - PUT (Replace*) replaces every readWrite attribute; an immutable
//     attribute that is omitted keeps its value, one that is sent must be
//     unchanged (else mutability). A Group PUT replaces the member list
//     (absent members = no members, RFC 7644 §3.5.1).
//   - `password` is hashed with Service.Hash and kept in PasswordHash
//     only; a value that already looks like a hash is hashed like any other
//     string. Tenant snapshots restore hashes with NewUserWithHash.
//   - Value filters in PATCH paths compare strings by the sub-attribute's
//     caseExact rule; `attr eq null` matches an absent attribute, `ne`
//     matches an absent one too.
//
// resource imports schemas, store (records only) and internal/password.
// It must not import scim, store/sqlstore or bulkcsv.
package resource
