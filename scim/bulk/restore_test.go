package bulk_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/store"
)

// Engine-level tests of the tenant snapshot restore (restore*.go), on
// both databases.

// collect is a sink that keeps every committed result.
type collect struct{ results []bulk.Result }

func (c *collect) Prepare([]bulk.Result, bulk.ChunkInfo) *bulk.Checkpoint { return nil }
func (c *collect) Committed(rs []bulk.Result, _ bulk.ChunkInfo)           { c.results = append(c.results, rs...) }

func (c *collect) outcomes() map[bulk.Outcome]int {
	m := map[bulk.Outcome]int{}
	for _, r := range c.results {
		m[r.Outcome]++
	}
	return m
}

func (c *collect) byRow(row int64) bulk.Result {
	for _, r := range c.results {
		if r.Row == row {
			return r
		}
	}
	return bulk.Result{}
}

func feed[T any](items []T) func() (T, bool, error) {
	i := 0
	return func() (T, bool, error) {
		var zero T
		if i == len(items) {
			return zero, false, nil
		}
		i++
		return items[i-1], true, nil
	}
}

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

func rUser(row int64, id, userName string, extra map[string]any) bulk.RestoreUser {
	attrs := map[string]any{"schemas": []any{schemas.UserURN}, "userName": userName}
	for k, v := range extra {
		attrs[k] = v
	}
	return bulk.RestoreUser{Row: row, ID: id, Attrs: attrs, PasswordHash: "$2a$10$abcdefghijklmnopqrstuu5Q1pB2sU8m0Wc4dX3pP5Yh8v1dJ9KeS",
		Created: t0, Modified: t0.Add(time.Hour), Version: 4}
}

func rGroup(row int64, id, name string, members ...bulk.RestoreMember) bulk.RestoreGroup {
	return bulk.RestoreGroup{Row: row, ID: id, Attrs: map[string]any{"schemas": []any{schemas.GroupURN}, "displayName": name},
		Members: members, Created: t0, Modified: t0.Add(2 * time.Hour), Version: 7}
}

func uMember(id string) bulk.RestoreMember {
	return bulk.RestoreMember{Value: id, Type: store.MemberUser}
}
func gMember(id string) bulk.RestoreMember {
	return bulk.RestoreMember{Value: id, Type: store.MemberGroup}
}

// restoreAll runs the three phases.
func (e *env) restoreAll(t *testing.T, users []bulk.RestoreUser, groups []bulk.RestoreGroup, opts bulk.RestoreOptions) (*collect, *bulk.Restore) {
	t.Helper()
	sink := &collect{}
	r := bulk.NewRestore()
	if err := e.eng.RestoreUsers(e.ctx, e.tenant, r, feed(users), opts, sink); err != nil {
		t.Fatalf("RestoreUsers: %v", err)
	}
	if err := e.eng.RestoreGroups(e.ctx, e.tenant, r, feed(groups), opts, sink); err != nil {
		t.Fatalf("RestoreGroups: %v", err)
	}
	if err := e.eng.RestoreDeferred(e.ctx, e.tenant, r, opts, sink); err != nil {
		t.Fatalf("RestoreDeferred: %v", err)
	}
	return sink, r
}

func (e *env) memberIDs(t *testing.T, groupID string) []string {
	t.Helper()
	mm, err := e.st.Members(e.ctx, e.tenant, []string{groupID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range mm[groupID] {
		out = append(out, m.Value)
	}
	slices.Sort(out)
	return out
}

func TestRestoreIntoEmptyTenant(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		users := []bulk.RestoreUser{
			rUser(1, "u-1", "alice", map[string]any{"emails": []any{map[string]any{"value": "a@x.com", "primary": true}}}),
			rUser(2, "u-2", "bob", nil),
		}
		users[1].PasswordHash = ""
		groups := []bulk.RestoreGroup{
			// g-1 contains g-2, which comes later: the member is deferred.
			rGroup(3, "g-1", "Outer", uMember("u-1"), gMember("g-2")),
			rGroup(4, "g-2", "Inner", uMember("u-2")),
		}
		// A chunk of one group each, so that g-2 is really later.
		sink, _ := e.restoreAll(t, users, groups, bulk.RestoreOptions{ChunkSize: 1})
		if got := sink.outcomes(); got[bulk.Created] != 4 || got[bulk.Failed] != 0 {
			t.Fatalf("outcomes %v, results %+v", got, sink.results)
		}
		u, err := e.st.GetUser(e.ctx, e.tenant, "u-1")
		if err != nil {
			t.Fatal(err)
		}
		if u.Version != 4 || !u.Created.Equal(t0) || !u.Modified.Equal(t0.Add(time.Hour)) || u.PasswordHash != users[0].PasswordHash {
			t.Errorf("restored user meta/hash: version %d created %v modified %v hash %q", u.Version, u.Created, u.Modified, u.PasswordHash)
		}
		if u.UserUUID != "u-1" || len(u.Emails) != 1 {
			t.Errorf("derived copies: userUuid %q emails %v", u.UserUUID, u.Emails)
		}
		g, err := e.st.GetGroup(e.ctx, e.tenant, "g-1")
		if err != nil {
			t.Fatal(err)
		}
		if g.Version != 7 || !g.Modified.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("restored group meta: version %d modified %v (members must not touch it)", g.Version, g.Modified)
		}
		if got := e.memberIDs(t, "g-1"); !slices.Equal(got, []string{"g-2", "u-1"}) {
			t.Errorf("g-1 members %v", got)
		}
		if got := e.memberIDs(t, "g-2"); !slices.Equal(got, []string{"u-2"}) {
			t.Errorf("g-2 members %v", got)
		}
	})
}

