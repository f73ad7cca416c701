package storetest

import (
	"time"

	"github.com/scimd/scimd/store"
)

var tenantCases = []testCase{
	{"tenants/create_get", testTenantCreateGet},
	{"tenants/name_unique", testTenantNameUnique},
	{"tenants/list", testTenantList},
	{"tenants/not_found", testTenantNotFound},
	{"tenants/delete_removes_everything", testTenantDelete},
	{"tenants/settings", testTenantSettings},
}

func testTenantSettings(e *env) {
	got, err := e.s.GetTenant(e.ctx, "a")
	e.noErr("GetTenant(a)", err)
	eq(e, "settings of a new tenant", got.Settings, store.TenantSettings{})
	want := store.TenantSettings{MaxGroupsPerUser: 7, MaxGroupsPerFile: 70}
	e.noErr("SetTenantSettings(a)", e.s.SetTenantSettings(e.ctx, "a", want))
	got, err = e.s.GetTenantByID(e.ctx, e.a.ID)
	e.noErr("GetTenantByID(a)", err)
	eq(e, "settings after SetTenantSettings", got.Settings, want)
	ts, err := e.s.ListTenants(e.ctx)
	e.noErr("ListTenants", err)
	eq(e, "ListTenants settings of a", ts[0].Settings, want)
	b, err := e.s.GetTenant(e.ctx, "b")
	e.noErr("GetTenant(b)", err)
	eq(e, "tenant b's settings untouched", b.Settings, store.TenantSettings{})
	e.wantErr("SetTenantSettings(nope)", e.s.SetTenantSettings(e.ctx, "nope", want), store.ErrNotFound)
}

func testTenantCreateGet(e *env) {
	before := time.Now().Add(-time.Minute)
	c, err := e.s.CreateTenant(e.ctx, "Contoso")
	e.noErr("CreateTenant", err)
	if c.ID == 0 || c.ID == e.a.ID || c.ID == e.b.ID {
		e.t.Errorf("new tenant id %d (a=%d, b=%d)", c.ID, e.a.ID, e.b.ID)
	}
	if c.Name != "Contoso" || c.CreatedAt.Before(before) {
		e.t.Errorf("created tenant %+v", c)
	}
	got, err := e.s.GetTenant(e.ctx, "Contoso")
	e.noErr("GetTenant", err)
	eq(e, "GetTenant", got.ID, c.ID)
	e.sameTime("GetTenant CreatedAt", got.CreatedAt, c.CreatedAt)
	byID, err := e.s.GetTenantByID(e.ctx, c.ID)
	e.noErr("GetTenantByID", err)
	eq(e, "GetTenantByID name", byID.Name, "Contoso")
	a, err := e.s.GetTenant(e.ctx, "a")
	e.noErr("GetTenant(a)", err)
	eq(e, "tenant a unchanged", a.ID, e.a.ID)
}

func testTenantNameUnique(e *env) {
	_, err := e.s.CreateTenant(e.ctx, "a")
	e.wantUniqueness("CreateTenant(a) again", err, "name", "a")
	ts, err := e.s.ListTenants(e.ctx)
	e.noErr("ListTenants", err)
	eq(e, "tenants after a failed create", len(ts), 2)
}

func testTenantList(e *env) {
	c, err := e.s.CreateTenant(e.ctx, "c")
	e.noErr("CreateTenant", err)
	ts, err := e.s.ListTenants(e.ctx)
	e.noErr("ListTenants", err)
	got := ids(ts, func(t store.Tenant) string { return t.Name })
	eq(e, "ListTenants names (creation order)", got, []string{"a", "b", "c"})
	eq(e, "ListTenants ids", []int64{ts[0].ID, ts[1].ID, ts[2].ID}, []int64{e.a.ID, e.b.ID, c.ID})
}

func testTenantNotFound(e *env) {
	_, err := e.s.GetTenant(e.ctx, "nope")
	e.wantErr("GetTenant(nope)", err, store.ErrNotFound)
	_, err = e.s.GetTenant(e.ctx, "A")
	e.wantErr("GetTenant is exact (A)", err, store.ErrNotFound)
	_, err = e.s.GetTenantByID(e.ctx, e.b.ID+1000)
	e.wantErr("GetTenantByID(unknown)", err, store.ErrNotFound)
	e.wantErr("DeleteTenant(nope)", e.s.DeleteTenant(e.ctx, "nope"), store.ErrNotFound)
}

// testTenantDelete fills both tenants, deletes b and checks that b's rows
// are gone and a's are intact.
func testTenantDelete(e *env) {
	fill := func(tenant int64, tag string) (store.User, store.Group, store.Token) {
		u := e.newUser("user-"+tag, map[string]any{"emails": emails(tag + "@example.com")})
		g := e.newGroup("group-"+tag, nil)
		e.insertUsers(tenant, u)
		e.insertGroups(tenant, g)
		e.addMembers(tenant, store.Member{GroupID: g.ID, Value: u.ID, Type: store.MemberUser})
		tk := store.Token{ID: newID(), TenantID: tenant, Hash: "hash-" + tag, Scopes: []string{"scim:read"}}
		e.noErr("CreateToken", e.s.CreateToken(e.ctx, tk))
		j := newJob(tenant)
		e.createJob(j, randomBytes(1<<20+1, 6))
		e.appendReport(tenant, j.ID, reportLines(1, 3, tag))
		return *u, *g, tk
	}
	fill(e.a.ID, "a")
	bu, bg, btk := fill(e.b.ID, "b")
	before := e.snapshot(e.a.ID)

	e.noErr("DeleteTenant(b)", e.s.DeleteTenant(e.ctx, "b"))
	_, err := e.s.GetTenant(e.ctx, "b")
	e.wantErr("GetTenant(b) after delete", err, store.ErrNotFound)
	_, err = e.s.GetTenantByID(e.ctx, e.b.ID)
	e.wantErr("GetTenantByID(b) after delete", err, store.ErrNotFound)
	_, err = e.s.LookupToken(e.ctx, btk.Hash)
	e.wantErr("LookupToken of a deleted tenant", err, store.ErrNotFound)
	_, err = e.s.GetUser(e.ctx, e.b.ID, bu.ID)
	e.wantErr("GetUser of a deleted tenant", err, store.ErrNotFound)
	_, err = e.s.GetGroup(e.ctx, e.b.ID, bg.ID)
	e.wantErr("GetGroup of a deleted tenant", err, store.ErrNotFound)
	gone := e.snapshot(e.b.ID)
	if len(gone.Users)+len(gone.Groups)+len(gone.Members)+len(gone.Tokens)+len(gone.ByEmail)+len(gone.Jobs) != 0 {
		e.t.Errorf("deleted tenant still owns rows: %+v", gone)
	}
	eq(e, "tenant a after deleting b", e.snapshot(e.a.ID), before)

	// The name is free again, and the new tenant starts empty.
	nb, err := e.s.CreateTenant(e.ctx, "b")
	e.noErr("CreateTenant(b) again", err)
	if nb.ID == e.b.ID {
		e.t.Errorf("re-created tenant reuses id %d", nb.ID)
	}
	e.b = nb
	fresh := e.snapshot(nb.ID)
	if len(fresh.Users)+len(fresh.Groups)+len(fresh.Tokens) != 0 {
		e.t.Errorf("re-created tenant is not empty: %+v", fresh)
	}
}
