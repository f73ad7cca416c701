package sqlfilter

import (
	"reflect"
	"testing"
)

// sqlCase pins the SQL and arguments generated for one filter.
type sqlCase struct {
	name     string
	res      Resource
	filter   string
	sqlite   string
	sqliteA  []any
	postgres string
	pgA      []any
}

var sqlCases = []sqlCase{
	{name: "nil filter", filter: "", sqlite: "TRUE", postgres: "TRUE"},
	{name: "userName eq: indexed column, parameter lower-cased in Go",
		filter: `userName eq "Bob"`,
		sqlite: "r.user_name_ci = ?", sqliteA: []any{"bob"},
		postgres: "r.user_name_ci = ?", pgA: []any{"bob"}},
	{name: "userName sw: GLOB on SQLite, escaped LIKE on PostgreSQL",
		filter: `userName sw "A_b"`,
		sqlite: "r.user_name_ci GLOB ?", sqliteA: []any{"a_b*"},
		postgres: "r.user_name_ci LIKE ?", pgA: []any{`a\_b%`}},
	{name: "externalId eq: sargable, with a selectivity hint for SQLite",
		filter: `externalId eq "X"`,
		sqlite: "likelihood(r.external_id = ?, 0.0001)", sqliteA: []any{"X"},
		postgres: "r.external_id = ?", pgA: []any{"X"}},
	{name: "not externalId eq: NULL guard under not",
		filter: `not (externalId eq "X")`,
		sqlite: "NOT (COALESCE(r.external_id = ?, FALSE))", sqliteA: []any{"X"},
		postgres: "NOT (COALESCE(r.external_id = ?, FALSE))", pgA: []any{"X"}},
	{name: "id eq",
		filter: `id eq "0190"`,
		sqlite: "r.id = ?", sqliteA: []any{"0190"},
		postgres: "r.id = ?", pgA: []any{"0190"}},
	{name: "emails.value eq: user_emails index look-up",
		filter:   `emails.value eq "A@X.org"`,
		sqlite:   "r.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = ? AND ue.value_ci = ?)",
		sqliteA:  []any{int64(7), "a@x.org"},
		postgres: "r.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = ? AND ue.value_ci = ?)",
		pgA:      []any{int64(7), "a@x.org"}},
	{name: "Entra emails[type and value eq]: index pre-filter plus same-element check",
		filter:   `emails[type eq "work" and value eq "A@x.org"]`,
		sqlite:   `(r.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = ? AND ue.value_ci = ?) AND EXISTS (SELECT 1 FROM json_each(r.attrs, ?) e WHERE (scim_lower(json_extract(e.value, ?)) = ? AND scim_lower(json_extract(e.value, ?)) = ?)))`,
		sqliteA:  []any{int64(7), "a@x.org", `$."emails"`, `$."type"`, "work", `$."value"`, "a@x.org"},
		postgres: `(r.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = ? AND ue.value_ci = ?) AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof((r.attrs -> ?)) = 'array' THEN (r.attrs -> ?) END) AS e(v) WHERE (lower((e.v ->> ?)) = ? AND lower((e.v ->> ?)) = ?)))`,
		pgA:      []any{int64(7), "a@x.org", "emails", "emails", "type", "work", "value", "a@x.org"}},
	{name: "multi-valued ne is not-eq",
		filter:   `emails.type ne "work"`,
		sqlite:   `NOT (EXISTS (SELECT 1 FROM json_each(r.attrs, ?) e WHERE scim_lower(json_extract(e.value, ?)) = ?))`,
		sqliteA:  []any{`$."emails"`, `$."type"`, "work"},
		postgres: `NOT (EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof((r.attrs -> ?)) = 'array' THEN (r.attrs -> ?) END) AS e(v) WHERE lower((e.v ->> ?)) = ?))`,
		pgA:      []any{"emails", "emails", "type", "work"}},
	{name: "extension complex sub-attribute: quoted JSON path / keys as parameters",
		filter:   ent + `manager.value eq "X"`,
		sqlite:   `scim_lower(json_extract(r.attrs, ?)) = ?`,
		sqliteA:  []any{`$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."manager"."value"`, "x"},
		postgres: `lower((r.attrs -> ? -> ? ->> ?)) = ?`,
		pgA:      []any{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "manager", "value", "x"}},
	{name: "ordering on a nullable case-insensitive JSON string",
		filter:   `title lt "F"`,
		sqlite:   `CASE WHEN json_extract(r.attrs, ?) IS NOT NULL THEN scim_lower(json_extract(r.attrs, ?)) END < ?`,
		sqliteA:  []any{`$."title"`, `$."title"`, "f"},
		postgres: `lower((r.attrs ->> ?)) COLLATE "C" < ?`,
		pgA:      []any{"title", "f"}},
	{name: "integer compare",
		filter:   tst + `level gt 4`,
		sqlite:   `json_extract(r.attrs, ?) > ?`,
		sqliteA:  []any{`$."urn:example:params:scim:schemas:extension:test:2.0:User"."level"`, int64(4)},
		postgres: `(CASE WHEN jsonb_typeof((r.attrs -> ? -> ?)) = 'number' THEN ((r.attrs -> ? -> ?))::numeric END) > ?`,
		pgA: []any{"urn:example:params:scim:schemas:extension:test:2.0:User", "level",
			"urn:example:params:scim:schemas:extension:test:2.0:User", "level", int64(4)}},
	{name: "boolean ne matches absent",
		filter:   tst + `vip ne true`,
		sqlite:   `COALESCE(json_type(r.attrs, ?) <> 'true', TRUE)`,
		sqliteA:  []any{`$."urn:example:params:scim:schemas:extension:test:2.0:User"."vip"`},
		postgres: `COALESCE((r.attrs -> ? -> ?) <> 'true'::jsonb, TRUE)`,
		pgA:      []any{"urn:example:params:scim:schemas:extension:test:2.0:User", "vip"}},
	{name: "meta.lastModified: microseconds on the indexed column",
		filter: `meta.lastModified gt "2024-01-01T00:00:00Z"`,
		sqlite: "r.modified_at > ?", sqliteA: []any{int64(1704067200000000)},
		postgres: "r.modified_at > ?", pgA: []any{int64(1704067200000000)}},
	{name: "and/or/not precedence and grouping",
		filter:   `userName eq "a" or not (active eq true and displayName pr)`,
		sqlite:   `(r.user_name_ci = ? OR NOT ((COALESCE(r.active = ?, FALSE) AND COALESCE(r.display_name_ci <> '', FALSE))))`,
		sqliteA:  []any{"a", true},
		postgres: `(r.user_name_ci = ? OR NOT ((COALESCE(r.active = ?, FALSE) AND COALESCE(r.display_name_ci <> '', FALSE))))`,
		pgA:      []any{"a", true}},
	{name: "groups.display: join scim_groups",
		filter:   `groups.display eq "Admins"`,
		sqlite:   `r.id IN (SELECT m.member_id FROM group_members m JOIN scim_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id WHERE m.tenant_id = ? AND g.display_name_ci = ?)`,
		sqliteA:  []any{int64(7), "admins"},
		postgres: `r.id IN (SELECT m.member_id FROM group_members m JOIN scim_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id WHERE m.tenant_id = ? AND g.display_name_ci = ?)`,
		pgA:      []any{int64(7), "admins"}},
	{name: "group members[value eq]: member index, ids case-exact",
		res: Groups, filter: `members[value eq "U1"]`,
		sqlite:   `r.id IN (SELECT m.group_id FROM group_members m WHERE m.tenant_id = ? AND m.member_id = ?)`,
		sqliteA:  []any{int64(7), "U1"},
		postgres: `r.id IN (SELECT m.group_id FROM group_members m WHERE m.tenant_id = ? AND m.member_id = ?)`,
		pgA:      []any{int64(7), "U1"}},
	{name: "group displayName co",
		res: Groups, filter: `displayName co "A*"`,
		sqlite: `r.display_name_ci GLOB ?`, sqliteA: []any{"*a[*]*"},
		postgres: `r.display_name_ci LIKE ?`, pgA: []any{"%a*%"}},
	{name: "meta.resourceType is folded to a constant",
		res: Groups, filter: `meta.resourceType eq "Group" and meta.resourceType ne "Group"`,
		sqlite: `(TRUE AND FALSE)`, postgres: `(TRUE AND FALSE)`},
}

