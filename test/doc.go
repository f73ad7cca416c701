// Package test holds scimd's end-to-end tests and benchmarks. Each test
// builds the real scimd binary once (TestMain; SCIMD_TEST_BINARY uses a
// prebuilt one instead), starts it on 127.0.0.1:0 against a fresh SQLite
// file or PostgreSQL schema (internal/testdb) and speaks HTTP to it.
// Nothing imports this package.
//
// Files (others, e.g. bulk_test.go, are described in their own headers):
//
//   - harness_test.go, helpers_test.go: server process, requests, SCIM
//     error checks, admin API helpers.
//   - jsonmatch_test.go: JSON path look-up and subset matching used by the
//     golden files (rules in its header and testdata/README.md).
//   - replay_test.go + testdata/idp/{entra,okta}/*.json: IdP provisioning
//     cycles replayed step by step.
//   - badinput_test.go + testdata/badinput/*.json: invalid and hostile
//     requests; every answer a 4xx SCIM error, the server keeps serving.
//   - etag_test.go, projection_test.go, list_test.go, filter_test.go,
//     patch_test.go, rules_test.go, unicode_test.go, discovery_test.go:
//     protocol behaviour, table-driven, on every database kind.
//   - tenant_test.go, auth_test.go: tenant isolation, tokens, scopes,
//     admin API.
//   - concurrency_test.go: lost updates, races, crashes under load.
//   - ops_test.go: health, readiness, metrics, graceful shutdown.
package test
