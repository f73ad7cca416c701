package storetest

import (
	"fmt"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

var batchCases = []testCase{
	{"batch/insert_users_partial_failure", testBatchInsertUsers},
	{"batch/insert_users_large_partial_failure", testBatchInsertUsersLarge},
	{"batch/update_users_partial_failure", testBatchUpdateUsers},
	{"batch/update_large", testBatchUpdateLarge},
	{"batch/delete_users_partial_failure", testBatchDeleteUsers},
	{"batch/insert_groups_partial_failure", testBatchInsertGroups},
	{"batch/delete_groups_partial_failure", testBatchDeleteGroups},
}

func testBatchInsertUsers(e *env) {
	e.insertUsers(e.a.ID, e.newUser("taken", map[string]any{sapURN: sap("uuid-taken")}))
	batch := []*store.User{
		e.newUser("ok-1", map[string]any{"emails": emails("ok1@example.com")}),
		e.newUser("TAKEN", map[string]any{"emails": emails("failed@example.com")}), // existing userName
		e.newUser("ok-2", nil),
		e.newUser("OK-1", nil), // collides with item 0
		e.newUser("uuid", map[string]any{sapURN: sap("UUID-TAKEN")}),
		e.newUser("ok-3", map[string]any{sapURN: sap("uuid-free")}),
	}
	dupID := e.newUser("same-id", nil)
	dupID.ID = batch[2].ID
	batch = append(batch, dupID)
	e.tx(e.a.ID, func(tx store.Tx) {
		errs := e.itemErrs("InsertUsers", tx.InsertUsers(e.ctx, batch))
		eq(e, "failed items", len(errs), 4)
		e.wantUniqueness("existing userName", errs[1], "userName", "TAKEN")
		e.wantUniqueness("userName earlier in the batch", errs[3], "userName", "OK-1")
		e.wantUniqueness("existing userUuid", errs[4], schemas.SAPUserURN+":userUuid", "UUID-TAKEN")
		e.wantUniqueness("id earlier in the batch", errs[6], "id", batch[2].ID)
	})
	for _, i := range []int{0, 2, 5} {
		eq(e, "inserted item", e.getUser(batch[i].ID).UserName, batch[i].UserName)
	}
	for _, i := range []int{1, 3, 4} {
		_, err := e.s.GetUser(e.ctx, e.a.ID, batch[i].ID)
		e.wantErr(fmt.Sprintf("failed item %d", i), err, store.ErrNotFound)
	}
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, []string{"ok1@example.com", "failed@example.com"})
		e.noErr("UsersBy", err)
		eq(e, "e-mails of inserted items only", byIDs(got), map[string][]string{"ok1@example.com": {batch[0].ID}})
	})
}

// testBatchInsertUsersLarge crosses the stores' statement chunking with
// collisions in several chunks.
func testBatchInsertUsersLarge(e *env) {
	e.insertUsers(e.a.ID, e.newUser("big-1500", nil))
	const n = 2500
	batch := make([]*store.User, n)
	for i := range batch {
		batch[i] = e.newUser(fmt.Sprintf("big-%d", i), map[string]any{"emails": emails(fmt.Sprintf("big%d@example.com", i))})
	}
	batch[2100] = e.newUser("BIG-7", nil)
	e.tx(e.a.ID, func(tx store.Tx) {
		errs := e.itemErrs("InsertUsers", tx.InsertUsers(e.ctx, batch))
		e.wantUniqueness("existing", errs[1500], "userName", "big-1500")
		e.wantUniqueness("earlier in the batch", errs[2100], "userName", "BIG-7")
		eq(e, "failed items", len(errs), 2)
	})
	_, total, err := e.s.ListUsers(e.ctx, e.a.ID, store.Query{Count: 0})
	e.noErr("ListUsers", err)
	eq(e, "users stored", total, n-2+1)
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, []string{"big2499@example.com", "big1500@example.com"})
		e.noErr("UsersBy", err)
		eq(e, "e-mail index", byIDs(got), map[string][]string{"big2499@example.com": {batch[2499].ID}})
	})
}

func testBatchUpdateUsers(e *env) {
	us := []*store.User{e.newUser("p0", nil), e.newUser("p1", nil), e.newUser("p2", nil), e.newUser("p3", nil)}
	e.insertUsers(e.a.ID, us...)
	e.tx(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByID, ids(us, func(u *store.User) string { return u.ID }))
		e.noErr("UsersBy", err)
		r := make([]*store.User, len(us))
		for i, u := range us {
			r[i] = got[u.ID][0]
		}
		e.setAttrs(r[0], map[string]any{"userName": "p0-new", "emails": emails("p0@example.com")})
		e.setAttrs(r[1], map[string]any{"userName": "P2"}) // taken by item 2 (not renamed)
		r[2].Version = 9                                   // stale
		ghost := e.newUser("ghost", nil)
		ghost.Version = 1
		e.setAttrs(r[3], map[string]any{"userName": "p3-new"})
		batch := []*store.User{r[0], r[1], r[2], ghost, r[3]}
		errs := e.itemErrs("UpdateUsers", tx.UpdateUsers(e.ctx, batch))
		eq(e, "failed items", len(errs), 3)
		e.wantUniqueness("taken userName", errs[1], "userName", "P2")
		e.wantErr("stale", errs[2], store.ErrVersionMismatch)
		e.wantErr("unknown", errs[3], store.ErrNotFound)
		eq(e, "versions set on success only", []int64{r[0].Version, r[1].Version, r[3].Version}, []int64{2, 1, 2})
	})
	eq(e, "p0 updated", e.getUser(us[0].ID).UserName, "p0-new")
	eq(e, "p1 unchanged", e.getUser(us[1].ID).UserName, "p1")
	eq(e, "p2 unchanged", e.getUser(us[2].ID).Version, int64(1))
	eq(e, "p3 updated", e.getUser(us[3].ID).UserName, "p3-new")
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, []string{"p0@example.com"})
		e.noErr("UsersBy", err)
		eq(e, "e-mail of the updated user", byIDs(got), map[string][]string{"p0@example.com": {us[0].ID}})
	})
}

