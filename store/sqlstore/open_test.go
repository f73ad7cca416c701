package sqlstore

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

func TestParseDSN(t *testing.T) {
	for _, c := range []struct {
		dsn, kind, driver string
		bad               bool
	}{
		{dsn: "scimd.db", kind: DialectSQLite, driver: "scimd.db"},
		{dsn: "/var/lib/scimd/data.db", kind: DialectSQLite, driver: "/var/lib/scimd/data.db"},
		{dsn: "sqlite:///abs/path.db", kind: DialectSQLite, driver: "/abs/path.db"},
		{dsn: "sqlite://rel.db", kind: DialectSQLite, driver: "rel.db"},
		{dsn: "postgres://u:p@h/db?sslmode=disable", kind: DialectPostgres, driver: "postgres://u:p@h/db?sslmode=disable"},
		{dsn: "postgresql://h/db", kind: DialectPostgres, driver: "postgresql://h/db"},
		{dsn: "mysql://u:secret@h/db", bad: true},
		{dsn: "", bad: true},
		{dsn: ":memory:", bad: true},
		{dsn: "sqlite://", bad: true},
		{dsn: "file:x?mode=memory&cache=shared", bad: true},
	} {
		kind, driver, err := parseDSN(c.dsn)
		if c.bad {
			if err == nil {
				t.Errorf("parseDSN(%q) = %s %s, want an error", c.dsn, kind, driver)
			} else if c.dsn != "" && strings.Contains(err.Error(), "secret") {
				t.Errorf("parseDSN error leaks the password: %v", err)
			}
			continue
		}
		if err != nil || kind != c.kind || driver != c.driver {
			t.Errorf("parseDSN(%q) = %s, %s, %v; want %s, %s", c.dsn, kind, driver, err, c.kind, c.driver)
		}
	}
}

// TestSQLiteDSNForms opens each SQLite DSN form and checks the pragmas of
// the writer and the readers.
func TestSQLiteDSNForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ctx := context.Background()
	for _, c := range []struct{ dsn, file string }{
		{"plain.db", filepath.Join(dir, "plain.db")},
		{"sqlite://rel.db", filepath.Join(dir, "rel.db")},
		{"sqlite://" + filepath.Join(dir, "abs.db"), filepath.Join(dir, "abs.db")},
	} {
		s, err := Open(ctx, Config{DSN: c.dsn})
		if err != nil {
			t.Fatalf("Open(%s): %v", c.dsn, err)
		}
		if _, err := os.Stat(c.file); err != nil {
			t.Errorf("Open(%s) did not create %s: %v", c.dsn, c.file, err)
		}
		if s.Dialect() != DialectSQLite {
			t.Errorf("Dialect() = %s", s.Dialect())
		}
		var mode string
		var fk, busy int
		if err := s.DB().Raw("PRAGMA journal_mode").Row().Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v", mode, err)
		}
		if err := s.DB().Raw("PRAGMA foreign_keys").Row().Scan(&fk); err != nil || fk != 1 {
			t.Errorf("foreign_keys = %d, %v", fk, err)
		}
		if err := s.reader.Raw("PRAGMA busy_timeout").Row().Scan(&busy); err != nil || busy != 5000 {
			t.Errorf("reader busy_timeout = %d, %v", busy, err)
		}
		if err := s.reader.Exec("INSERT INTO tenants (name, created_at) VALUES ('x', 0)").Error; err == nil {
			t.Error("the reader pool can write")
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

// TestMigrationsIdempotent reopens a database: nothing is applied twice
// and the data stays.
func TestMigrationsIdempotent(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			dsn := testdb.DSN(t, kind)
			s, err := Open(ctx, Config{DSN: dsn})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if _, err := s.CreateTenant(ctx, "keep"); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s, err = Open(ctx, Config{DSN: dsn})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s.Close()
			if _, err := s.GetTenant(ctx, "keep"); err != nil {
				t.Errorf("tenant lost on reopen: %v", err)
			}
			ms, err := loadMigrations(s.Dialect())
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := s.DB().Raw("SELECT COUNT(*) FROM schema_migrations").Row().Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != int64(len(ms)) {
				t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
			}
		})
	}
}

// TestMigrationsConcurrent starts several stores on one new database at
// once, as replicas do.
func TestMigrationsConcurrent(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			dsn := testdb.DSN(t, kind)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := Open(context.Background(), Config{DSN: dsn})
					if err == nil {
						_, err = s.ListTenants(context.Background())
						s.Close()
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("concurrent Open: %v", err)
				}
			}
		})
	}
}

// TestDerivedUserAttrs checks that the read path derives Emails and
// UserUUID from attrs exactly as store.User.SetAttrs does.
func TestDerivedUserAttrs(t *testing.T) {
	for _, attrs := range []map[string]any{
		{"userName": "a"},
		{"userName": "a", "emails": []any{
			map[string]any{"value": "X@Example.com", "primary": true},
			map[string]any{"type": "home"},
			map[string]any{"value": ""},
			map[string]any{"value": "y@example.com"},
		}},
		{"userName": "a", schemas.SAPUserURN: map[string]any{"userUuid": "AbC-1"}},
		// Shapes SetAttrs ignores must not break the read path.
		{"userName": "a", "emails": []any{"not-an-object", map[string]any{"value": "z@example.com"}}},
		{"userName": "a", "emails": []any{map[string]any{"value": 42}}},
		{"userName": "a", schemas.SAPUserURN: "not-an-object"},
	} {
		var u store.User
		if err := u.SetAttrs(attrs); err != nil {
			t.Fatal(err)
		}
		emails, uuid := derivedUserAttrs(u.Attrs)
		if uuid != u.UserUUID || len(emails) != len(u.Emails) {
			t.Errorf("%s: derived %v %q, SetAttrs %v %q", u.Attrs, emails, uuid, u.Emails, u.UserUUID)
			continue
		}
		for i := range emails {
			if emails[i] != u.Emails[i] {
				t.Errorf("%s: derived %v, SetAttrs %v", u.Attrs, emails, u.Emails)
			}
		}
	}
}

// TestDebugLogger checks that SQL traces go to slog at debug level
// without parameter values.
func TestDebugLogger(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	s, err := Open(ctx, Config{DSN: testdb.DSN(t, testdb.SQLite), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateTenant(ctx, "secret-tenant-name"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, "level=DEBUG msg=\"sqlstore: query\"") || !strings.Contains(out, "INSERT INTO tenants") {
		t.Errorf("no debug SQL trace in:\n%s", out)
	}
	if strings.Contains(out, "secret-tenant-name") {
		t.Errorf("trace contains a parameter value:\n%s", out)
	}
	if strings.Contains(out, "level=INFO msg=\"SQL") || strings.Contains(out, "level=ERROR") {
		t.Errorf("gorm logs above debug:\n%s", out)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
