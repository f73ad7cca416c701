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
// The export is not a point-in-time snapshot: users are read by one
// query, then groups by another and their members a batch at a time, so a
// tenant written to during the export may yield a snapshot that mixes
// states (e.g. a member whose user was deleted meanwhile, which the import
// then reports). Export a quiet tenant for an exact copy.
//
// # Import
//
// Importer reads the snapshot twice, so the caller passes a way to open
// it again (a spooled upload, a file): the first pass checks everything
// without writing (JSON syntax and shape, custom schemas against the
// target's registry, every record against the target's schemas and, with
// mode=fail, every record's id and userName/displayName against the
// target), the second pass restores it through the Bulk engine
// (scim/bulk: RestoreUsers, RestoreGroups, RestoreDeferred), one
// transaction per chunk. Memory stays flat: each pass holds one chunk of
// records (and the members of a chunk of groups), never the snapshot.
//
// Outcomes: a snapshot that cannot be imported (syntax, shape, an unknown
// schema or attribute, an invalid record) is an *InvalidError and nothing
// is written; with mode=fail a record that matches an existing resource
// is a *ConflictError listing the conflicts and nothing is written;
// otherwise the records are restored and the counts returned. Records
// that fail while restoring (e.g. mode=update on a user whose new userName
// another user has) are counted as failed and do not stop the import.
//
// Cancelling the context stops the import between two chunks: the chunk
// in flight commits, chunks committed before stay, and Import returns the
// context's error with the counts so far.
//
// snapshot must not import package scim, bulkcsv or cmd; it reaches data
// through the store contract and writes through the Bulk engine.
package snapshot
