package sqlfilter

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

type afterCase struct {
	name     string
	sortBy   string
	desc     bool
	key      any
	sqlite   string
	sqliteA  []any
	postgres string
	pgA      []any
}

var afterCases = []afterCase{
	{name: "default order: a primary key range", key: nil,
		sqlite: "r.id > ?", sqliteA: []any{"U7"}, postgres: "r.id > ?", pgA: []any{"U7"}},
	{name: "default order descending", desc: true,
		sqlite: "r.id < ?", sqliteA: []any{"U7"}, postgres: "r.id < ?", pgA: []any{"U7"}},
	{name: "id is the default order", sortBy: "ID",
		sqlite: "r.id > ?", sqliteA: []any{"U7"}, postgres: "r.id > ?", pgA: []any{"U7"}},
	{name: "NOT NULL column: an index range on the key, then the tie-break", sortBy: "userName", key: "bob",
		sqlite:   "(r.user_name_ci >= ? AND (r.user_name_ci > ? OR r.id > ?))",
		sqliteA:  []any{"bob", "bob", "U7"},
		postgres: "(r.user_name_ci >= ? AND (r.user_name_ci > ? OR r.id > ?))",
		pgA:      []any{"bob", "bob", "U7"}},
	{name: "descending", sortBy: "userName", desc: true, key: "bob",
		sqlite:   "(r.user_name_ci <= ? AND (r.user_name_ci < ? OR r.id < ?))",
		sqliteA:  []any{"bob", "bob", "U7"},
		postgres: "(r.user_name_ci <= ? AND (r.user_name_ci < ? OR r.id < ?))",
		pgA:      []any{"bob", "bob", "U7"}},
	{name: "nullable column: NULLs come after every value", sortBy: "externalId", key: "x",
		sqlite:   "((r.external_id >= ? AND (r.external_id > ? OR r.id > ?)) OR r.external_id IS NULL)",
		sqliteA:  []any{"x", "x", "U7"},
		postgres: `((r.external_id COLLATE "C" >= ? AND (r.external_id COLLATE "C" > ? OR r.id > ?)) OR r.external_id COLLATE "C" IS NULL)`,
		pgA:      []any{"x", "x", "U7"}},
	{name: "inside the NULL tail", sortBy: "externalId", desc: true,
		sqlite: "(r.external_id IS NULL AND r.id < ?)", sqliteA: []any{"U7"},
		postgres: `(r.external_id COLLATE "C" IS NULL AND r.id < ?)`, pgA: []any{"U7"}},
	{name: "JSON path: arguments repeat with the expression", sortBy: "name.familyName", key: "smith",
		sqlite:   `((CASE WHEN json_extract(r.attrs, ?) IS NOT NULL THEN scim_lower(json_extract(r.attrs, ?)) END >= ? AND (CASE WHEN json_extract(r.attrs, ?) IS NOT NULL THEN scim_lower(json_extract(r.attrs, ?)) END > ? OR r.id > ?)) OR CASE WHEN json_extract(r.attrs, ?) IS NOT NULL THEN scim_lower(json_extract(r.attrs, ?)) END IS NULL)`,
		sqliteA:  []any{`$."name"."familyName"`, `$."name"."familyName"`, "smith", `$."name"."familyName"`, `$."name"."familyName"`, "smith", "U7", `$."name"."familyName"`, `$."name"."familyName"`},
		postgres: `((lower((r.attrs -> ? ->> ?)) COLLATE "C" >= ? AND (lower((r.attrs -> ? ->> ?)) COLLATE "C" > ? OR r.id > ?)) OR lower((r.attrs -> ? ->> ?)) COLLATE "C" IS NULL)`,
		pgA:      []any{"name", "familyName", "smith", "name", "familyName", "smith", "U7", "name", "familyName"}},
}

func TestAfterSQL(t *testing.T) {
	reg := testRegistry(t)
	for _, c := range afterCases {
		t.Run(c.name, func(t *testing.T) {
			for _, d := range []struct {
				dialect Dialect
				sql     string
				args    []any
			}{{SQLite, c.sqlite, c.sqliteA}, {Postgres, c.postgres, c.pgA}} {
				k, err := Translator{Dialect: d.dialect, Reg: reg}.SortKey(Users, c.sortBy)
				if err != nil {
					t.Fatalf("dialect %d: %v", d.dialect, err)
				}
				got, args := k.After(c.desc, c.key, "U7")
				if got != d.sql {
					t.Errorf("dialect %d SQL:\n got %s\nwant %s", d.dialect, got, d.sql)
				}
				if !reflect.DeepEqual(args, d.args) {
					t.Errorf("dialect %d args:\n got %#v\nwant %#v", d.dialect, args, d.args)
				}
			}
		})
	}
}

