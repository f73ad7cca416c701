package test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// Round trips between the CSV export (SPEC §7) and the imports (§5, §6).

// (a) An export with every column, id included, imported again into the
// same tenant with mode=update changes nothing: every row is unchanged,
// with and without formula neutralisation.
func TestRoundTripExportReimport(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		s.seedRich(t, s.Token)
		n := len(richUsers())
		before := s.rtSnapshot(t)
		for _, raw := range []bool{false, true} {
			q := "/scim/v2/Users/.export?attributes=*"
			if raw {
				q += "&raw=true"
			}
			exp, _ := s.exportTable(t, q)
			j := s.rtImport(t, "Users", "mode=update", exp.bytes())
			if j.Status != "succeeded" || j.Total != int64(n) || j.Unchanged != int64(n) || j.Created+j.Updated+j.Failed+j.Skipped != 0 {
				t.Errorf("raw=%t: re-import %s (%s), want every row unchanged", raw, j.Status, j.counts())
			}
			rep := s.rtReport(t, j.ID)
			checkReportCounts(t, j, rep)
			for i, l := range rep {
				if l.Status != "unchanged" || l.ID != exp.Rows[i][0] {
					t.Errorf("raw=%t: report row %d: %+v, want unchanged %s", raw, l.Row, l, exp.Rows[i][0])
				}
			}
			if after := s.rtSnapshot(t); after != before {
				t.Errorf("raw=%t: the re-import changed the tenant:\n%s", raw, rtDiff(before, after))
			}
			again, _ := s.exportTable(t, q)
			if !slices.EqualFunc(again.Rows, exp.Rows, slices.Equal) {
				t.Errorf("raw=%t: the export changed after the re-import", raw)
			}
		}
	})
}

// (b) Tenant migration: tenant A's export with every column but id is
// imported into a new tenant B as users (without the groups column) and
// then, as it is, as a group-assignment file; B's export then equals A's
// except for the ids, and the groups have the same members.
func TestRoundTripTenantMigration(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		s.seedRich(t, s.Token)
		expA, _ := s.exportTable(t, "/scim/v2/Users/.export?attributes=*")
		migration := expA.without("id")

		tokB := s.newTenant(t, "migrated-"+randomHex(3))
		b := s.rtAs(tokB)
		j := b.rtImport(t, "Users", "", migration.without("groups").bytes())
		n := int64(len(expA.Rows))
		if j.Status != "succeeded" || j.Created != n || j.Failed != 0 {
			t.Fatalf("users import into B: %s %s (%s)", j.Status, j.Error, j.counts())
		}
		checkReportCounts(t, j, b.rtReport(t, j.ID))

		gj := b.rtImport(t, "Groups", "", migration.bytes())
		// Groups: =Admins, Engineering, Sales;EU; memberships 3 + 1 + 1 + 0.
		if gj.Status != "succeeded" || gj.Created != 3 || gj.Updated != 0 || gj.MembershipsAdded != 5 || gj.Failed != 0 || gj.Skipped != 1 {
			t.Errorf("group import into B: %s %s (%s), want 3 groups created, 5 memberships, dave skipped", gj.Status, gj.Error, gj.counts())
		}
		checkReportCounts(t, gj, b.rtReport(t, gj.ID))

		expB, _ := s.rtAs(tokB).exportTable(t, "/scim/v2/Users/.export?attributes=*")
		gotB, wantB := expB.without("id"), migration
		if !slices.Equal(gotB.Header, wantB.Header) {
			t.Fatalf("B's header differs:\n%v\n%v", gotB.Header, wantB.Header)
		}
		if !slices.EqualFunc(gotB.Rows, wantB.Rows, slices.Equal) {
			for i := range max(len(gotB.Rows), len(wantB.Rows)) {
				if i >= len(gotB.Rows) || i >= len(wantB.Rows) || !slices.Equal(gotB.Rows[i], wantB.Rows[i]) {
					t.Errorf("row %d differs:\n B %q\n A %q", i+1, at(gotB.Rows, i), at(wantB.Rows, i))
				}
			}
		}
		// The SAP userUuid survives the migration; the ids do not.
		a, bb := expA.by(t, "userName"), expB.by(t, "userName")
		if u := sapUserURN + ":userUuid"; bb["alice"][u] != a["alice"][u] || bb["alice"]["id"] == a["alice"]["id"] {
			t.Errorf("alice: userUuid %q → %q, id %q → %q", a["alice"][u], bb["alice"][u], a["alice"]["id"], bb["alice"]["id"])
		}
		// The groups have the same members, by userName.
		if ga, gb := groupMembersByName(t, s, expA), groupMembersByName(t, b, expB); !mapsEqual(ga, gb) {
			t.Errorf("groups differ:\n A %v\n B %v", ga, gb)
		}
		// Importing the group file again adds nothing.
		again := b.rtImport(t, "Groups", "", migration.bytes())
		if again.Status != "succeeded" || again.Created != 0 || again.MembershipsAdded != 0 || again.Failed != 0 {
			t.Errorf("second group import: %s (%s), want nothing added", again.Status, again.counts())
		}
	})
}