func TestWhereSQL(t *testing.T) {
	reg := testRegistry(t)
	for _, c := range sqlCases {
		t.Run(c.name, func(t *testing.T) {
			for _, d := range []struct {
				dialect Dialect
				sql     string
				args    []any
			}{{SQLite, c.sqlite, c.sqliteA}, {Postgres, c.postgres, c.pgA}} {
				got, args, err := Translator{Dialect: d.dialect, Reg: reg}.Where(c.res, 7, parse(t, c.filter))
				if err != nil {
					t.Fatalf("dialect %d: %v", d.dialect, err)
				}
				if got != d.sql {
					t.Errorf("dialect %d SQL:\n got %s\nwant %s", d.dialect, got, d.sql)
				}
				if len(args) != 0 || len(d.args) != 0 {
					if !reflect.DeepEqual(args, d.args) {
						t.Errorf("dialect %d args:\n got %#v\nwant %#v", d.dialect, args, d.args)
					}
				}
			}
		})
	}
}

type orderCase struct {
	name     string
	res      Resource
	sortBy   string
	desc     bool
	sqlite   string
	sqliteA  []any
	postgres string
	pgA      []any
}

var orderCases = []orderCase{
	{name: "default", sqlite: "r.id", postgres: "r.id"},
	{name: "default descending", desc: true, sqlite: "r.id DESC", postgres: "r.id DESC"},
	{name: "id", sortBy: "id", sqlite: "r.id ASC", postgres: "r.id ASC"},
	{name: "not-null column: no NULLS LAST, index order usable", sortBy: "userName", desc: true,
		sqlite: "r.user_name_ci DESC, r.id DESC", postgres: "r.user_name_ci DESC, r.id DESC"},
	{name: "nullable column", sortBy: "externalId",
		sqlite: "r.external_id ASC NULLS LAST, r.id ASC", postgres: `r.external_id COLLATE "C" ASC NULLS LAST, r.id ASC`},
	{name: "meta.lastModified", sortBy: "meta.lastModified", desc: true,
		sqlite: "r.modified_at DESC, r.id DESC", postgres: "r.modified_at DESC, r.id DESC"},
	{name: "JSON string", sortBy: "name.familyName",
		sqlite:   `CASE WHEN json_extract(r.attrs, ?) IS NOT NULL THEN scim_lower(json_extract(r.attrs, ?)) END ASC NULLS LAST, r.id ASC`,
		sqliteA:  []any{`$."name"."familyName"`, `$."name"."familyName"`},
		postgres: `lower((r.attrs -> ? ->> ?)) COLLATE "C" ASC NULLS LAST, r.id ASC`,
		pgA:      []any{"name", "familyName"}},
	{name: "multi-valued: primary else first", sortBy: "emails",
		sqlite:   `(SELECT CASE WHEN json_extract(e.value, ?) IS NOT NULL THEN scim_lower(json_extract(e.value, ?)) END FROM json_each(r.attrs, ?) e ORDER BY COALESCE(json_type(e.value, ?) = 'true', FALSE) DESC, e.key LIMIT 1) ASC NULLS LAST, r.id ASC`,
		sqliteA:  []any{`$."value"`, `$."value"`, `$."emails"`, `$."primary"`},
		postgres: `(SELECT lower((e.v ->> ?)) COLLATE "C" FROM jsonb_array_elements(CASE WHEN jsonb_typeof((r.attrs -> ?)) = 'array' THEN (r.attrs -> ?) END) WITH ORDINALITY AS e(v, n) ORDER BY COALESCE((e.v -> ?) = 'true'::jsonb, FALSE) DESC, e.n LIMIT 1) ASC NULLS LAST, r.id ASC`,
		pgA:      []any{"value", "emails", "emails", "primary"}},
	{name: "constant", res: Groups, sortBy: "meta.resourceType", sqlite: "r.id ASC", postgres: "r.id ASC"},
}

func TestOrderBySQL(t *testing.T) {
	reg := testRegistry(t)
	for _, c := range orderCases {
		t.Run(c.name, func(t *testing.T) {
			for _, d := range []struct {
				dialect Dialect
				sql     string
				args    []any
			}{{SQLite, c.sqlite, c.sqliteA}, {Postgres, c.postgres, c.pgA}} {
				got, args, err := Translator{Dialect: d.dialect, Reg: reg}.OrderBy(c.res, c.sortBy, c.desc)
				if err != nil {
					t.Fatalf("dialect %d: %v", d.dialect, err)
				}
				if got != d.sql {
					t.Errorf("dialect %d SQL:\n got %s\nwant %s", d.dialect, got, d.sql)
				}
				if (len(args) != 0 || len(d.args) != 0) && !reflect.DeepEqual(args, d.args) {
					t.Errorf("dialect %d args:\n got %#v\nwant %#v", d.dialect, args, d.args)
				}
			}
		})
	}
}