// TestSortKeyMatchesOrderBy: OrderBy is the sort key, NULLS LAST when
// nullable, then r.id, for every sort case.
func TestSortKeyMatchesOrderBy(t *testing.T) {
	reg := testRegistry(t)
	for _, dialect := range []Dialect{SQLite, Postgres} {
		tr := Translator{Dialect: dialect, Reg: reg}
		for _, c := range sortCases {
			order, oargs, err := tr.OrderBy(c.res, c.sortBy, c.desc)
			if err != nil {
				t.Fatal(err)
			}
			k, err := tr.SortKey(c.res, c.sortBy)
			if err != nil {
				t.Fatal(err)
			}
			if k.Expr == "" {
				if !strings.HasPrefix(order, "r.id") || len(oargs) != 0 {
					t.Errorf("%s: no sort key but ORDER BY %s", c.name, order)
				}
				continue
			}
			if !strings.HasPrefix(order, k.Expr+" ") || !reflect.DeepEqual(oargs, k.Args) {
				t.Errorf("%s: sort key %s %v is not the head of ORDER BY %s %v", c.name, k.Expr, k.Args, order, oargs)
			}
			if strings.Contains(order, "NULLS LAST") != k.Nullable {
				t.Errorf("%s: Nullable %v, ORDER BY %s", c.name, k.Nullable, order)
			}
		}
	}
	if _, err := (Translator{Dialect: SQLite, Reg: reg}).SortKey(Users, "noSuchAttribute"); err == nil {
		t.Error("SortKey(noSuchAttribute): no error")
	}
}

// keysetIDs walks tenant A with keyset pages of n rows: it selects the
// sort key with each row, as the store does, and starts every page after
// the previous page's last (key, id).
func (d *testDB) keysetIDs(tb testing.TB, res Resource, f, sortBy string, desc bool, n int) []string {
	tb.Helper()
	where, wargs, err := d.tr.Where(res, tenantA, parse(tb, f))
	if err != nil {
		tb.Fatal(err)
	}
	order, oargs, err := d.tr.OrderBy(res, sortBy, desc)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := d.tr.SortKey(res, sortBy)
	if err != nil {
		tb.Fatal(err)
	}
	cols, kargs := "NULL, r.id", []any(nil)
	if k.Expr != "" {
		cols, kargs = k.Expr+", r.id", k.Args
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := []string{}
	var after *[2]any
	for pages := 0; pages < 100; pages++ {
		q := "SELECT " + cols + " FROM " + table(res) + " r WHERE r.tenant_id = ? AND (" + where + ")"
		args := append(append(slices.Clone(kargs), tenantA), wargs...)
		if after != nil {
			cond, cargs := k.After(desc, after[0], after[1].(string))
			q += " AND " + cond
			args = append(args, cargs...)
		}
		q += " ORDER BY " + order + " LIMIT " + strconv.Itoa(n)
		args = append(args, oargs...)
		rows, err := d.db.QueryContext(ctx, rebind(d.kind, q), args...)
		if err != nil {
			tb.Fatalf("keyset page: %v\n%s\n%#v", err, q, args)
		}
		got := 0
		for rows.Next() {
			var key any
			var id string
			if err := rows.Scan(&key, &id); err != nil {
				tb.Fatal(err)
			}
			if b, ok := key.([]byte); ok {
				key = string(b)
			}
			out = append(out, id)
			after = &[2]any{key, id}
			got++
		}
		if err := rows.Err(); err != nil {
			tb.Fatalf("keyset page: %v\n%s", err, q)
		}
		rows.Close()
		if got < n {
			return out
		}
	}
	tb.Fatalf("keyset walk did not end")
	return nil
}

// TestKeysetBehaviour: on both databases, a keyset walk of every sort
// case (NULLs, ties, case-insensitive and code-point strings, integers,
// decimals, booleans, multi-valued attributes, timestamps, constants)
// returns exactly the ORDER BY order, in pages of 1, 2 and 3.
func TestKeysetBehaviour(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			d := openDB(t, kind)
			d.seed(t)
			// Ties on most sort keys, with different ids on both sides.
			for _, f := range []userFixture{
				{tenantA, "u0", day(1), day(6), obj{"userName": "zz0", "title": "engineer", "displayName": "Bob Jones", "active": false,
					"emails": arr{obj{"value": "bob@example.com"}}, testURN: obj{"level": 10, "score": 4.5, "vip": false, "code": "Xy-1"}}},
				{tenantA, "u6", day(3), day(3), obj{"userName": "zz6", "title": "ENGINEER", "externalId": "ext-A", "active": true,
					testURN: obj{"level": -3, "score": 10, "vip": true, "projects": arr{obj{"value": "apollo"}}}}},
				{tenantA, "u7", day(3), day(2), obj{"userName": "zz7", "name": obj{"givenName": "alice"}, testURN: obj{"level": 5, "score": 0.25}}},
			} {
				d.insertUser(t, f)
			}
			for _, c := range sortCases {
				t.Run(c.name, func(t *testing.T) {
					want := d.ids(t, c.res, tenantA, c.filter, c.sortBy, c.desc)
					for _, n := range []int{1, 2, 3} {
						got := d.keysetIDs(t, c.res, c.filter, c.sortBy, c.desc, n)
						if !slices.Equal(got, want) {
							t.Errorf("sortBy=%q desc=%v pages of %d: got %v, want %v", c.sortBy, c.desc, n, got, want)
						}
					}
				})
			}
		})
	}
}

