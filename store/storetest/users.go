package storetest

import (
	"encoding/json"
	"time"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

var userCases = []testCase{
	{"users/insert_get", testUserInsertGet},
	{"users/insert_keeps_given_meta", testUserInsertGivenMeta},
	{"users/get_not_found", testUserGetNotFound},
	{"users/username_unique_case_insensitive", testUserNameUnique},
	{"users/useruuid_unique_case_insensitive", testUserUUIDUnique},
	{"users/update_version", testUserUpdate},
	{"users/update_wrong_version", testUserUpdateWrongVersion},
	{"users/update_uniqueness", testUserUpdateUniqueness},
	{"users/update_clears_optional", testUserUpdateClears},
	{"users/delete", testUserDelete},
}

// fullUser builds a user with every indexed attribute set.
func (e *env) fullUser(userName string) *store.User {
	active := true
	u := e.newUser(userName, map[string]any{
		"displayName": "Bjørn Ærø",
		"externalId":  "ext-" + userName,
		"active":      active,
		"name":        map[string]any{"givenName": "Bjørn", "familyName": "Ærø"},
		"emails":      emails(userName+"@Example.com", "Second."+userName+"@example.org"),
		sapURN:        sap("6C2A3E8C-1B2D-4E5F-8A9B-" + userName),
		schemas.EnterpriseURN: map[string]any{
			"employeeNumber": "4711",
			"manager":        map[string]any{"value": "boss"},
		},
		"x-number": json.Number("42.50"),
	})
	u.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
	return u
}

// sameUser compares a stored user with the one written.
func (e *env) sameUser(what string, got store.User, want *store.User) {
	e.t.Helper()
	eq(e, what+": ID", got.ID, want.ID)
	eq(e, what+": UserName", got.UserName, want.UserName)
	eq(e, what+": ExternalID", got.ExternalID, want.ExternalID)
	eq(e, what+": DisplayName", got.DisplayName, want.DisplayName)
	eq(e, what+": Active", got.Active, want.Active)
	eq(e, what+": UserUUID", got.UserUUID, want.UserUUID)
	if len(got.Emails) != 0 || len(want.Emails) != 0 {
		eq(e, what+": Emails", got.Emails, want.Emails)
	}
	eq(e, what+": PasswordHash", got.PasswordHash, want.PasswordHash)
	eq(e, what+": Version", got.Version, want.Version)
	e.sameTime(what+": Created", got.Created, want.Created)
	e.sameTime(what+": Modified", got.Modified, want.Modified)
	eq(e, what+": Attrs", e.attrMap(&got), e.attrMap(want))
}

func testUserInsertGet(e *env) {
	u := e.fullUser("bjorn")
	before := time.Now().Add(-time.Minute)
	e.insertUsers(e.a.ID, u)
	if u.Version != 1 || u.Created.IsZero() || !u.Modified.Equal(u.Created) || u.Created.Before(before) {
		e.t.Errorf("InsertUsers filled Version %d Created %v Modified %v", u.Version, u.Created, u.Modified)
	}
	got := e.getUser(u.ID)
	e.sameUser("GetUser", got, u)
	attrs := e.attrMap(&got)
	if attrs["x-number"] != json.Number("42.50") && attrs["x-number"] != json.Number("42.5") {
		e.t.Errorf("number attribute %#v", attrs["x-number"])
	}
	if _, ok := attrs["password"]; ok {
		e.t.Error("attrs contain password")
	}

	// Minimal user: optional columns absent.
	m := e.newUser("minimal", nil)
	e.insertUsers(e.a.ID, m)
	got = e.getUser(m.ID)
	e.sameUser("GetUser(minimal)", got, m)
	if got.Active != nil || got.Emails != nil && len(got.Emails) != 0 {
		e.t.Errorf("minimal user: Active %v Emails %v", got.Active, got.Emails)
	}
}

func testUserInsertGivenMeta(e *env) {
	u := e.newUser("imported", nil)
	u.Version = 7
	u.Created = time.Date(2020, 5, 6, 7, 8, 9, 123456000, time.UTC)
	u.Modified = time.Date(2021, 5, 6, 7, 8, 9, 0, time.UTC)
	e.insertUsers(e.a.ID, u)
	got := e.getUser(u.ID)
	eq(e, "Version kept", got.Version, int64(7))
	e.sameTime("Created kept", got.Created, u.Created)
	e.sameTime("Modified kept", got.Modified, u.Modified)
}

func testUserGetNotFound(e *env) {
	_, err := e.s.GetUser(e.ctx, e.a.ID, newID())
	e.wantErr("GetUser(unknown)", err, store.ErrNotFound)
	u := e.newUser("someone", nil)
	e.insertUsers(e.b.ID, u)
	_, err = e.s.GetUser(e.ctx, e.a.ID, u.ID)
	e.wantErr("GetUser of tenant b's user from tenant a", err, store.ErrNotFound)
}

func testUserNameUnique(e *env) {
	e.insertUsers(e.a.ID, e.newUser("Alice", nil))
	dup := e.newUser("aLICE", nil)
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.InsertUsers(e.ctx, []*store.User{dup})
		e.wantUniqueness("InsertUsers(aLICE)", store.ItemErrors(err)[0], "userName", "aLICE")
	})
	_, err := e.s.GetUser(e.ctx, e.a.ID, dup.ID)
	e.wantErr("the colliding user", err, store.ErrNotFound)
	// Another tenant has its own namespace.
	e.insertUsers(e.b.ID, e.newUser("alice", nil))
	// Unicode: Go lower-casing decides.
	e.insertUsers(e.a.ID, e.newUser("ÉMILE", nil))
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.InsertUsers(e.ctx, []*store.User{e.newUser("émile", nil)})
		e.wantUniqueness("InsertUsers(émile)", store.ItemErrors(err)[0], "userName", "émile")
	})
}