func testBatchDeleteUsers(e *env) {
	us := []*store.User{e.newUser("d0", nil), e.newUser("d1", nil)}
	e.insertUsers(e.a.ID, us...)
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.DeleteUsers(e.ctx, []string{newID(), us[0].ID, us[1].ID, newID()})
		e.wantItemErrs("DeleteUsers", err, map[int]error{0: store.ErrNotFound, 3: store.ErrNotFound})
	})
	_, total, err := e.s.ListUsers(e.ctx, e.a.ID, store.Query{Count: 0})
	e.noErr("ListUsers", err)
	eq(e, "users left", total, 0)
}

func testBatchInsertGroups(e *env) {
	e.insertGroups(e.a.ID, e.newGroup("Existing", nil))
	batch := []*store.Group{
		e.newGroup("New 1", nil), e.newGroup("existing", nil), e.newGroup("New 2", nil), e.newGroup("NEW 1", nil),
	}
	e.tx(e.a.ID, func(tx store.Tx) {
		errs := e.itemErrs("InsertGroups", tx.InsertGroups(e.ctx, batch))
		eq(e, "failed items", len(errs), 2)
		e.wantUniqueness("existing displayName", errs[1], "displayName", "existing")
		e.wantUniqueness("displayName earlier in the batch", errs[3], "displayName", "NEW 1")
	})
	e.getGroup(batch[0].ID)
	e.getGroup(batch[2].ID)
	_, err := e.s.GetGroup(e.ctx, e.a.ID, batch[1].ID)
	e.wantErr("failed item", err, store.ErrNotFound)
}

func testBatchDeleteGroups(e *env) {
	g := e.newGroup("G", nil)
	e.insertGroups(e.a.ID, g)
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.DeleteGroups(e.ctx, []string{newID(), g.ID})
		e.wantItemErrs("DeleteGroups", err, map[int]error{0: store.ErrNotFound})
	})
	_, err := e.s.GetGroup(e.ctx, e.a.ID, g.ID)
	e.wantErr("deleted", err, store.ErrNotFound)
}

// testBatchUpdateLarge updates more users and groups than one statement
// chunk holds, with one stale item each and an id given twice.
func testBatchUpdateLarge(e *env) {
	const n = 1200
	users := make([]*store.User, n)
	groups := make([]*store.Group, n)
	for i := range users {
		users[i] = e.newUser(fmt.Sprintf("many-%d", i), map[string]any{"emails": emails(fmt.Sprintf("m%d@example.com", i))})
		groups[i] = e.newGroup(fmt.Sprintf("many-%d", i), nil)
	}
	e.insertUsers(e.a.ID, users...)
	e.insertGroups(e.a.ID, groups...)
	e.tx(e.a.ID, func(tx store.Tx) {
		for i, u := range users {
			e.setAttrs(u, map[string]any{"userName": fmt.Sprintf("many-%d-v2", i),
				"emails": emails(fmt.Sprintf("m%d-v2@example.com", i))})
			if err := groups[i].SetAttrs(map[string]any{"displayName": fmt.Sprintf("many-%d-v2", i)}); err != nil {
				e.t.Fatal(err)
			}
		}
		users[1100].Version = 3
		groups[1100].Version = 3
		again := *users[5]
		ub := append(append([]*store.User{}, users...), &again)
		errs := e.itemErrs("UpdateUsers", tx.UpdateUsers(e.ctx, ub))
		eq(e, "failed users", len(errs), 2)
		e.wantErr("stale user", errs[1100], store.ErrVersionMismatch)
		e.wantErr("same user again with the version read", errs[n], store.ErrVersionMismatch)
		errs = e.itemErrs("UpdateGroups", tx.UpdateGroups(e.ctx, groups))
		eq(e, "failed groups", len(errs), 1)
		e.wantErr("stale group", errs[1100], store.ErrVersionMismatch)
	})
	got := e.getUser(users[1199].ID)
	eq(e, "user updated", []any{got.UserName, got.Version}, []any{"many-1199-v2", int64(2)})
	eq(e, "stale user untouched", e.getUser(users[1100].ID).UserName, "many-1100")
	eq(e, "group updated", e.getGroup(groups[7].ID).DisplayName, "many-7-v2")
	eq(e, "stale group untouched", e.getGroup(groups[1100].ID).DisplayName, "many-1100")
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, []string{"m3@example.com", "m3-v2@example.com", "m1100@example.com"})
		e.noErr("UsersBy", err)
		eq(e, "e-mails follow the update", byIDs(got), map[string][]string{
			"m3-v2@example.com": {users[3].ID}, "m1100@example.com": {users[1100].ID},
		})
	})
}
