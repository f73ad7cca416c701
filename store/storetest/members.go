package storetest

import (
	"fmt"
	"sort"
	"time"

	"github.com/scimd/scimd/store"
)

var memberCases = []testCase{
	{"members/add_twice_counts_once", testMembersAdd},
	{"members/add_many", testMembersAddMany},
	{"members/remove", testMembersRemove},
	{"members/remove_all", testMembersRemoveAll},
	{"members/display", testMembersDisplay},
	{"members/groups_of_users", testGroupsOfUsers},
	{"members/delete_user_removes_memberships", testMembersDeleteUser},
	{"members/delete_group_removes_memberships", testMembersDeleteGroup},
	{"members/existing_ids", testExistingIDs},
	{"members/touch_groups", testTouchGroups},
}

// memberIDs flattens Members to group → sorted member ids.
func memberIDs(ms map[string][]store.Member) map[string][]string {
	out := map[string][]string{}
	for g, list := range ms {
		for _, m := range list {
			out[g] = append(out[g], m.Value)
		}
		sort.Strings(out[g])
	}
	return out
}

func (e *env) members(groupIDs ...string) map[string][]string {
	e.t.Helper()
	ms, err := e.s.Members(e.ctx, e.a.ID, groupIDs)
	e.noErr("Members", err)
	return memberIDs(ms)
}

func sorted(vs ...string) []string {
	out := append([]string{}, vs...)
	sort.Strings(out)
	return out
}

// team inserts two users and a group in tenant a.
func (e *env) team() (u1, u2 *store.User, g *store.Group) {
	u1 = e.newUser("mia", map[string]any{"displayName": "Mia Wong"})
	u2 = e.newUser("noah", nil)
	g = e.newGroup("Team", nil)
	e.insertUsers(e.a.ID, u1, u2)
	e.insertGroups(e.a.ID, g)
	return u1, u2, g
}

func userMember(g *store.Group, u *store.User) store.Member {
	return store.Member{GroupID: g.ID, Value: u.ID, Type: store.MemberUser}
}

func testMembersAdd(e *env) {
	u1, u2, g := e.team()
	eq(e, "first add", e.addMembers(e.a.ID, userMember(g, u1)), 1)
	eq(e, "add again plus one new", e.addMembers(e.a.ID, userMember(g, u1), userMember(g, u2)), 1)
	eq(e, "add twice in one call", e.addMembers(e.a.ID, userMember(g, u2), userMember(g, u2)), 0)
	eq(e, "Members", e.members(g.ID), map[string][]string{g.ID: sorted(u1.ID, u2.ID)})
	eq(e, "AddMembers does not bump the group", e.getGroup(g.ID).Version, int64(1))
	eq(e, "no rows for no groups", e.members(), map[string][]string{})
}

// testMembersAddMany adds more rows than the stores write one by one.
func testMembersAddMany(e *env) {
	g := e.newGroup("Big", nil)
	e.insertGroups(e.a.ID, g)
	users := make([]*store.User, 301)
	rows := make([]store.Member, len(users))
	for i := range users {
		users[i] = e.newUser(fmt.Sprintf("member-%d", i), nil)
		rows[i] = userMember(g, users[i])
	}
	e.insertUsers(e.a.ID, users...)
	eq(e, "new rows", e.addMembers(e.a.ID, rows[:300]...), 300)
	eq(e, "existing rows plus one new", e.addMembers(e.a.ID, rows...), 1)
	dup := append(append([]store.Member{}, rows[:250]...), rows[:250]...)
	e.tx(e.a.ID, func(tx store.Tx) { e.noErr("RemoveAllMembers", tx.RemoveAllMembers(e.ctx, g.ID)) })
	eq(e, "rows given twice count once", e.addMembers(e.a.ID, dup...), 250)
	eq(e, "member count", len(e.members(g.ID)[g.ID]), 250)
	e.tx(e.a.ID, func(tx store.Tx) {
		n, err := tx.RemoveMembers(e.ctx, rows)
		e.noErr("RemoveMembers", err)
		eq(e, "removed", n, 250)
	})
}

