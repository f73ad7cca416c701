// Package scim is scimd's HTTP and protocol layer: echo routes and
// middleware (request id, body limit, recovery, logging, metrics, bearer
// auth and scopes), the elimity-com/scim server for resource writes,
// our own read paths (GET, list, /.search) with filter pushdown, sorting,
// projection and ETags, /ServiceProviderConfig, the admin API, and the one
// mapping from errors to SCIM error bodies (errors.go).
//
// Subpackages: filter (fast filter/path parser), resource (pure Users and
// Groups rules), bulk (the Bulk engine), snapshot (the tenant snapshot
// format).
//
// scim must not import cmd, test, bulkcsv internals beyond their public
// API, or gorm; it reaches data only through the store contract.
package scim