// The default export plus the groups column (identifiers userName and
// emails[0].value, both of which must match) is a group import file for
// another tenant that has the same users (SPEC §6).
func TestRoundTripDefaultExportAsGroupFile(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		s.seedRich(t, s.Token)
		users, _ := s.exportTable(t, "/scim/v2/Users/.export?attributes=*")
		file, _ := s.exportTable(t, "/scim/v2/Users/.export?attributes=active,userName,userType,emails[0].display,emails[0].primary,emails[0].type,emails[0].value,groups")

		b := s.rtAs(s.newTenant(t, "grp-"+randomHex(3)))
		if j := b.rtImport(t, "Users", "", users.without("id", "groups").bytes()); j.Status != "succeeded" || j.Failed != 0 {
			t.Fatalf("users import: %s (%s)", j.Status, j.counts())
		}
		gj := b.rtImport(t, "Groups", "", file.bytes())
		if gj.Status != "succeeded" || gj.Created != 3 || gj.MembershipsAdded != 5 || gj.Failed != 0 {
			t.Errorf("group import: %s %s (%s)", gj.Status, gj.Error, gj.counts())
		}
		got, _ := b.exportTable(t, "/scim/v2/Users/.export?attributes=userName,groups")
		want, _ := s.exportTable(t, "/scim/v2/Users/.export?attributes=userName,groups")
		if !slices.EqualFunc(got.Rows, want.Rows, slices.Equal) {
			t.Errorf("memberships differ:\n B %q\n A %q", got.Rows, want.Rows)
		}
	})
}

// groupMembersByName maps each group's (cell) display name to its sorted
// member userNames, from the groups export and a users export with id.
func groupMembersByName(t testing.TB, s *server, users csvTable) map[string]string {
	t.Helper()
	names := map[string]string{}
	for _, r := range users.Rows {
		names[r[users.col(t, "id")]] = r[users.col(t, "userName")]
	}
	groups, _ := s.exportTable(t, "/scim/v2/Groups/.export")
	out := map[string]string{}
	for _, g := range groups.Rows {
		var ms []string
		for _, id := range strings.Split(g[3], ";") {
			if id != "" {
				ms = append(ms, names[id])
			}
		}
		slices.Sort(ms)
		out[g[1]] = strings.Join(ms, ",")
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func at(rows [][]string, i int) []string {
	if i < len(rows) {
		return rows[i]
	}
	return nil
}

// (c) The example file of SAP's group import documentation (SPEC §6)
// works as it is: identifiers userUuid and emails[0].value, groups
// separated by ';', missing groups created.
func TestGroupImportSAPExample(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		uuids := []string{"1ab2e307-1c7c-4c37-9bcf-ed0123456789", "1ab2e307-1c7c-4c37-9bcf-ed0123456700", "1ab2e307-1c7c-4c37-9bcf-ed0123456712"}
		mails := []string{"john.doe@example.com", "jane.roe@example.com", "max.muster@example.com"}
		for i, uuid := range uuids {
			s.createUser(t, fmt.Sprintf("sapuser%d", i), map[string]any{
				"schemas":  []string{userSchema, sapUserURN},
				"emails":   []any{map[string]any{"value": mails[i], "primary": true}},
				sapUserURN: map[string]any{"userUuid": uuid},
			})
		}
		// An existing group is updated, not duplicated.
		s.createGroup(t, "Employees")
		file := "groups,urn:ietf:params:scim:schemas:extension:sap:2.0:User:userUuid,emails[0].value\n" +
			"HR;Management;Employees," + uuids[0] + "," + mails[0] + "\n" +
			"Management;Employees," + uuids[1] + "," + mails[1] + "\n" +
			"IT;Management;Employees," + uuids[2] + "," + mails[2] + "\n"
		j := s.rtImport(t, "Groups", "", []byte(file))
		if j.Status != "succeeded" || j.Total != 3 || j.Created != 3 || j.Updated != 1 || j.MembershipsAdded != 8 || j.Failed != 0 {
			t.Errorf("SAP example: %s %s (%s), want groups HR, Management, IT created, Employees updated, 8 memberships", j.Status, j.Error, j.counts())
		}
		checkReportCounts(t, j, s.rtReport(t, j.ID))
		got, _ := s.exportTable(t, "/scim/v2/Users/.export?attributes=userName,groups")
		want := [][]string{{"sapuser0", "Employees;HR;Management"}, {"sapuser1", "Employees;Management"}, {"sapuser2", "Employees;IT;Management"}}
		if !slices.EqualFunc(got.Rows, want, slices.Equal) {
			t.Errorf("memberships %q, want %q", got.Rows, want)
		}
		if n := s.rtTotal(t, "/scim/v2/Groups?count=0"); n != 4 {
			t.Errorf("%d groups, want 4", n)
		}
	})
}

