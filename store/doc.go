// Package store is the storage contract of scimd: record types, the Store
// and Tx interfaces, and the sentinel errors every implementation returns.
//
// The gorm implementation for SQLite and PostgreSQL lives in store/sqlstore;
// the conformance suite that both databases must pass lives in
// store/storetest.
//
// Every method takes the tenant as an argument (Tx is bound to one tenant
// when it is opened); there is no way to reach another tenant's rows.
//
// store may import schemas; it must not import scim, bulkcsv or cmd.
package store
