package storetest

import (
	"sort"
	"time"

	"github.com/scimd/scimd/store"
)

var groupCases = []testCase{
	{"groups/insert_get", testGroupInsertGet},
	{"groups/displayname_unique_case_insensitive", testGroupNameUnique},
	{"groups/groupsby", testGroupsBy},
	{"groups/update_version", testGroupUpdate},
	{"groups/delete", testGroupDelete},
}

// sameGroup compares a stored group with the one written.
func (e *env) sameGroup(what string, got store.Group, want *store.Group) {
	e.t.Helper()
	eq(e, what+": ID", got.ID, want.ID)
	eq(e, what+": DisplayName", got.DisplayName, want.DisplayName)
	eq(e, what+": ExternalID", got.ExternalID, want.ExternalID)
	eq(e, what+": Version", got.Version, want.Version)
	e.sameTime(what+": Created", got.Created, want.Created)
	e.sameTime(what+": Modified", got.Modified, want.Modified)
	gm, err := got.AttrMap()
	e.noErr("AttrMap", err)
	wm, err := want.AttrMap()
	e.noErr("AttrMap", err)
	eq(e, what+": Attrs", gm, wm)
}

func testGroupInsertGet(e *env) {
	g := e.newGroup("Engineering", map[string]any{"externalId": "g-ext"})
	e.insertGroups(e.a.ID, g)
	if g.Version != 1 || g.Created.IsZero() || !g.Modified.Equal(g.Created) {
		e.t.Errorf("InsertGroups filled Version %d Created %v Modified %v", g.Version, g.Created, g.Modified)
	}
	e.sameGroup("GetGroup", e.getGroup(g.ID), g)
	_, err := e.s.GetGroup(e.ctx, e.a.ID, newID())
	e.wantErr("GetGroup(unknown)", err, store.ErrNotFound)
	plain := e.newGroup("Plain", nil)
	e.insertGroups(e.a.ID, plain)
	eq(e, "ExternalID absent", e.getGroup(plain.ID).ExternalID, "")
}

func testGroupNameUnique(e *env) {
	e.insertGroups(e.a.ID, e.newGroup("Admins", nil))
	dup := e.newGroup("ADMINS", nil)
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.InsertGroups(e.ctx, []*store.Group{dup})
		e.wantUniqueness("InsertGroups(ADMINS)", store.ItemErrors(err)[0], "displayName", "ADMINS")
	})
	_, err := e.s.GetGroup(e.ctx, e.a.ID, dup.ID)
	e.wantErr("the colliding group", err, store.ErrNotFound)
	e.insertGroups(e.b.ID, e.newGroup("admins", nil))
}

func testGroupsBy(e *env) {
	g1 := e.newGroup("Sales", nil)
	g2 := e.newGroup("Support", nil)
	e.insertGroups(e.a.ID, g1, g2)
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.GroupsBy(e.ctx, false, []string{g1.ID, g2.ID, newID()})
		e.noErr("GroupsBy ids", err)
		if len(got) != 2 || len(got[g1.ID]) != 1 || len(got[g2.ID]) != 1 {
			e.t.Fatalf("GroupsBy ids = %v", got)
		}
		e.sameGroup("GroupsBy id", *got[g1.ID][0], g1)
		got, err = tx.GroupsBy(e.ctx, true, []string{"sales", "SUPPORT", "Support", "nope"})
		e.noErr("GroupsBy names", err)
		names := map[string]string{}
		for v, gs := range got {
			if len(gs) != 1 {
				e.t.Fatalf("GroupsBy(%s) = %d groups", v, len(gs))
			}
			names[v] = gs[0].ID
		}
		eq(e, "GroupsBy names", names, map[string]string{"sales": g1.ID, "SUPPORT": g2.ID, "Support": g2.ID})
		got, err = tx.GroupsBy(e.ctx, false, []string{"Sales"})
		e.noErr("GroupsBy", err)
		eq(e, "GroupsBy(id) does not match names", len(got), 0)
	})
}

func testGroupUpdate(e *env) {
	g := e.newGroup("Ops", nil)
	other := e.newGroup("Dev", nil)
	e.insertGroups(e.a.ID, g, other)
	var read *store.Group
	e.tx(e.a.ID, func(tx store.Tx) {
		got, err := tx.GroupsBy(e.ctx, false, []string{g.ID})
		e.noErr("GroupsBy", err)
		read = got[g.ID][0]
		if err := read.SetAttrs(map[string]any{"displayName": "Operations", "externalId": "ops"}); err != nil {
			e.t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
		e.noErr("UpdateGroups", tx.UpdateGroups(e.ctx, []*store.Group{read}))
	})
	eq(e, "Version after update", read.Version, int64(2))
	got := e.getGroup(g.ID)
	e.sameGroup("GetGroup after update", got, read)
	e.sameTime("Created unchanged", got.Created, g.Created)
	if !got.Modified.After(g.Created) {
		e.t.Errorf("Modified %v not after Created %v", got.Modified, got.Created)
	}

	stale := got
	stale.Version = 1
	ghost := e.newGroup("Ghost", nil)
	ghost.Version = 1
	dupName := e.getGroup(other.ID)
	if err := dupName.SetAttrs(map[string]any{"displayName": "OPERATIONS"}); err != nil {
		e.t.Fatal(err)
	}
	ok := e.getGroup(other.ID)
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.UpdateGroups(e.ctx, []*store.Group{&stale, ghost, &dupName})
		errs := e.itemErrs("UpdateGroups", err)
		e.wantErr("stale version", errs[0], store.ErrVersionMismatch)
		e.wantErr("unknown group", errs[1], store.ErrNotFound)
		e.wantUniqueness("taken displayName", errs[2], "displayName", "OPERATIONS")
		eq(e, "failed items", len(errs), 3)
		if err := ok.SetAttrs(map[string]any{"displayName": "Development"}); err != nil {
			e.t.Fatal(err)
		}
		e.noErr("UpdateGroups after failures", tx.UpdateGroups(e.ctx, []*store.Group{&ok}))
	})
	eq(e, "Dev renamed", e.getGroup(other.ID).DisplayName, "Development")
	eq(e, "Ops unchanged", e.getGroup(g.ID).Version, int64(2))
}

func testGroupDelete(e *env) {
	g := e.newGroup("Temp", nil)
	keep := e.newGroup("Keep", nil)
	e.insertGroups(e.a.ID, g, keep)
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.DeleteGroups(e.ctx, []string{g.ID, newID()})
		e.wantItemErrs("DeleteGroups(existing, unknown)", err, map[int]error{1: store.ErrNotFound})
	})
	_, err := e.s.GetGroup(e.ctx, e.a.ID, g.ID)
	e.wantErr("GetGroup after delete", err, store.ErrNotFound)
	e.getGroup(keep.ID)
	gs, total, err := e.s.ListGroups(e.ctx, e.a.ID, store.Query{Count: -1})
	e.noErr("ListGroups", err)
	names := ids(gs, func(g store.Group) string { return g.DisplayName })
	sort.Strings(names)
	eq(e, "groups left", names, []string{"Keep"})
	eq(e, "total", total, 1)
	e.insertGroups(e.a.ID, e.newGroup("temp", nil))
}
