// Package snapshot is the tenant snapshot of SPEC §9: the whole of a
// tenant as one JSON document, written by GET /scim/v2/.export and
// `scimd tenant export`, loaded by POST /scim/v2/.import and
// `scimd tenant import`. Both the HTTP handlers (package scim) and the
// offline CLI (cmd/scimd) use this package, so the two produce and accept
// the same thing.
//
// # Format (version 1)
//
// One JSON object, written in this order and streamed (a reader meets
// every user before the first group):
//
//	{
//	  "schemas": ["urn:scimd:api:messages:2.0:TenantSnapshot"],
//	  "version": 1,
//	  "tenant": "acme",                              // the exported tenant's name
//	  "exportedAt": "2025-01-31T12:00:00.123456Z",
//	  "customSchemas": [                             // the custom extensions loaded from --schemas-dir
//	    {"id": "urn:…", "name": …, "attributes": [ RFC 7643 §7 attributes ],
//	     "resourceType": "User", "required": false}
//	  ],
//	  "users": [
//	    {"id": "…", "schemas": […], "userName": "…", … every stored attribute,
//	     extensions under their URN …,
//	     "meta": {"resourceType": "User", "created": "…", "lastModified": "…", "version": "W/\"3\""},
//	     "urn:scimd:snapshot:passwordHash": "$argon2id$…"}   // absent: no password
//	  ],
//	  "groups": [
//	    {"id": "…", "schemas": […], "displayName": "…", … attributes …,
//	     "meta": {"resourceType": "Group", …},
//	     "members": [{"value": "<user or group id>", "type": "User"}]}
//	  ]
//	}
//
// A customSchemas entry has the shape of a --schemas-dir file, so it can
// be dropped into another server's schemas directory as is. Users carry no
// "groups" attribute (it is derived from the groups' members) and never a
// "password"; the hash is the one scimd stores (argon2id or bcrypt) and
// verifies the same password on the target. Timestamps are RFC 3339 UTC
// with microseconds, as stored.
//
// Two snapshots of the same tenant state differ only in "tenant" and
// "exportedAt"; everything else (ids, attributes, meta, hashes, member
// lists) restores exactly into an empty tenant. Records are in id order
// (creation order), members in id order.
//
// The reader accepts the members of the object in any order (a snapshot
// re-serialised by a tool that sorts keys puts "groups" before "users" and
// the header last), but refuses members it does not know: a typo must not
// drop data silently.
//
// The export is not a point-in-time snapshot: users are read by one
// query, then groups by another and their members a batch at a time, so a
// tenant written to during the export may yield a snapshot that mixes
// states (e.g. a member whose user was deleted meanwhile, which the import
// then reports). Export a quiet tenant for an exact copy.
//
// # Import
//
// Importer.Import reads the snapshot once, streamed, in a check pass that
// writes nothing to the database: JSON syntax and shape, the custom
// schemas against the target's registry (CheckSchemas), every record
// against the target's schemas, built as the store will hold it
// (bulk.Engine.PrepareRestoreUser/Group), and, with mode=fail, every
// record's id and userName/displayName looked up in the target (one query
// per key kind per chunk). The built records are spooled to a temporary
// directory (gob, about the size of the snapshot). Only when the whole
// snapshot passed does the restore pass write them through the Bulk engine
// (RestoreUsers, RestoreGroups, RestoreDeferred), one transaction per
// chunk. Memory stays flat: the check pass holds a few hundred decoded
// records and one chunk of identifiers, the restore one chunk of records
// (and the members of a chunk of groups), never the snapshot.
//
// Outcomes: a snapshot that cannot be imported (syntax, shape, an unknown
// schema or attribute, an invalid record) is an *InvalidError, one the
// source could not deliver (a cut upload, a size limit) a *ReadError, and
// with mode=fail a record that matches an existing resource makes a
// *ConflictError listing the conflicts; in all three cases nothing is
// written. Otherwise the records are restored and counted: created,
// updated, unchanged (mode=update, nothing differed), skipped
// (mode=ignore) or failed. A record fails while restoring only for a
// reason the check could not see (mode=update on a user whose new
// userName another user has, a userUuid taken, a member that is neither
// in the snapshot nor in the tenant — the group is then restored without
// it and counted failed); failures go to the job report (rows: users
// 1..U in snapshot order, then groups U+1..) and do not stop the import.
//
// Cancelling the context stops the check pass at once (nothing written)
// and the restore between two chunks: the chunk in flight commits, the
// chunks committed before stay, and Import returns the context's error
// with the counts so far.
//
// snapshot must not import package scim, bulkcsv or cmd; it reaches data
// through the store contract and writes through the Bulk engine.
package snapshot