func testUserUUIDUnique(e *env) {
	attr := schemas.SAPUserURN + ":userUuid"
	e.insertUsers(e.a.ID, e.newUser("u1", map[string]any{sapURN: sap("ABC-def")}))
	dup := e.newUser("u2", map[string]any{sapURN: sap("abc-DEF")})
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.InsertUsers(e.ctx, []*store.User{dup})
		e.wantUniqueness("InsertUsers(same userUuid)", store.ItemErrors(err)[0], attr, "abc-DEF")
	})
	// Users without a userUuid do not collide with each other.
	e.insertUsers(e.a.ID, e.newUser("u3", nil), e.newUser("u4", nil))
	e.insertUsers(e.b.ID, e.newUser("u1", map[string]any{sapURN: sap("ABC-def")}))
}

func testUserUpdate(e *env) {
	u := e.fullUser("carol")
	e.insertUsers(e.a.ID, u)
	created := u.Created
	var read *store.User
	e.tx(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByID, []string{u.ID})
		e.noErr("UsersBy", err)
		if len(got[u.ID]) != 1 {
			e.t.Fatalf("UsersBy(ByID) = %v", got)
		}
		read = got[u.ID][0]
		e.sameUser("UsersBy", *read, u)
		attrs := e.attrMap(read)
		attrs["displayName"] = "Carol Danvers"
		attrs["active"] = false
		attrs["userName"] = "Carol.D"
		e.setAttrs(read, attrs)
		time.Sleep(2 * time.Millisecond)
		e.noErr("UpdateUsers", tx.UpdateUsers(e.ctx, []*store.User{read}))
	})
	if read.Version != 2 || !read.Modified.After(created) {
		e.t.Errorf("after update: Version %d Modified %v (created %v)", read.Version, read.Modified, created)
	}
	got := e.getUser(u.ID)
	e.sameUser("GetUser after update", got, read)
	e.sameTime("Created unchanged", got.Created, created)
	eq(e, "DisplayName", got.DisplayName, "Carol Danvers")
	// The old userName is free, the new one taken case-insensitively.
	e.insertUsers(e.a.ID, e.newUser("carol", nil))
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.InsertUsers(e.ctx, []*store.User{e.newUser("CAROL.d", nil)})
		e.wantUniqueness("InsertUsers(CAROL.d)", store.ItemErrors(err)[0], "userName", "CAROL.d")
	})
}

func testUserUpdateWrongVersion(e *env) {
	u := e.newUser("dave", nil)
	e.insertUsers(e.a.ID, u)
	stale := *u
	stale.Version = 5
	ghost := e.newUser("ghost", nil)
	ghost.Version = 1
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.UpdateUsers(e.ctx, []*store.User{&stale, ghost})
		e.wantItemErrs("UpdateUsers(stale, unknown)", err, map[int]error{
			0: store.ErrVersionMismatch, 1: store.ErrNotFound,
		})
	})
	eq(e, "stale struct Version untouched", stale.Version, int64(5))
	got := e.getUser(u.ID)
	eq(e, "stored Version", got.Version, int64(1))
	e.sameTime("stored Modified", got.Modified, u.Modified)
}

