package sqlfilter

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

type explainCase struct {
	name   string
	res    Resource
	filter string
	sortBy string
	// needsStats: only checked where the planner has statistics
	// (PostgreSQL, SQLite after ANALYZE); see the package report on
	// SQLite without sqlite_stat1.
	needsStats bool
	// index names that must be used (SQLite: in a SEARCH line; PostgreSQL:
	// in an Index Scan / Index Only Scan / Bitmap Index Scan line)
	sqlite   []string
	postgres []string
}

var explainCases = []explainCase{
	{name: "userName eq", filter: `userName eq "User.0042"`,
		sqlite: []string{"SEARCH r USING INDEX scim_users_user_name (tenant_id=? AND user_name_ci=?)"}, postgres: []string{"scim_users_user_name"}},
	{name: "externalId eq", filter: `externalId eq "ext-42"`,
		sqlite: []string{"SEARCH r USING INDEX scim_users_external_id (tenant_id=? AND external_id=?)"}, postgres: []string{"scim_users_external_id"}},
	{name: "emails.value eq", filter: `emails.value eq "User.0042@Example.com"`,
		sqlite:   []string{"SEARCH ue USING PRIMARY KEY (tenant_id=? AND value_ci=?)", "SEARCH r USING INDEX sqlite_autoindex_scim_users_1 (tenant_id=? AND id=?)"},
		postgres: []string{"user_emails_pkey", "scim_users_pkey"}},
	{name: "Entra emails[type eq and value eq]", filter: `emails[type eq "work" and value eq "user.0042@example.com"]`,
		sqlite:   []string{"SEARCH ue USING PRIMARY KEY (tenant_id=? AND value_ci=?)", "SEARCH r USING INDEX sqlite_autoindex_scim_users_1 (tenant_id=? AND id=?)"},
		postgres: []string{"user_emails_pkey", "scim_users_pkey"}},
	{name: "id eq", filter: `id eq "u0042"`,
		sqlite: []string{"SEARCH r USING INDEX sqlite_autoindex_scim_users_1 (tenant_id=? AND id=?)"}, postgres: []string{"scim_users_pkey"}},
	{name: "displayName eq", filter: `displayName eq "Display 42"`,
		sqlite: []string{"SEARCH r USING INDEX scim_users_display_name (tenant_id=? AND display_name_ci=?)"}, postgres: []string{"scim_users_display_name"}},
	{name: "SAP userUuid eq", filter: `urn:ietf:params:scim:schemas:extension:sap:2.0:User:userUuid eq "UUID-42"`,
		sqlite: []string{"SEARCH r USING INDEX scim_users_user_uuid (tenant_id=? AND user_uuid_ci=?)"}, postgres: []string{"scim_users_user_uuid"}},
	{name: "groups.value eq", filter: `groups.value eq "g0042"`,
		sqlite:   []string{"SEARCH m USING PRIMARY KEY (tenant_id=? AND group_id=?)", "SEARCH r USING INDEX sqlite_autoindex_scim_users_1 (tenant_id=? AND id=?)"},
		postgres: []string{"group_members_pkey", "scim_users_pkey"}},
	{name: "group displayName eq", res: Groups, filter: `displayName eq "Group 42"`,
		sqlite: []string{"SEARCH r USING INDEX scim_groups_display_name (tenant_id=? AND display_name_ci=?)"}, postgres: []string{"scim_groups_display_name"}},
	{name: "group externalId eq", res: Groups, filter: `externalId eq "gext-42"`,
		sqlite: []string{"SEARCH r USING INDEX scim_groups_external_id (tenant_id=? AND external_id=?)"}, postgres: []string{"scim_groups_external_id"}},
	{name: "group id eq", res: Groups, filter: `id eq "g0042"`,
		sqlite: []string{"SEARCH r USING INDEX sqlite_autoindex_scim_groups_1 (tenant_id=? AND id=?)"}, postgres: []string{"scim_groups_pkey"}},
	{name: "group members[value eq]", res: Groups, filter: `members[value eq "u0042"]`,
		sqlite:   []string{"SEARCH m USING INDEX group_members_member (tenant_id=? AND member_id=?)", "SEARCH r USING INDEX sqlite_autoindex_scim_groups_1 (tenant_id=? AND id=?)"},
		postgres: []string{"group_members_member", "scim_groups_pkey"}},
	// Sorted on another indexed column: the planner must still look the
	// value up rather than walk the sort index over the whole tenant.
	{name: "externalId eq sorted by userName", filter: `externalId eq "ext-42"`, sortBy: "userName",
		sqlite: []string{"SEARCH r USING INDEX scim_users_external_id (tenant_id=? AND external_id=?)"}, postgres: []string{"scim_users_external_id"}},
	{name: "displayName eq sorted by id desc", filter: `displayName eq "Display 42"`, sortBy: "id",
		sqlite: []string{"SEARCH r USING INDEX scim_users_display_name (tenant_id=? AND display_name_ci=?)"}, postgres: []string{"scim_users_display_name"}},
	{name: "externalId or userName", filter: `externalId eq "ext-42" or userName eq "user.0043"`,
		sqlite:   []string{"SEARCH r USING INDEX scim_users_external_id (tenant_id=? AND external_id=?)", "SEARCH r USING INDEX scim_users_user_name (tenant_id=? AND user_name_ci=?)"},
		postgres: []string{"scim_users_external_id", "scim_users_user_name"}},
	{name: "userName sw: index range", filter: `userName sw "user.004"`,
		sqlite: []string{"SEARCH r USING INDEX scim_users_user_name (tenant_id=? AND user_name_ci>? AND user_name_ci<?)"}, postgres: []string{"scim_users_user_name"}},
	{name: "emails.value eq sorted by userName", filter: `emails.value eq "user.0042@example.com"`, sortBy: "userName", needsStats: true,
		sqlite: []string{"SEARCH ue USING PRIMARY KEY (tenant_id=? AND value_ci=?)"}, postgres: []string{"user_emails_pkey"}},
	{name: "group members[value eq] sorted by displayName", res: Groups, filter: `members[value eq "u0042"]`, sortBy: "displayName", needsStats: true,
		sqlite: []string{"SEARCH m USING INDEX group_members_member (tenant_id=? AND member_id=?)"}, postgres: []string{"group_members_member"}},
}