// (d) The rules of the group-assignment import (SPEC §6).
func TestGroupImportRules(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		mk := func(name, uuid string, mails ...string) string {
			var es []any
			for i, m := range mails {
				es = append(es, map[string]any{"value": m, "primary": i == 0})
			}
			attrs := map[string]any{"emails": es}
			if uuid != "" { // a userUuid that is not the id
				attrs["schemas"] = []string{userSchema, sapUserURN}
				attrs[sapUserURN] = map[string]any{"userUuid": uuid}
			}
			return fmt.Sprint(s.createUser(t, name, attrs)["id"])
		}
		ann := mk("ann", "", "ann@x.example", "shared@x.example")
		ben := mk("ben", "", "ben@x.example", "shared@x.example")
		cat := mk("cat", "uuid-of-cat", "cat@x.example")
		s.createGroup(t, "Existing", cat)

		file := strings.Join([]string{
			"id,urn:ietf:params:scim:schemas:extension:sap:2.0:User:userUuid,userName,emails[0].value,groups",
			ann + ",,ben,,ById",                 // 1: id wins over userName
			"no-such-id,,cat,,Nope",             // 2: an unknown id fails, no fallback to userName
			",uuid-of-cat,ann,,ByUuid",          // 3: userUuid wins over userName
			",,ben,ben@x.example,Both;Existing", // 4: userName and e-mail both match
			",,ben,cat@x.example,NoMatch",       // 5: userName and e-mail of different users
			",,,shared@x.example,Shared",        // 6: e-mail alone: every user with it
			",,cat,,",                           // 7: nothing to assign
			",,nobody,,Nope",                    // 8: unknown userName
			",,ann,,Existing;existing",          // 9: add-only, names case-insensitive
		}, "\n") + "\n"
		snap := s.rtSnapshot(t)
		groupsBefore := s.rtTotal(t, "/scim/v2/Groups?count=0")

		dry := s.rtImport(t, "Groups", "dryRun=true", []byte(file))
		if after := s.rtSnapshot(t); after != snap {
			t.Errorf("the dry run wrote:\n%s", rtDiff(snap, after))
		}
		run := s.rtImport(t, "Groups", "", []byte(file))
		// Created: ById, ByUuid, Both, Shared (not Nope or NoMatch, whose
		// rows failed); updated: Existing.
		want := map[string]int64{"total": 9, "processed": 9, "created": 4, "updated": 1, "failed": 3, "skipped": 1, "membershipsAdded": 7}
		for _, j := range []*rtJob{dry, run} {
			got := map[string]int64{"total": j.Total, "processed": j.Processed, "created": j.Created, "updated": j.Updated,
				"failed": j.Failed, "skipped": j.Skipped, "membershipsAdded": j.MembershipsAdded}
			if j.Status != "succeeded" || !mapsEqual(fmtMap(got), fmtMap(want)) {
				t.Errorf("dryRun=%t: %s %s (%s), want %v", j.DryRun, j.Status, j.Error, j.counts(), want)
			}
		}
		if !dry.DryRun || run.DryRun {
			t.Errorf("dryRun flags: %t %t", dry.DryRun, run.DryRun)
		}
		rep, dryRep := s.rtReport(t, run.ID), s.rtReport(t, dry.ID)
		checkReportCounts(t, run, rep)
		if !slices.Equal(rep, dryRep) {
			t.Errorf("the dry run's report differs:\n dry  %+v\n real %+v", dryRep, rep)
		}
		wantRows := []struct{ status, ids, errPart string }{
			{"updated", ann, ""},
			{"failed", "", "no-such-id"},
			{"updated", cat, ""},
			{"updated", ben, ""},
			{"failed", "", "cat@x.example"},
			{"updated", ann + ";" + ben, ""},
			{"skipped", "", ""},
			{"failed", "", "nobody"},
			{"updated", ann, ""},
		}
		for i, w := range wantRows {
			if i >= len(rep) {
				break
			}
			l := rep[i]
			if l.Status != w.status || (w.ids != "" && l.ID != w.ids) || !strings.Contains(l.Error, w.errPart) {
				t.Errorf("report row %d: %+v, want %s %s %q", i+1, l, w.status, w.ids, w.errPart)
			}
		}
		got, _ := s.exportTable(t, "/scim/v2/Users/.export?attributes=userName,groups")
		wantGroups := [][]string{{"ann", "ById;Existing;Shared"}, {"ben", "Both;Existing;Shared"}, {"cat", "ByUuid;Existing"}}
		if !slices.EqualFunc(got.Rows, wantGroups, slices.Equal) {
			t.Errorf("memberships %q, want %q", got.Rows, wantGroups)
		}
		if n := s.rtTotal(t, "/scim/v2/Groups?count=0"); n != groupsBefore+4 {
			t.Errorf("%d groups, want %d (Nope and NoMatch never created)", n, groupsBefore+4)
		}
	})
}

