// Package bulk is scimd's Bulk engine: the one write path shared by the
// SCIM /Bulk endpoint (RFC 7644 §3.7) and the CSV importers.
//
// In-process callers hand it a stream of operations and get per-operation
// results back. Operations are applied in chunks; each chunk runs in one
// store transaction that also writes the caller's job checkpoint and report
// lines, so a chunk's effects and its progress commit or roll back
// together and an interrupted import resumes after its last committed
// chunk. Within a chunk, look-ups are one query per identifier kind and
// writes are batched; a chunk whose batch hits a conflict (a concurrent
// writer took a userName between look-up and insert) is rolled back and
// replayed one operation per transaction.
//
// bulk must not import package scim (the HTTP layer) or bulkcsv; it reaches
// data only through the store contract and domain rules through
// scim/resource.
package bulk
