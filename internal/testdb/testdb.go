// Package testdb gives tests a fresh, isolated database: a temporary SQLite
// file, or a new PostgreSQL schema (dropped at cleanup) inside the database
// named by SCIMD_TEST_POSTGRES_DSN.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// EnvPostgresDSN names the environment variable with the PostgreSQL DSN.
const EnvPostgresDSN = "SCIMD_TEST_POSTGRES_DSN"

// Kind is a database kind tests run against.
type Kind string

const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Kinds returns SQLite, plus PostgreSQL when SCIMD_TEST_POSTGRES_DSN is set.
func Kinds() []Kind {
	if os.Getenv(EnvPostgresDSN) != "" {
		return []Kind{SQLite, Postgres}
	}
	return []Kind{SQLite}
}

// DSN returns the DSN of a fresh empty database of the given kind. For
// PostgreSQL without SCIMD_TEST_POSTGRES_DSN the test is skipped with a
// message.
func DSN(tb testing.TB, kind Kind) string {
	tb.Helper()
	switch kind {
	case SQLite:
		return filepath.Join(tb.TempDir(), "scimd.db")
	case Postgres:
		return PostgresDSN(tb)
	}
	tb.Fatalf("unknown database kind %q", kind)
	return ""
}

// PostgresDSN creates a fresh schema in the SCIMD_TEST_POSTGRES_DSN database
// and returns a DSN whose search_path is that schema. The schema is dropped
// when the test ends. Without the variable the test is skipped.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgresDSN)
	if base == "" {
		tb.Skip("PostgreSQL tests skipped: set " + EnvPostgresDSN + " (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	schema := "t_" + hex.EncodeToString(buf)
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Logf("drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvPostgresDSN, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