// checkReportCounts checks a finished job against its report: one line
// per processed row, rows in order, as many lines of each status as the
// job counts.
func checkReportCounts(t testing.TB, j *rtJob, rep []rtReportLine) {
	t.Helper()
	if int64(len(rep)) != j.Processed {
		t.Errorf("job %s: %d report lines, processed %d", j.ID, len(rep), j.Processed)
	}
	by := map[string]int64{}
	for i, l := range rep {
		if l.Row != i+1 {
			t.Errorf("job %s: report line %d is row %d", j.ID, i+1, l.Row)
		}
		by[l.Status]++
	}
	for st, n := range map[string]int64{"created": j.Created, "updated": j.Updated, "unchanged": j.Unchanged, "skipped": j.Skipped, "failed": j.Failed} {
		// A groups-import job counts groups in created/updated; its report
		// counts rows. Only the row statuses compare.
		if (st == "created" || st == "updated") && j.Type == "groups-import" {
			continue
		}
		if by[st] != n {
			t.Errorf("job %s: %d report lines say %s, the job counts %d", j.ID, by[st], st, n)
		}
	}
}

func fmtMap(m map[string]int64) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// More than 25,000 distinct groups in one file: the job fails with an
// error and writes nothing (SPEC §6), dry run or not.
func TestGroupImportGroupLimit(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		s.createUser(t, "ann", nil)
		s.createUser(t, "ben", nil)
		snap := s.rtSnapshot(t)
		var b strings.Builder
		b.WriteString("userName,groups\n")
		b.WriteString("ben,First\n") // a valid row before the limit is reached
		const perRow = 500           // the groups-per-user limit
		for g := 0; g < 25_001; {
			var names []string
			for k := 0; k < perRow && g < 25_001; k++ {
				names = append(names, fmt.Sprintf("limit-group-%05d", g))
				g++
			}
			b.WriteString("ann," + strings.Join(names, ";") + "\n")
		}
		for _, params := range []string{"dryRun=true", ""} {
			j := s.rtImport(t, "Groups", params, []byte(b.String()))
			if j.Status != "failed" || !strings.Contains(j.Error, "25000") && !strings.Contains(j.Error, "25,000") {
				t.Errorf("%q: %s, error %q, want failed naming the 25,000-group limit", params, j.Status, j.Error)
			}
			if j.Created+j.Updated+j.MembershipsAdded != 0 {
				t.Errorf("%q: counts %s, want nothing written", params, j.counts())
			}
		}
		if after := s.rtSnapshot(t); after != snap {
			t.Errorf("the refused file wrote:\n%s", rtDiff(snap, after))
		}
		// Exactly 25,000 is allowed.
		var ok strings.Builder
		ok.WriteString("userName,groups\n")
		for g := 0; g < 25_000; g += perRow {
			var names []string
			for k := g; k < g+perRow; k++ {
				names = append(names, fmt.Sprintf("ok-group-%05d", k))
			}
			ok.WriteString("ann," + strings.Join(names, ";") + "\n")
		}
		j := s.rtImport(t, "Groups", "dryRun=true", []byte(ok.String()))
		if j.Status != "succeeded" || j.Created != 25_000 {
			t.Errorf("25,000 groups (dry run): %s %s (%s)", j.Status, j.Error, j.counts())
		}
	})
}
