// Package test holds scimd's end-to-end tests and benchmarks. Each test
// builds the real scimd binary once (TestMain), starts it on 127.0.0.1:0
// against a fresh SQLite file or PostgreSQL schema (internal/testdb) and
// speaks HTTP to it. Nothing imports this package.
package test
