package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/store"
)

var cursorCases = []testCase{
	{"cursor/keyset_equals_offset", testCursorEqualsOffset},
	{"cursor/groups", testCursorGroups},
	{"cursor/page_edges", testCursorPageEdges},
	{"cursor/concurrent_writes", testCursorConcurrentWrites},
	{"cursor/tenant_isolation", testCursorIsolation},
	{"cursor/secret", testCursorSecret},
}

// cursorSorts are the orders a keyset walk must reproduce: the default,
// indexed NOT NULL and nullable columns, JSON strings with ties and
// absent values, booleans, timestamps with ties, a multi-valued attribute
// and a constant.
var cursorSorts = []string{"", "id", "userName", "displayName", "externalId", "title", "name.familyName",
	"active", "emails", "meta.created", "meta.lastModified", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
	"meta.resourceType"}

// seedSortable inserts 23 users in tenant a whose attributes tie, differ
// only in case, or are absent, so that every order has NULLs and ties.
func (e *env) seedSortable() {
	titles := []any{"Engineer", "engineer", nil, "Manager", "", "Zebra", "ENGINEER"}
	var users []*store.User
	for i := range 23 {
		attrs := map[string]any{
			"name": map[string]any{"givenName": "G", "familyName": []string{"Smith", "smith", "Jones", "Ålvik"}[i%4]},
		}
		if t := titles[i%len(titles)]; t != nil {
			attrs["title"] = t
		}
		if i%3 != 0 {
			attrs["displayName"] = fmt.Sprintf("Display %d", i%5)
			attrs["externalId"] = fmt.Sprintf("ext-%d", i%4)
		}
		if i%4 != 0 {
			attrs["active"] = i%2 == 0
		}
		if i%5 != 0 {
			attrs["emails"] = emails(fmt.Sprintf("m%d@example.com", (i*7)%11))
		}
		if i%2 == 0 {
			attrs["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{"department": []string{"R&D", "Sales"}[i%4/2]}
		}
		users = append(users, e.newUser(fmt.Sprintf("User-%02d", (i*9)%23), attrs))
	}
	// Two chunks: created/lastModified tie within a chunk on fast clocks.
	e.insertUsers(e.a.ID, users[:12]...)
	e.insertUsers(e.a.ID, users[12:]...)
}

// walkUsers pages through q with keyset pages of size n and returns the
// ids in order. It checks the page contract on the way.
func (e *env) walkUsers(tenant int64, q store.Query, n int) []string {
	e.t.Helper()
	var out []string
	q.Count = n
	for pages := 0; ; pages++ {
		if pages > 1000 {
			e.t.Fatalf("walk %+v: no end after %d pages", q, pages)
		}
		us, page, err := e.s.ListUsersPage(e.ctx, tenant, q)
		e.noErr(fmt.Sprintf("ListUsersPage(%+v)", q), err)
		if len(us) > n {
			e.t.Fatalf("page of %d users, count %d", len(us), n)
		}
		for _, u := range us {
			out = append(out, u.ID)
		}
		if len(us) == 0 {
			if page.Last != nil || page.More {
				e.t.Errorf("empty page: Last %+v More %v", page.Last, page.More)
			}
			return out
		}
		if page.Last == nil || page.Last.ID != us[len(us)-1].ID {
			e.t.Fatalf("page Last %+v, want the last user %s", page.Last, us[len(us)-1].ID)
		}
		if !page.More {
			return out
		}
		if len(us) < n {
			e.t.Errorf("short page (%d of %d) claims More", len(us), n)
		}
		q.After = page.Last
	}
}

func testCursorEqualsOffset(e *env) {
	e.seedSortable()
	f, err := filter.ParseFilter([]byte(`title pr or active eq true`))
	e.noErr("ParseFilter", err)
	for _, sortBy := range cursorSorts {
		for _, desc := range []bool{false, true} {
			for _, fl := range []filter.Expression{nil, f} {
				q := store.Query{SortBy: sortBy, Descending: desc, Filter: fl}
				name := fmt.Sprintf("sortBy %q descending %v filter %v", sortBy, desc, fl != nil)
				q.Count = -1
				all, total, err := e.s.ListUsers(e.ctx, e.a.ID, q)
				e.noErr("ListUsers "+name, err)
				want := ids(all, userID)
				if fl == nil && total != 23 {
					e.t.Fatalf("%s: total %d", name, total)
				}
				for _, n := range []int{1, 4, 7, 23, 100} {
					got := e.walkUsers(e.a.ID, q, n)
					eq(e, fmt.Sprintf("%s: keyset walk (count %d) = offset order", name, n), got, want)
				}
			}
		}
	}
	// Page metadata.
	_, page, err := e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{SortBy: "title", Filter: f, Count: 3})
	e.noErr("ListUsersPage", err)
	_, total, _ := e.s.ListUsers(e.ctx, e.a.ID, store.Query{Filter: f, Count: 0})
	eq(e, "Page.Total is the filter's total", page.Total, total)
}