// seedMany adds n users with an e-mail each and n/10 groups of 10 members
// to tenant A, so that the planners have something to choose between.
func (d *testDB) seedMany(tb testing.TB, n int) {
	tb.Helper()
	tx, err := d.db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	insU, err := tx.Prepare(rebind(d.kind, `INSERT INTO scim_users (tenant_id, id, user_name, user_name_ci, external_id, display_name, display_name_ci,
		active, user_uuid_ci, attrs, version, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`))
	if err != nil {
		tb.Fatal(err)
	}
	insE, _ := tx.Prepare(rebind(d.kind, "INSERT INTO user_emails (tenant_id, value_ci, user_id) VALUES (?, ?, ?)"))
	insG, _ := tx.Prepare(rebind(d.kind, `INSERT INTO scim_groups (tenant_id, id, display_name, display_name_ci, external_id, attrs, version, created_at, modified_at)
		VALUES (?, ?, ?, ?, ?, '{}', 1, 0, 0)`))
	insM, _ := tx.Prepare(rebind(d.kind, "INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES (?, ?, ?, 'User')"))
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("u%04d", i)
		un := fmt.Sprintf("User.%04d", i)
		email := strings.ToLower(un) + "@example.com"
		attrs := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"emails":[{"value":%q,"type":"work"}]}`, un, email)
		if _, err := insU.Exec(tenantA, id, un, strings.ToLower(un), fmt.Sprintf("ext-%d", i), fmt.Sprintf("Display %d", i),
			fmt.Sprintf("display %d", i), i%2 == 0, fmt.Sprintf("uuid-%d", i), attrs, int64(i), int64(i)); err != nil {
			tb.Fatal(err)
		}
		if _, err := insE.Exec(tenantA, email, id); err != nil {
			tb.Fatal(err)
		}
		if i%10 == 0 {
			g := fmt.Sprintf("g%04d", i/10)
			if _, err := insG.Exec(tenantA, g, fmt.Sprintf("Group %d", i/10), fmt.Sprintf("group %d", i/10), fmt.Sprintf("gext-%d", i/10)); err != nil {
				tb.Fatal(err)
			}
		}
		if _, err := insM.Exec(tenantA, fmt.Sprintf("g%04d", i/10), id); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

func TestExplainUsesIndexes(t *testing.T) {
	type variant struct {
		name    string
		kind    testdb.Kind
		analyze bool
	}
	var variants []variant
	for _, kind := range testdb.Kinds() {
		variants = append(variants, variant{string(kind), kind, kind == testdb.Postgres})
		if kind == testdb.SQLite {
			variants = append(variants, variant{"sqlite-analyzed", kind, true})
		}
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			d := openDB(t, v.kind)
			d.exec(t, "INSERT INTO tenants (id, name, created_at) VALUES (?, 'a', 0), (?, 'b', 0)", tenantA, tenantB)
			d.seedMany(t, 3000)
			if v.analyze {
				d.exec(t, "ANALYZE")
			}
			for _, c := range explainCases {
				t.Run(c.name, func(t *testing.T) {
					if c.needsStats && !v.analyze {
						t.Skip("needs planner statistics")
					}
					q, args, err := listQuery(d.tr, c.res, tenantA, parse(t, c.filter), c.sortBy, strings.Contains(c.name, "desc"))
					if err != nil {
						t.Fatal(err)
					}
					if v.kind == testdb.Postgres {
						checkPostgresPlan(t, d, q, args, c)
					} else {
						checkSQLitePlan(t, d, q, args, c)
					}
				})
			}
		})
	}
}

func checkSQLitePlan(t *testing.T, d *testDB, q string, args []any, c explainCase) {
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
	// A covering index is as good as (better than) the index itself.
	plan := strings.ReplaceAll(strings.Join(lines, "\n"), "USING COVERING INDEX", "USING INDEX")
	t.Logf("%s\n%s", q, plan)
	for _, l := range lines {
		// json_each over one row's array is fine; a table is not.
		if strings.HasPrefix(l, "SCAN ") && !strings.HasPrefix(l, "SCAN e VIRTUAL TABLE") && !strings.HasPrefix(l, "SCAN CONSTANT") {
			t.Errorf("plan scans: %q\n%s", l, plan)
		}
		if strings.HasSuffix(l, "(tenant_id=?)") {
			t.Errorf("plan walks the whole tenant: %q\n%s", l, plan)
		}
	}
	for _, want := range c.sqlite {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
}

func checkPostgresPlan(t *testing.T, d *testDB, q string, args []any, c explainCase) {
	ctx := context.Background()
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(ctx, "EXPLAIN "+rebind(d.kind, q), args...)
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
	if strings.Contains(plan, "Seq Scan") {
		t.Errorf("plan has a Seq Scan:\n%s", plan)
	}
	for _, want := range c.postgres {
		found := false
		for _, l := range lines {
			if strings.Contains(l, "Index") && strings.Contains(l, "Scan") && strings.Contains(l, " "+want+" ") || strings.HasSuffix(l, " "+want) {
				found = true
			}
		}
		if !found {
			t.Errorf("plan does not scan index %s:\n%s", want, plan)
		}
	}
}