// overlapEnv seeds the target: "carol" under the snapshot's id u-1 (with
// another userName), "bob" under another id, group "Staff" under another
// id, containing the target's own bob.
func overlapEnv(t *testing.T, e *env) (bobID, staffID string) {
	t.Helper()
	var bob *store.User
	err := e.st.Tx(e.ctx, e.tenant, func(tx store.Tx) error {
		carol, err := e.eng.Svc.NewUserWithHash(map[string]any{"userName": "carol"}, "u-1", "")
		if err != nil {
			return err
		}
		bob, err = e.eng.Svc.NewUser(map[string]any{"userName": "Bob"})
		if err != nil {
			return err
		}
		if err := tx.InsertUsers(e.ctx, []*store.User{carol, bob}); err != nil {
			return err
		}
		g, _, err := e.eng.Svc.NewGroup(map[string]any{"displayName": "Staff"})
		if err != nil {
			return err
		}
		staffID = g.ID
		if err := tx.InsertGroups(e.ctx, []*store.Group{g}); err != nil {
			return err
		}
		_, err = tx.AddMembers(e.ctx, []store.Member{{GroupID: g.ID, Value: bob.ID, Type: store.MemberUser}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return bob.ID, staffID
}

func overlapSnapshot() ([]bulk.RestoreUser, []bulk.RestoreGroup) {
	users := []bulk.RestoreUser{
		rUser(1, "u-1", "alice", map[string]any{"title": "from snapshot"}), // same id as carol
		rUser(2, "u-2", "bob", map[string]any{"title": "from snapshot"}),   // same userName as Bob
		rUser(3, "u-3", "dave", nil),                                       // new
	}
	groups := []bulk.RestoreGroup{
		rGroup(4, "g-1", "staff", uMember("u-2"), uMember("u-3")), // same displayName as Staff
		rGroup(5, "g-2", "New", uMember("u-2"), uMember("u-1")),   // new
	}
	return users, groups
}

func TestRestoreModes(t *testing.T) {
	t.Run("ignore", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, e *env) {
			bobID, staffID := overlapEnv(t, e)
			users, groups := overlapSnapshot()
			sink, r := e.restoreAll(t, users, groups, bulk.RestoreOptions{OnMatch: bulk.MatchIgnore})
			got := sink.outcomes()
			if got[bulk.Skipped] != 3 || got[bulk.Created] != 2 || got[bulk.Failed] != 0 {
				t.Fatalf("outcomes %v: %+v", got, sink.results)
			}
			u, _ := e.st.GetUser(e.ctx, e.tenant, "u-1")
			if u.UserName != "carol" || strings.Contains(string(u.Attrs), "snapshot") {
				t.Errorf("ignore changed the existing user: %s", u.Attrs)
			}
			if r.IDs["u-2"] != bobID || r.IDs["g-1"] != staffID {
				t.Errorf("id map %v, want u-2→%s g-1→%s", r.IDs, bobID, staffID)
			}
			// The existing group keeps its members; the new group's members
			// point at the target's bob.
			if got := e.memberIDs(t, staffID); !slices.Equal(got, []string{bobID}) {
				t.Errorf("Staff members %v", got)
			}
			want := []string{bobID, "u-1"}
			slices.Sort(want)
			if got := e.memberIDs(t, "g-2"); !slices.Equal(got, want) {
				t.Errorf("New members %v, want %v", got, want)
			}
		})
	})
	t.Run("update", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, e *env) {
			bobID, staffID := overlapEnv(t, e)
			before, _ := e.st.GetUser(e.ctx, e.tenant, bobID)
			users, groups := overlapSnapshot()
			sink, r := e.restoreAll(t, users, groups, bulk.RestoreOptions{OnMatch: bulk.MatchUpdate})
			got := sink.outcomes()
			if got[bulk.Updated] != 3 || got[bulk.Created] != 2 || got[bulk.Failed] != 0 {
				t.Fatalf("outcomes %v: %+v", got, sink.results)
			}
			u, _ := e.st.GetUser(e.ctx, e.tenant, "u-1")
			if u.UserName != "alice" || !strings.Contains(string(u.Attrs), "from snapshot") || u.PasswordHash != users[0].PasswordHash {
				t.Errorf("update did not overwrite u-1: %s", u.Attrs)
			}
			b, _ := e.st.GetUser(e.ctx, e.tenant, bobID)
			if b.UserName != "bob" || b.UserUUID != before.UserUUID || b.Version != before.Version+1 || !b.Created.Equal(before.Created) {
				t.Errorf("bob overwritten: userName %q userUuid %q (want %q) version %d created %v", b.UserName, b.UserUUID, before.UserUUID, b.Version, b.Created)
			}
			if r.IDs["u-2"] != bobID {
				t.Errorf("id map %v", r.IDs)
			}
			want := []string{bobID, "u-3"}
			slices.Sort(want)
			if got := e.memberIDs(t, staffID); !slices.Equal(got, want) {
				t.Errorf("Staff members %v, want the snapshot's %v", got, want)
			}
			// Again: nothing differs any more.
			sink, _ = e.restoreAll(t, users, groups, bulk.RestoreOptions{OnMatch: bulk.MatchUpdate})
			if got := sink.outcomes(); got[bulk.Unchanged] != 5 {
				t.Errorf("second update: %v: %+v", got, sink.results)
			}
		})
	})
	t.Run("fail", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, e *env) {
			overlapEnv(t, e)
			users, groups := overlapSnapshot()
			keys := make([]bulk.RecordKey, len(users))
			for i, u := range users {
				keys[i] = bulk.RecordKey{Row: u.Row, ID: u.ID, Name: u.Attrs["userName"].(string)}
			}
			cs, err := e.eng.UserConflicts(e.ctx, e.tenant, keys)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 2 || cs[0].By != "id" || cs[1].By != "userName" {
				t.Errorf("user conflicts %+v", cs)
			}
			gcs, err := e.eng.GroupConflicts(e.ctx, e.tenant, []bulk.RecordKey{{Row: 4, ID: "g-1", Name: "staff"}, {Row: 5, ID: "g-2", Name: "New"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(gcs) != 1 || gcs[0].By != "displayName" || gcs[0].Row != 4 {
				t.Errorf("group conflicts %+v", gcs)
			}
			// The engine itself fails a conflicting record under MatchFail
			// (g-2 is created but fails too: its member u-2 was not).
			sink, _ := e.restoreAll(t, users, groups, bulk.RestoreOptions{OnMatch: bulk.MatchFail})
			if got := sink.outcomes(); got[bulk.Failed] != 4 || got[bulk.Created] != 1 {
				t.Errorf("outcomes %v", got)
			}
			for _, row := range []int64{1, 2, 4} {
				if r := sink.byRow(row); r.Err == nil || !strings.Contains(r.Err.Error(), "mode=fail") {
					t.Errorf("row %d: %v", row, r.Err)
				}
			}
		})
	})
}