func testUserUpdateUniqueness(e *env) {
	x := e.newUser("x", map[string]any{sapURN: sap("uuid-x")})
	y := e.newUser("y", nil)
	z := e.newUser("z", nil)
	e.insertUsers(e.a.ID, x, y, z)
	e.tx(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByID, []string{y.ID, z.ID})
		e.noErr("UsersBy", err)
		ry, rz := got[y.ID][0], got[z.ID][0]
		e.setAttrs(ry, map[string]any{"userName": "X"})
		e.setAttrs(rz, map[string]any{"userName": "z2", sapURN: sap("UUID-X")})
		err = tx.UpdateUsers(e.ctx, []*store.User{ry, rz})
		errs := e.itemErrs("UpdateUsers", err)
		e.wantUniqueness("rename to a taken userName", errs[0], "userName", "X")
		e.wantUniqueness("take a used userUuid", errs[1], schemas.SAPUserURN+":userUuid", "UUID-X")
		// The transaction stays usable after the failures.
		e.setAttrs(ry, map[string]any{"userName": "y2"})
		e.noErr("UpdateUsers after failures", tx.UpdateUsers(e.ctx, []*store.User{ry}))
	})
	eq(e, "y renamed", e.getUser(y.ID).UserName, "y2")
	eq(e, "z unchanged", e.getUser(z.ID).UserName, "z")
	eq(e, "z version", e.getUser(z.ID).Version, int64(1))
}

func testUserUpdateClears(e *env) {
	u := e.fullUser("erin")
	e.insertUsers(e.a.ID, u)
	e.tx(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByID, []string{u.ID})
		e.noErr("UsersBy", err)
		r := got[u.ID][0]
		e.setAttrs(r, map[string]any{"userName": "erin"})
		r.PasswordHash = ""
		e.noErr("UpdateUsers", tx.UpdateUsers(e.ctx, []*store.User{r}))
	})
	got := e.getUser(u.ID)
	if got.ExternalID != "" || got.DisplayName != "" || got.Active != nil || got.UserUUID != "" ||
		len(got.Emails) != 0 || got.PasswordHash != "" {
		e.t.Errorf("cleared attributes still stored: %+v", got)
	}
	// The cleared userUuid and e-mails are free for others.
	e.insertUsers(e.a.ID, e.newUser("frank", map[string]any{
		sapURN: sap(u.UserUUID), "emails": emails(u.Emails...),
	}))
	e.read(e.a.ID, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, u.Emails[:1])
		e.noErr("UsersBy(ByEmail)", err)
		if l := got[u.Emails[0]]; len(l) != 1 || l[0].UserName != "frank" {
			e.t.Errorf("ByEmail after clearing: %v", l)
		}
	})
}

func testUserDelete(e *env) {
	u := e.fullUser("gina")
	keep := e.newUser("henry", nil)
	e.insertUsers(e.a.ID, u, keep)
	e.tx(e.a.ID, func(tx store.Tx) {
		e.noErr("DeleteUsers", tx.DeleteUsers(e.ctx, []string{u.ID}))
	})
	_, err := e.s.GetUser(e.ctx, e.a.ID, u.ID)
	e.wantErr("GetUser after delete", err, store.ErrNotFound)
	e.getUser(keep.ID)
	e.tx(e.a.ID, func(tx store.Tx) {
		err := tx.DeleteUsers(e.ctx, []string{keep.ID, u.ID})
		e.wantItemErrs("DeleteUsers(existing, deleted)", err, map[int]error{1: store.ErrNotFound})
	})
	_, err = e.s.GetUser(e.ctx, e.a.ID, keep.ID)
	e.wantErr("GetUser(henry) after delete", err, store.ErrNotFound)
	// Its identifiers are free again, e-mails no longer indexed.
	e.read(e.a.ID, func(tx store.Tx) {
		for key, v := range map[store.UserKey]string{
			store.ByUserName: "gina", store.ByEmail: u.Emails[0], store.ByUserUUID: u.UserUUID,
			store.ByExternalID: u.ExternalID,
		} {
			got, err := tx.UsersBy(e.ctx, key, []string{v})
			e.noErr("UsersBy", err)
			eq(e, "UsersBy a deleted user's key", len(got), 0)
		}
	})
	e.insertUsers(e.a.ID, e.fullUser("gina"))
}
