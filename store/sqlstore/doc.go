// Package sqlstore is the gorm implementation of store.Store and store.Tx
// for SQLite (mattn/go-sqlite3 through sqlitedrv, WAL, one writer
// connection plus a reader pool) and PostgreSQL (pgx, a connection pool,
// row locks with SELECT … FOR UPDATE).
//
// It owns the embedded, versioned migrations (migrations/{sqlite,postgres}),
// the mapping of driver errors to the store's typed errors, and the batch
// write paths: prepared one-row statements on SQLite (a failed statement
// does not abort the transaction there), multi-row statements with
// ON CONFLICT DO NOTHING … RETURNING and SAVEPOINT fall-backs on PostgreSQL
// (where it does). Filters and sort paths are translated by the
// sqlfilter subpackage.
//
// Files: open.go (DSN, pools), migrate.go, errors.go (driver errors →
// store errors), sqlutil.go (placeholders, conversions), stmts.go (one-row
// statements, prepared once on SQLite), tenants.go, tokens.go,
// users_read.go, groups_read.go, query.go (List/Scan), members.go
// (Members, GroupsOfUsers), tx.go (Store.Tx), tx_batch.go (batched
// INSERT/UPDATE per dialect), tx_copy.go (PostgreSQL COPY), tx_emails.go,
// tx_users.go, tx_users_write.go, tx_groups.go, tx_members.go; jobs:
// jobs.go (records, CreateJob), jobs_claim.go (claims and the job state
// machine), job_files.go (uploaded files in ~1 MiB chunks, streamed both
// ways), job_report.go, jobs_purge.go, tx_jobs.go (SaveProgress and
// AppendReport inside a chunk's transaction); optimize.go (planner
// statistics: Optimize, and a sampled ANALYZE at Open on SQLite).
//
// sqlstore may import store, schemas and its own subpackages; it must not
// import scim, bulkcsv or cmd, and no gorm type leaves this package except
// through DB(), which exists for tests and benchmarks.
package sqlstore