func testCursorGroups(e *env) {
	var gs []*store.Group
	for i := range 11 {
		attrs := map[string]any{}
		if i%3 != 0 {
			attrs["externalId"] = fmt.Sprintf("gx-%d", i%2)
		}
		gs = append(gs, e.newGroup(fmt.Sprintf("Group %02d", (i*5)%11), attrs))
	}
	e.insertGroups(e.a.ID, gs...)
	for _, sortBy := range []string{"", "displayName", "externalId", "meta.created"} {
		for _, desc := range []bool{false, true} {
			q := store.Query{SortBy: sortBy, Descending: desc, Count: -1}
			all, _, err := e.s.ListGroups(e.ctx, e.a.ID, q)
			e.noErr("ListGroups", err)
			var got []string
			q.Count = 3
			for {
				page, pg, err := e.s.ListGroupsPage(e.ctx, e.a.ID, q)
				e.noErr("ListGroupsPage", err)
				got = append(got, ids(page, groupID)...)
				if !pg.More {
					break
				}
				q.After = pg.Last
			}
			eq(e, fmt.Sprintf("groups sortBy %q descending %v", sortBy, desc), got, ids(all, groupID))
		}
	}
}

func testCursorPageEdges(e *env) {
	all := e.seedUsers(10)
	// Count 0: no users, the total, and whether any follow.
	us, page, err := e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{Count: 0})
	e.noErr("count 0", err)
	eq(e, "count 0: users", len(us), 0)
	eq(e, "count 0: page", page, store.Page{Total: 10, More: true})
	_, page, err = e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{Count: 0, After: &store.Position{ID: all[9]}})
	e.noErr("count 0 at the end", err)
	eq(e, "count 0 at the end: page", page, store.Page{Total: 10})
	// A page that ends exactly at the end has no More.
	us, page, err = e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{Count: 5, After: &store.Position{ID: all[4]}})
	e.noErr("last full page", err)
	eq(e, "last full page: users", ids(us, userID), all[5:])
	eq(e, "last full page: More", page.More, false)
	// Negative count: everything after the position.
	us, page, err = e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{Count: -1, After: &store.Position{ID: all[2]}})
	e.noErr("no limit", err)
	eq(e, "no limit: users", ids(us, userID), all[3:])
	eq(e, "no limit: More", page.More, false)
	// The position need not exist any more (the last user was deleted).
	us, _, err = e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{Count: 2, After: &store.Position{ID: all[3] + "0"}})
	e.noErr("deleted position", err)
	eq(e, "deleted position: users", ids(us, userID), all[4:6])
	// ListUsers and ScanUsers honour After too.
	got, total, err := e.s.ListUsers(e.ctx, e.a.ID, store.Query{Count: 3, After: &store.Position{ID: all[1]}})
	e.noErr("ListUsers After", err)
	eq(e, "ListUsers After", ids(got, userID), all[2:5])
	eq(e, "ListUsers After: total", total, 10)
	// A short last page still reports the filter's total, not what
	// follows the position.
	got, total, err = e.s.ListUsers(e.ctx, e.a.ID, store.Query{Count: 5, After: &store.Position{ID: all[7]}})
	e.noErr("ListUsers After, short page", err)
	eq(e, "ListUsers After, short page", []any{ids(got, userID), total}, []any{all[8:], 10})
	us, page, err = e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{Count: 5, After: &store.Position{ID: all[7]}})
	e.noErr("ListUsersPage, short page", err)
	eq(e, "ListUsersPage, short page", []any{ids(us, userID), page.Total, page.More}, []any{all[8:], 10, false})
	// A first page holding every match.
	_, page, err = e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{Count: 50})
	e.noErr("ListUsersPage, one page", err)
	eq(e, "ListUsersPage, one page", []any{page.Total, page.More, page.Last.ID}, []any{10, false, all[9]})
	var scanned []string
	e.noErr("ScanUsers After", e.s.ScanUsers(e.ctx, e.a.ID, store.Query{Count: -1, Descending: true, After: &store.Position{ID: all[3]}},
		func(u *store.User) error { scanned = append(scanned, u.ID); return nil }))
	eq(e, "ScanUsers After descending", scanned, []string{all[2], all[1], all[0]})
	// After and Offset do not combine; a bad sortBy is reported.
	_, _, err = e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{Count: 2, Offset: 3, After: &store.Position{ID: all[1]}})
	if err == nil {
		e.t.Error("After with Offset: no error")
	}
	_, _, err = e.s.ListUsersPage(e.ctx, e.a.ID, store.Query{Count: 2, SortBy: "noSuchAttribute"})
	e.wantErr("unknown sortBy", err, store.ErrInvalidQuery)
	_, _, err = e.s.ListUsersPage(e.ctx, e.b.ID, store.Query{Count: 2, SortBy: "noSuchAttribute"})
	e.wantErr("unknown sortBy on an empty tenant", err, store.ErrInvalidQuery)
}