func testMembersRemove(e *env) {
	u1, u2, g := e.team()
	e.addMembers(e.a.ID, userMember(g, u1), userMember(g, u2))
	e.tx(e.a.ID, func(tx store.Tx) {
		n, err := tx.RemoveMembers(e.ctx, []store.Member{
			{GroupID: g.ID, Value: u1.ID}, // Type is ignored
			{GroupID: g.ID, Value: newID()},
		})
		e.noErr("RemoveMembers", err)
		eq(e, "removed", n, 1)
		n, err = tx.RemoveMembers(e.ctx, []store.Member{{GroupID: g.ID, Value: u1.ID}})
		e.noErr("RemoveMembers again", err)
		eq(e, "removed again", n, 0)
	})
	eq(e, "Members", e.members(g.ID), map[string][]string{g.ID: {u2.ID}})
	e.getUser(u1.ID) // the user itself stays
}

func testMembersRemoveAll(e *env) {
	u1, u2, g := e.team()
	other := e.newGroup("Other", nil)
	e.insertGroups(e.a.ID, other)
	e.addMembers(e.a.ID, userMember(g, u1), userMember(g, u2), userMember(other, u1))
	e.tx(e.a.ID, func(tx store.Tx) {
		e.noErr("RemoveAllMembers", tx.RemoveAllMembers(e.ctx, g.ID))
		e.noErr("RemoveAllMembers(unknown)", tx.RemoveAllMembers(e.ctx, newID()))
	})
	eq(e, "Members", e.members(g.ID, other.ID), map[string][]string{other.ID: {u1.ID}})
}

func testMembersDisplay(e *env) {
	u1, u2, g := e.team()
	sub := e.newGroup("Sub Team", nil)
	e.insertGroups(e.a.ID, sub)
	e.addMembers(e.a.ID, userMember(g, u1), userMember(g, u2),
		store.Member{GroupID: g.ID, Value: sub.ID, Type: store.MemberGroup},
		userMember(sub, u2))
	ms, err := e.s.Members(e.ctx, e.a.ID, []string{g.ID, sub.ID, newID()})
	e.noErr("Members", err)
	got := map[string]map[string]store.Member{}
	for gid, list := range ms {
		got[gid] = map[string]store.Member{}
		for _, m := range list {
			got[gid][m.Value] = m
		}
	}
	eq(e, "Members", got, map[string]map[string]store.Member{
		g.ID: {
			u1.ID:  {GroupID: g.ID, Value: u1.ID, Type: store.MemberUser, Display: "Mia Wong"},
			u2.ID:  {GroupID: g.ID, Value: u2.ID, Type: store.MemberUser, Display: "noah"},
			sub.ID: {GroupID: g.ID, Value: sub.ID, Type: store.MemberGroup, Display: "Sub Team"},
		},
		sub.ID: {u2.ID: {GroupID: sub.ID, Value: u2.ID, Type: store.MemberUser, Display: "noah"}},
	})
}

func testGroupsOfUsers(e *env) {
	u1, u2, g := e.team()
	g2 := e.newGroup("Second", nil)
	e.insertGroups(e.a.ID, g2)
	loner := e.newUser("loner", nil)
	e.insertUsers(e.a.ID, loner)
	e.addMembers(e.a.ID, userMember(g, u1), userMember(g2, u1), userMember(g, u2),
		store.Member{GroupID: g2.ID, Value: g.ID, Type: store.MemberGroup})
	refs, err := e.s.GroupsOfUsers(e.ctx, e.a.ID, []string{u1.ID, u2.ID, loner.ID})
	e.noErr("GroupsOfUsers", err)
	got := map[string]map[string]store.GroupRef{}
	for uid, list := range refs {
		got[uid] = map[string]store.GroupRef{}
		for _, r := range list {
			got[uid][r.GroupID] = r
		}
	}
	eq(e, "GroupsOfUsers (direct only)", got, map[string]map[string]store.GroupRef{
		u1.ID: {
			g.ID:  {UserID: u1.ID, GroupID: g.ID, Display: "Team"},
			g2.ID: {UserID: u1.ID, GroupID: g2.ID, Display: "Second"},
		},
		u2.ID: {g.ID: {UserID: u2.ID, GroupID: g.ID, Display: "Team"}},
	})
}

