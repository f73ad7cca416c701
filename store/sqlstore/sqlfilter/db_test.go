package sqlfilter

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store/sqlstore/sqlitedrv"
)

// testDB is a migrated database of one kind.
type testDB struct {
	kind testdb.Kind
	db   *sql.DB
	tr   Translator
}

func dialectOf(kind testdb.Kind) Dialect {
	if kind == testdb.Postgres {
		return Postgres
	}
	return SQLite
}

// testRegistry loads the built-in schemas plus testdata/schemas.
func testRegistry(tb testing.TB) *schemas.Registry {
	tb.Helper()
	reg, err := schemas.Load("testdata/schemas")
	if err != nil {
		tb.Fatalf("load schemas: %v", err)
	}
	return reg
}

// openDB opens a fresh database of the given kind and creates the tables by
// executing every migration of the dialect in order.
func openDB(tb testing.TB, kind testdb.Kind) *testDB {
	tb.Helper()
	dsn := testdb.DSN(tb, kind)
	var db *sql.DB
	var err error
	if kind == testdb.Postgres {
		db, err = sql.Open("pgx", dsn)
	} else {
		sqlitedrv.Register()
		db, err = sql.Open(sqlitedrv.DriverName, dsn)
	}
	if err != nil {
		tb.Fatalf("open %s: %v", kind, err)
	}
	tb.Cleanup(func() { db.Close() })
	files, err := filepath.Glob(filepath.Join("..", "migrations", string(kind), "*.sql"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("list migrations: %v", err)
	}
	sort.Strings(files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatalf("read migration: %v", err)
		}
		if _, err := db.Exec(string(raw)); err != nil {
			tb.Fatalf("migrate %s (%s): %v", kind, filepath.Base(f), err)
		}
	}
	return &testDB{kind: kind, db: db, tr: Translator{Dialect: dialectOf(kind), Reg: testRegistry(tb)}}
}

// hasSQL reports whether a chunk of the migration holds more than comments.
func hasSQL(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "--") {
			return true
		}
	}
	return false
}

// rebind converts '?' placeholders to $1…$n for PostgreSQL.
func rebind(kind testdb.Kind, q string) string {
	if kind != testdb.Postgres {
		return q
	}
	var sb strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(n))
			continue
		}
		sb.WriteByte(q[i])
	}
	return sb.String()
}

func (d *testDB) exec(tb testing.TB, q string, args ...any) {
	tb.Helper()
	if _, err := d.db.Exec(rebind(d.kind, q), args...); err != nil {
		tb.Fatalf("exec %s: %v", q, err)
	}
}

func table(res Resource) string {
	if res == Groups {
		return "scim_groups"
	}
	return "scim_users"
}

// parse parses a filter ("" = none).
func parse(tb testing.TB, f string) filter.Expression {
	tb.Helper()
	if f == "" {
		return nil
	}
	expr, err := filter.ParseFilter([]byte(f))
	if err != nil {
		tb.Fatalf("parse %q: %v", f, err)
	}
	return expr
}

// listQuery builds the realistic list query shape used by the store.
func listQuery(tr Translator, res Resource, tenant int64, expr filter.Expression, sortBy string, desc bool) (string, []any, error) {
	where, wargs, err := tr.Where(res, tenant, expr)
	if err != nil {
		return "", nil, err
	}
	order, oargs, err := tr.OrderBy(res, sortBy, desc)
	if err != nil {
		return "", nil, err
	}
	q := "SELECT r.id FROM " + table(res) + " r WHERE r.tenant_id = ? AND (" + where + ") ORDER BY " + order + " LIMIT 100"
	args := make([]any, 0, 1+len(wargs)+len(oargs))
	args = append(args, tenant)
	args = append(args, wargs...)
	args = append(args, oargs...)
	return q, args, nil
}

// ids runs the list query for filter f and returns the ids in result order.
func (d *testDB) ids(tb testing.TB, res Resource, tenant int64, f, sortBy string, desc bool) []string {
	tb.Helper()
	return d.idsExpr(tb, res, tenant, parse(tb, f), sortBy, desc)
}

func (d *testDB) idsExpr(tb testing.TB, res Resource, tenant int64, expr filter.Expression, sortBy string, desc bool) []string {
	tb.Helper()
	q, args, err := listQuery(d.tr, res, tenant, expr, sortBy, desc)
	if err != nil {
		tb.Fatalf("translate %v: %v", expr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := d.db.QueryContext(ctx, rebind(d.kind, q), args...)
	if err != nil {
		tb.Fatalf("query %v: %v\n%s\n%v", expr, err, q, args)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			tb.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("query %v: %v\n%s", expr, err, q)
	}
	return out
}
