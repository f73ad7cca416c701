// Package resource owns the pure rules for SCIM Users and Groups: attribute
// map normalisation against the schemas, create and replace (PUT) rules
// (ids, immutability, password hashing), applying PATCH operations with
// every Entra ID and Okta request shape, and group member deltas.
//
// It does no I/O: no HTTP, no SQL, no clock or randomness of its own (the
// Service gets Now, NewID and Hash from its caller) and no global state.
// The HTTP handlers (behind elimity-com/scim) and the Bulk engine both call
// it, so /Bulk and CSV imports follow exactly the rules of single requests:
//
//   - NewUser, ReplaceUser, PatchUser; NewUserWithHash for tenant
//     snapshots (the only way to set a hash).
//   - NewGroup, ReplaceGroup, PatchGroup; members are rows, never
//     attributes, and come back as a member list or a MemberDelta.
//   - NormalizePatchBody rewrites the IdP shapes the pinned elimity
//     refuses, before elimity validates an HTTP PATCH body.
//   - DecodePatch / PatchDecoder turn a PatchOp body into the []Op elimity
//     would hand over, for /Bulk.
//
// Client errors are *Error values with the SCIM scimType and a Detail that
// names the attribute or path; anything else is an internal error.
//
// Attribute maps use canonical attribute names from the schema at every
// level, with extension attributes nested under their URN key. Values are
// string, bool, int64, float64 (json.Number when read back from the
// store), map[string]any and []any; nil, empty strings, empty objects and
// empty arrays mean "absent" and are never stored (an extension left empty
// disappears, and with it its URN from "schemas").
//
// Decisions worth knowing:
//
//   - Primary: at most one element of a multi-valued attribute is primary.
//     When several are, the element written by the current operation wins
//     (RFC 7644 §3.5.2: setting primary resets the others), else the first
//     one; the others get "primary": false. Such input is not rejected.
//   - Adding a value that is already there (same "value" by the
//     sub-attribute's caseExact rule and no conflicting "type"; or an equal
//     element for attributes without "value") merges the new
//     sub-attributes into the existing element instead of duplicating it.
//   - replace of emails[type eq "work"].value (any `eq`/`and` filter) with
//     no match creates the element the filter describes, primary when it is
//     the only one; a filter that cannot describe an element gives
//     noTarget. A replace with a filter and no sub-attribute replaces the
//     matching elements whole (keeping the filter's eq values).
//   - Path-less add/replace values are maps of paths: dotted keys,
//     extension-qualified keys, URN keys holding objects, value filters.
//     Read-only keys (id, meta, groups, manager.displayName) are ignored
//     there and on create/PUT; an explicit path to them is a mutability
//     error. add with an empty value changes nothing; replace with an empty
//     value unassigns.
//   - Unknown attributes are ignored on create and replace (as elimity
//     does) and rejected with invalidPath in PATCH.
//   - Booleans given as "True"/"False" (any case) are accepted everywhere,
//     whatever elimity's process-wide SetAllowStringValues says. A complex
//     attribute with a "value" sub-attribute given as a bare string
//     (Entra's manager) means {"value": string}. Entra's app roles with the
//     role object as JSON inside "value" are unwrapped.
//   - PUT (Replace*) replaces every readWrite attribute; an immutable
//     attribute that is omitted keeps its value, one that is sent must be
//     unchanged (letter case aside when not caseExact), else mutability.
//     PATCH may set an unset immutable attribute but not change or remove
//     it. A Group PUT replaces the member list (absent members = no
//     members, RFC 7644 §3.5.1).
//   - password is hashed with Service.Hash and kept in PasswordHash only; a
//     value that already looks like an argon2id/bcrypt hash is hashed like
//     any other string. PUT without password keeps the hash; PATCH remove
//     (or an empty value) clears it.
//   - Value filters are evaluated with scim/filter.Match using each
//     sub-attribute's caseExact rule; `eq null` matches an absent value,
//     `ne` matches absent values too. Group membership filters of the form
//     value eq "id" (or several joined by or) never load the member list.
//
// resource imports schemas, store (record types only), scim/filter and
// internal/password. It must not import scim, store/sqlstore or bulkcsv.
package resource
