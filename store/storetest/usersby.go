package storetest

import (
	"sort"
	"strconv"

	"github.com/scimd/scimd/store"
)

var usersByCases = []testCase{
	{"usersby/each_key", testUsersByEachKey},
	{"usersby/email_index_follows_updates", testUsersByEmailUpdates},
	{"usersby/shared_email", testUsersBySharedEmail},
	{"usersby/many_values", testUsersByMany},
}

// byIDs flattens a UsersBy result to value → sorted user ids.
func byIDs(got map[string][]*store.User) map[string][]string {
	out := map[string][]string{}
	for v, us := range got {
		for _, u := range us {
			out[v] = append(out[v], u.ID)
		}
		sort.Strings(out[v])
	}
	return out
}

func testUsersByEachKey(e *env) {
	u := e.newUser("Ivan.Petrov", map[string]any{
		"externalId": "EXT-1",
		"emails":     emails("Ivan@Example.com", "ivan.p@example.org"),
		sapURN:       sap("AAAA-bbbb"),
	})
	v := e.newUser("vera", map[string]any{"externalId": "ext-1", "emails": emails("vera@example.com")})
	e.insertUsers(e.a.ID, u, v)
	for _, c := range []struct {
		name   string
		key    store.UserKey
		values []string
		want   map[string][]string
	}{
		{"ByID", store.ByID, []string{u.ID, v.ID, newID()},
			map[string][]string{u.ID: {u.ID}, v.ID: {v.ID}}},
		{"ByID is case-sensitive", store.ByID, []string{upper(u.ID)}, map[string][]string{}},
		{"ByUserName (case-insensitive)", store.ByUserName, []string{"ivan.petrov", "IVAN.PETROV", "VERA", "nobody"},
			map[string][]string{"ivan.petrov": {u.ID}, "IVAN.PETROV": {u.ID}, "VERA": {v.ID}}},
		{"ByExternalID (case-sensitive)", store.ByExternalID, []string{"EXT-1", "ext-1", "Ext-1"},
			map[string][]string{"EXT-1": {u.ID}, "ext-1": {v.ID}}},
		{"ByEmail (case-insensitive, any value)", store.ByEmail,
			[]string{"IVAN@example.COM", "ivan.p@example.org", "vera@EXAMPLE.com", "x@example.com"},
			map[string][]string{"IVAN@example.COM": {u.ID}, "ivan.p@example.org": {u.ID}, "vera@EXAMPLE.com": {v.ID}}},
		{"ByUserUUID (case-insensitive)", store.ByUserUUID, []string{"aaaa-BBBB", "cccc"},
			map[string][]string{"aaaa-BBBB": {u.ID}}},
		{"no values", store.ByUserName, nil, map[string][]string{}},
	} {
		e.read(e.a.ID, func(tx store.Tx) {
			got, err := tx.UsersBy(e.ctx, c.key, c.values)
			e.noErr("UsersBy "+c.name, err)
			eq(e, "UsersBy "+c.name, byIDs(got), c.want)
			for _, list := range got {
				for _, r := range list {
					if r.ID == u.ID {
						e.sameUser("UsersBy "+c.name, *r, u)
					}
				}
			}
		})
	}
	// A user matched by several values is one record.
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, []string{"ivan@example.com", "ivan.p@example.org"})
		e.noErr("UsersBy", err)
		if len(got) != 2 || len(got["ivan@example.com"]) != 1 || len(got["ivan.p@example.org"]) != 1 {
			e.t.Fatalf("UsersBy(ByEmail) = %v", byIDs(got))
		}
	})
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func testUsersByEmailUpdates(e *env) {
	u := e.newUser("jane", map[string]any{"emails": emails("old@example.com", "keep@example.com")})
	e.insertUsers(e.a.ID, u)
	e.tx(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByID, []string{u.ID})
		e.noErr("UsersBy", err)
		r := got[u.ID][0]
		e.setAttrs(r, map[string]any{"userName": "jane", "emails": emails("KEEP@example.com", "New@Example.com")})
		e.noErr("UpdateUsers", tx.UpdateUsers(e.ctx, []*store.User{r}))
		// Visible inside the same transaction.
		got, err = tx.UsersBy(e.ctx, store.ByEmail, []string{"new@example.com", "old@example.com"})
		e.noErr("UsersBy in tx", err)
		eq(e, "ByEmail inside the transaction", byIDs(got), map[string][]string{"new@example.com": {u.ID}})
		// A second update in the same transaction diffs against the first.
		e.setAttrs(r, map[string]any{"userName": "jane", "emails": emails("third@example.com")})
		e.noErr("UpdateUsers again", tx.UpdateUsers(e.ctx, []*store.User{r}))
	})
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail,
			[]string{"old@example.com", "keep@example.com", "new@example.com", "third@example.com"})
		e.noErr("UsersBy", err)
		eq(e, "ByEmail after updates", byIDs(got), map[string][]string{"third@example.com": {u.ID}})
	})
	// An update without a prior read in the transaction (the e-mails are
	// re-read from the store).
	cur := e.getUser(u.ID)
	e.setAttrs(&cur, map[string]any{"userName": "jane", "emails": emails("fourth@example.com")})
	e.tx(e.a.ID, func(tx store.Tx) {
		e.noErr("UpdateUsers", tx.UpdateUsers(e.ctx, []*store.User{&cur}))
	})
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, []string{"third@example.com", "fourth@example.com"})
		e.noErr("UsersBy", err)
		eq(e, "ByEmail after an update without read", byIDs(got), map[string][]string{"fourth@example.com": {u.ID}})
	})
}

func testUsersBySharedEmail(e *env) {
	k := e.newUser("kim", map[string]any{"emails": emails("team@example.com", "Team@example.com")})
	l := e.newUser("lee", map[string]any{"emails": emails("TEAM@example.com")})
	e.insertUsers(e.a.ID, k, l)
	want := []string{k.ID, l.ID}
	sort.Strings(want)
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, []string{"team@example.com"})
		e.noErr("UsersBy", err)
		eq(e, "shared e-mail", byIDs(got), map[string][]string{"team@example.com": want})
	})
	// Deleting one keeps the other's index rows.
	e.tx(e.a.ID, func(tx store.Tx) { e.noErr("DeleteUsers", tx.DeleteUsers(e.ctx, []string{k.ID})) })
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, []string{"team@example.com"})
		e.noErr("UsersBy", err)
		eq(e, "shared e-mail after delete", byIDs(got), map[string][]string{"team@example.com": {l.ID}})
	})
}

// testUsersByMany crosses the store's IN-list chunking.
func testUsersByMany(e *env) {
	const n = 2100
	users := make([]*store.User, n)
	names := make([]string, n)
	for i := range users {
		names[i] = "bulk-" + strconv.Itoa(i)
		users[i] = e.newUser(names[i], nil)
	}
	e.insertUsers(e.a.ID, users...)
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByUserName, names)
		e.noErr("UsersBy", err)
		eq(e, "UsersBy of 2100 names", len(got), n)
		ids := make([]string, n)
		for i, u := range users {
			ids[i] = u.ID
		}
		byID, err := tx.UsersBy(e.ctx, store.ByID, ids)
		e.noErr("UsersBy", err)
		eq(e, "UsersBy of 2100 ids", len(byID), n)
		us, gs, err := tx.ExistingIDs(e.ctx, ids)
		e.noErr("ExistingIDs", err)
		eq(e, "ExistingIDs of 2100 users", []int{len(us), len(gs)}, []int{n, 0})
	})
}