func TestRestoreFailures(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		users := []bulk.RestoreUser{
			rUser(1, "u-1", "alice", nil),
			rUser(2, "u-1", "again", nil),                             // duplicate id in the snapshot
			rUser(3, "u-3", "ALICE", nil),                             // duplicate userName
			rUser(4, "u-4", "eve", map[string]any{"nickName": 12}),    // invalid value
			rUser(5, "u-5", "fred", map[string]any{"shoeSize": "44"}), // unknown attribute
		}
		job := "job-1"
		groups := []bulk.RestoreGroup{rGroup(6, "g-1", "G", uMember("u-1"), uMember("nobody"), gMember("no-group"))}
		sink, _ := e.restoreAll(t, users, groups, bulk.RestoreOptions{ReportJob: job})
		for row, want := range map[int64]string{2: "same id", 3: "userName", 4: "nickName", 5: "shoeSize", 6: "nobody"} {
			r := sink.byRow(row)
			if r.Outcome != bulk.Failed || r.Err == nil || !strings.Contains(r.Err.Error(), want) {
				t.Errorf("row %d: %s %v, want a failure naming %q", row, r.Outcome, r.Err, want)
			}
		}
		if got := e.memberIDs(t, "g-1"); !slices.Equal(got, []string{"u-1"}) {
			t.Errorf("g-1 keeps the members that exist: %v", got)
		}
		// Failures are in the job's report, written with their chunks.
		if _, err := e.st.GetUser(e.ctx, e.tenant, "u-4"); err == nil {
			t.Error("an invalid record was stored")
		}
		if _, err := e.eng.PrepareRestoreUser(&users[4]); err == nil || !strings.Contains(err.Error(), "shoeSize") {
			t.Errorf("PrepareRestoreUser: %v", err)
		}
		u := rUser(9, "u-9", "x", map[string]any{"urn:example:unknown:2.0:User": map[string]any{"a": "b"}})
		if _, err := e.eng.PrepareRestoreUser(&u); err == nil || !strings.Contains(err.Error(), "not loaded") {
			t.Errorf("unknown extension: %v", err)
		}
	})
}

