// Package storetest is the conformance suite of the store contract: every
// store.Store implementation (SQLite and PostgreSQL through
// store/sqlstore) must pass Run.
//
// Each case gets a fresh store with two tenants, "a" (the subject) and
// "b" (the other). After the case, a generic check verifies that tenant b
// sees none of a's rows through any read method and that b's writes
// addressed at a's ids change nothing of a.
//
// Files: suite.go (Run, env, builders, assertions), isolation.go (the
// tenant check), one file per area (tenants, tokens, users, usersby,
// groups, members, list, batch, tx, jobs: records, files and reports;
// jobs_claim: claims and the job state machine, and ClaimAll, which store
// packages also run with several stores on one database).
//
// storetest imports store, schemas and the SCIM filter parser (for the
// filter case); it must not import store/sqlstore (the caller passes a
// constructor), scim, bulkcsv or cmd.
package storetest