// testCursorConcurrentWrites changes the tenant between the pages of a
// walk by userName: users that exist throughout come exactly once, users
// created behind the position are not seen, users created ahead of it are.
func testCursorConcurrentWrites(e *env) {
	var seed []*store.User
	for i := range 40 {
		seed = append(seed, e.newUser(fmt.Sprintf("m%02d", i), nil)) // m00 … m39
	}
	e.insertUsers(e.a.ID, seed...)
	deleted := seed[30].ID // ahead of the walk when it is deleted
	seen := map[string]int{}
	var names []string
	q := store.Query{SortBy: "userName", Count: 6}
	for step := 0; ; step++ {
		us, page, err := e.s.ListUsersPage(e.ctx, e.a.ID, q)
		e.noErr("ListUsersPage", err)
		for _, u := range us {
			seen[u.ID]++
			names = append(names, strings.ToLower(u.UserName))
		}
		if !page.More {
			break
		}
		q.After = page.Last
		// Behind the position (a…), ahead of it (z…), and one delete.
		e.insertUsers(e.a.ID, e.newUser(fmt.Sprintf("a-%d", step), nil), e.newUser(fmt.Sprintf("z-%d", step), nil))
		if step == 1 {
			e.tx(e.a.ID, func(tx store.Tx) { e.noErr("DeleteUsers", tx.DeleteUsers(e.ctx, []string{deleted})) })
		}
	}
	for _, u := range seed {
		want := 1
		if u.ID == deleted {
			want = 0
		}
		if seen[u.ID] != want {
			e.t.Errorf("user %s seen %d times, want %d", u.UserName, seen[u.ID], want)
		}
	}
	for id, n := range seen {
		if n != 1 {
			e.t.Errorf("user %s seen %d times", id, n)
		}
	}
	if !slices.IsSorted(names) {
		e.t.Errorf("walk is not in userName order: %v", names)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "a-") {
			e.t.Errorf("user %s created behind the walk's position was returned", n)
		}
	}
	if z := slices.IndexFunc(names, func(n string) bool { return strings.HasPrefix(n, "z-") }); z < 0 {
		e.t.Errorf("no user created ahead of the walk's position was returned: %v", names)
	}
}

func testCursorIsolation(e *env) {
	a := e.seedUsers(6)
	b := e.newUser("b-user", nil)
	e.insertUsers(e.b.ID, b)
	// Tenant a's positions mean nothing to tenant b: its walk only ever
	// returns its own users, from any starting point.
	for _, after := range []*store.Position{nil, {ID: a[0]}, {ID: a[5]}, {Key: "user-001", ID: a[2]}} {
		for _, sortBy := range []string{"", "userName"} {
			us, page, err := e.s.ListUsersPage(e.ctx, e.b.ID, store.Query{SortBy: sortBy, After: after, Count: 10})
			e.noErr("ListUsersPage(b)", err)
			for _, u := range us {
				if u.ID != b.ID {
					e.t.Errorf("tenant b's walk (after %+v) returned tenant a's user %s", after, u.ID)
				}
			}
			eq(e, "tenant b's total", page.Total, 1)
		}
	}
	// Tenant a's walk does not see tenant b's user.
	got := e.walkUsers(e.a.ID, store.Query{}, 4)
	eq(e, "tenant a's walk", got, a)
}

func testCursorSecret(e *env) {
	s1, err := e.s.Secret(e.ctx, "cursor-hmac")
	e.noErr("Secret", err)
	if len(s1) < 32 || bytes.Count(s1, []byte{0}) == len(s1) {
		e.t.Fatalf("secret %x: want 32 random bytes", s1)
	}
	s2, err := e.s.Secret(e.ctx, "cursor-hmac")
	e.noErr("Secret again", err)
	eq(e, "the same secret on every call", s2, s1)
	other, err := e.s.Secret(e.ctx, "other")
	e.noErr("Secret(other)", err)
	if bytes.Equal(other, s1) {
		e.t.Error("two secrets share a value")
	}
}