// TestRestoreReport checks that failed records reach the job report.
func TestRestoreReport(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		j := &store.Job{ID: "rep-1", TenantID: e.tenant, Type: store.JobTenantImport, Status: store.JobSucceeded}
		users := []bulk.RestoreUser{rUser(1, "u-1", "alice", nil), rUser(2, "u-2", "alice", nil)}
		e.restoreAll(t, users, nil, bulk.RestoreOptions{ReportJob: j.ID})
		if err := e.st.CreateJob(e.ctx, j, nil); err != nil {
			t.Fatal(err)
		}
		var lines []store.ReportLine
		if err := e.st.ScanReport(e.ctx, e.tenant, j.ID, func(l store.ReportLine) error { lines = append(lines, l); return nil }); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(lines)
		if len(lines) != 1 || lines[0].Row != 2 || lines[0].Status != "failed" {
			t.Errorf("report %s", raw)
		}
	})
}

// TestRestoreReplay: a collision the look-ups cannot see (the SAP
// userUuid of another user) fails the batch; the chunk is replayed one
// record per transaction and only the colliding record fails.
func TestRestoreReplay(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		sap := func(uuid string) map[string]any {
			return map[string]any{schemas.SAPUserURN: map[string]any{"userUuid": uuid}}
		}
		err := e.st.Tx(e.ctx, e.tenant, func(tx store.Tx) error {
			u, err := e.eng.Svc.NewUser(map[string]any{"userName": "holder", schemas.SAPUserURN: map[string]any{"userUuid": "shared"}})
			if err != nil {
				return err
			}
			return tx.InsertUsers(e.ctx, []*store.User{u})
		})
		if err != nil {
			t.Fatal(err)
		}
		users := []bulk.RestoreUser{rUser(1, "u-1", "one", nil), rUser(2, "u-2", "two", sap("SHARED")), rUser(3, "u-3", "three", nil)}
		sink, _ := e.restoreAll(t, users, nil, bulk.RestoreOptions{})
		if got := sink.outcomes(); got[bulk.Created] != 2 || got[bulk.Failed] != 1 {
			t.Fatalf("outcomes %v: %+v", got, sink.results)
		}
		if r := sink.byRow(2); r.Outcome != bulk.Failed || !strings.Contains(r.Err.Error(), "userUuid") {
			t.Errorf("row 2: %s %v", r.Outcome, r.Err)
		}
	})
}

// TestRestorePrepared: records prepared by a pre-pass (PrepareRestoreUser,
// PrepareRestoreGroup) restore as the records themselves do, created or
// overwritten.
func TestRestorePrepared(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		bobID, staffID := overlapEnv(t, e)
		users, groups := overlapSnapshot()
		for i := range users {
			u, err := e.eng.PrepareRestoreUser(&users[i])
			if err != nil {
				t.Fatal(err)
			}
			users[i] = bulk.RestoreUser{Row: users[i].Row, ID: users[i].ID, Prepared: u}
		}
		for i := range groups {
			g, err := e.eng.PrepareRestoreGroup(&groups[i])
			if err != nil {
				t.Fatal(err)
			}
			groups[i] = bulk.RestoreGroup{Row: groups[i].Row, ID: groups[i].ID, Members: groups[i].Members, Prepared: g}
		}
		sink, r := e.restoreAll(t, users, groups, bulk.RestoreOptions{OnMatch: bulk.MatchUpdate})
		if got := sink.outcomes(); got[bulk.Updated] != 3 || got[bulk.Created] != 2 {
			t.Fatalf("outcomes %v: %+v", got, sink.results)
		}
		if r.IDs["u-2"] != bobID || r.IDs["g-1"] != staffID {
			t.Errorf("id map %v", r.IDs)
		}
		d, err := e.st.GetUser(e.ctx, e.tenant, "u-3")
		if err != nil || d.Version != 4 || !d.Created.Equal(t0) || d.PasswordHash != users[2].Prepared.PasswordHash {
			t.Errorf("created from a prepared user: %+v %v", d, err)
		}
		u1, _ := e.st.GetUser(e.ctx, e.tenant, "u-1")
		if u1.UserName != "alice" || !strings.Contains(string(u1.Attrs), "from snapshot") {
			t.Errorf("overwritten from a prepared user: %s", u1.Attrs)
		}
	})
}