type keysetPlanCase struct {
	name   string
	sortBy string
	desc   bool
	key    any
	// SQLite: the SEARCH line that must appear; PostgreSQL: the index
	// that must be scanned with an Index Cond on the sort column.
	sqlite   string
	postgres string
	pgCond   string
}

var keysetPlanCases = []keysetPlanCase{
	{name: "default order", sqlite: "SEARCH r USING INDEX sqlite_autoindex_scim_users_1 (tenant_id=? AND id>?)",
		postgres: "scim_users_pkey", pgCond: "id >"},
	{name: "default order descending", desc: true, sqlite: "SEARCH r USING INDEX sqlite_autoindex_scim_users_1 (tenant_id=? AND id<?)",
		postgres: "scim_users_pkey", pgCond: "id <"},
	{name: "userName", sortBy: "userName", key: "user.0100",
		sqlite: "SEARCH r USING INDEX scim_users_user_name (tenant_id=? AND user_name_ci>?)", postgres: "scim_users_user_name", pgCond: "user_name_ci >="},
	{name: "userName descending", sortBy: "userName", desc: true, key: "user.2900",
		sqlite: "SEARCH r USING INDEX scim_users_user_name (tenant_id=? AND user_name_ci<?)", postgres: "scim_users_user_name", pgCond: "user_name_ci <="},
}

// TestKeysetUsesIndex: a keyset page of the default order and of userName
// starts with an index range at the position, on both databases, instead
// of reading and skipping the rows before it, and reads the index in
// order (no sort of the rest of the tenant). The positions leave most of
// the tenant ahead, as early pages of a long walk do.
func TestKeysetUsesIndex(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			d := openDB(t, kind)
			d.exec(t, "INSERT INTO tenants (id, name, created_at) VALUES (?, 'a', 0), (?, 'b', 0)", tenantA, tenantB)
			d.seedMany(t, 3000)
			if kind == testdb.Postgres {
				d.exec(t, "ANALYZE")
			}
			for _, c := range keysetPlanCases {
				t.Run(c.name, func(t *testing.T) {
					where, wargs, _ := d.tr.Where(Users, tenantA, nil)
					order, oargs, err := d.tr.OrderBy(Users, c.sortBy, c.desc)
					if err != nil {
						t.Fatal(err)
					}
					k, _ := d.tr.SortKey(Users, c.sortBy)
					cond, cargs := k.After(c.desc, c.key, "u0100")
					q := "SELECT r.id FROM scim_users r WHERE r.tenant_id = ? AND (" + where + ") AND " + cond +
						" ORDER BY " + order + " LIMIT 101"
					args := append(append(append([]any{tenantA}, wargs...), cargs...), oargs...)
					if kind == testdb.Postgres {
						plan := postgresPlan(t, d, q, args)
						if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, c.postgres) || !strings.Contains(plan, c.pgCond) {
							t.Errorf("plan does not start at the position through %s (%s):\n%s", c.postgres, c.pgCond, plan)
						}
						if strings.Contains(plan, "Sort Key") && !strings.Contains(plan, "Presorted Key") {
							t.Errorf("plan sorts the whole tenant:\n%s", plan)
						}
						return
					}
					plan := sqlitePlan(t, d, q, args)
					if !strings.Contains(plan, c.sqlite) {
						t.Errorf("plan lacks %q:\n%s", c.sqlite, plan)
					}
					if strings.Contains(plan, "USE TEMP B-TREE FOR ORDER BY") {
						t.Errorf("plan sorts the whole tenant:\n%s", plan)
					}
				})
			}
		})
	}
}

func sqlitePlan(t *testing.T, d *testDB, q string, args []any) string {
	t.Helper()
	rows, err := d.db.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, q)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	plan := strings.ReplaceAll(strings.Join(lines, "\n"), "USING COVERING INDEX", "USING INDEX")
	t.Logf("%s\n%s", q, plan)
	return plan
}

func postgresPlan(t *testing.T, d *testDB, q string, args []any) string {
	t.Helper()
	rows, err := d.db.Query("EXPLAIN "+rebind(d.kind, q), args...)
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, q)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	plan := strings.Join(lines, "\n")
	t.Logf("%s\n%s", q, plan)
	return plan
}