func testMembersDeleteUser(e *env) {
	u1, u2, g := e.team()
	untouched := e.newGroup("Untouched", nil)
	e.insertGroups(e.a.ID, untouched)
	e.addMembers(e.a.ID, userMember(g, u1), userMember(g, u2), userMember(untouched, u2))
	before := e.getGroup(g.ID)
	time.Sleep(2 * time.Millisecond)
	e.tx(e.a.ID, func(tx store.Tx) {
		e.noErr("DeleteUsers", tx.DeleteUsers(e.ctx, []string{u1.ID}))
	})
	eq(e, "Members after delete", e.members(g.ID, untouched.ID),
		map[string][]string{g.ID: {u2.ID}, untouched.ID: {u2.ID}})
	after := e.getGroup(g.ID)
	eq(e, "group version bumped", after.Version, before.Version+1)
	if !after.Modified.After(before.Modified) {
		e.t.Errorf("group Modified %v not after %v", after.Modified, before.Modified)
	}
	eq(e, "unrelated group not bumped", e.getGroup(untouched.ID).Version, int64(1))
	refs, err := e.s.GroupsOfUsers(e.ctx, e.a.ID, []string{u1.ID})
	e.noErr("GroupsOfUsers", err)
	eq(e, "GroupsOfUsers of a deleted user", len(refs), 0)
}

func testMembersDeleteGroup(e *env) {
	u1, _, g := e.team()
	parent := e.newGroup("Parent", nil)
	e.insertGroups(e.a.ID, parent)
	e.addMembers(e.a.ID, userMember(g, u1), userMember(parent, u1),
		store.Member{GroupID: parent.ID, Value: g.ID, Type: store.MemberGroup})
	e.tx(e.a.ID, func(tx store.Tx) {
		e.noErr("DeleteGroups", tx.DeleteGroups(e.ctx, []string{g.ID}))
	})
	eq(e, "Members after delete", e.members(g.ID, parent.ID), map[string][]string{parent.ID: {u1.ID}})
	eq(e, "parent version bumped", e.getGroup(parent.ID).Version, int64(2))
	refs, err := e.s.GroupsOfUsers(e.ctx, e.a.ID, []string{u1.ID})
	e.noErr("GroupsOfUsers", err)
	eq(e, "user's groups", len(refs[u1.ID]), 1)
	// Deleting a group together with its container bumps nothing deleted.
	e.tx(e.a.ID, func(tx store.Tx) {
		e.noErr("DeleteGroups", tx.DeleteGroups(e.ctx, []string{parent.ID}))
	})
	eq(e, "no members left", e.members(parent.ID), map[string][]string{})
}

func testExistingIDs(e *env) {
	u1, _, g := e.team()
	unknown := newID()
	e.read(e.a.ID, func(tx store.Tx) {
		us, gs, err := tx.ExistingIDs(e.ctx, []string{u1.ID, g.ID, unknown, u1.ID})
		e.noErr("ExistingIDs", err)
		eq(e, "users", us, map[string]bool{u1.ID: true})
		eq(e, "groups", gs, map[string]bool{g.ID: true})
		us, gs, err = tx.ExistingIDs(e.ctx, nil)
		e.noErr("ExistingIDs(nil)", err)
		eq(e, "none", len(us)+len(gs), 0)
	})
}

func testTouchGroups(e *env) {
	_, _, g := e.team()
	other := e.newGroup("Other", nil)
	e.insertGroups(e.a.ID, other)
	time.Sleep(2 * time.Millisecond)
	e.tx(e.a.ID, func(tx store.Tx) {
		e.noErr("TouchGroups", tx.TouchGroups(e.ctx, []string{g.ID, g.ID, newID()}))
	})
	got := e.getGroup(g.ID)
	eq(e, "touched version", got.Version, int64(2))
	if !got.Modified.After(g.Modified) {
		e.t.Errorf("touched Modified %v not after %v", got.Modified, g.Modified)
	}
	e.sameTime("Created unchanged", got.Created, g.Created)
	eq(e, "other untouched", e.getGroup(other.ID).Version, int64(1))
	e.tx(e.a.ID, func(tx store.Tx) {
		e.noErr("TouchGroups(nil)", tx.TouchGroups(e.ctx, nil))
	})
}
