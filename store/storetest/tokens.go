package storetest

import (
	"time"

	"github.com/scimd/scimd/store"
)

var tokenCases = []testCase{
	{"tokens/create_lookup", testTokenCreateLookup},
	{"tokens/list_delete", testTokenListDelete},
	{"tokens/expiry", testTokenExpiry},
	{"tokens/unknown_tenant", testTokenUnknownTenant},
	{"tokens/id_unique_per_tenant", testTokenIDUnique},
}

func testTokenCreateLookup(e *env) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
	tk := store.Token{
		ID: newID(), TenantID: e.a.ID, Hash: "9f86d081884c7d659a2feaa0c55ad015",
		Scopes:      []string{"scim:read", "scim:write", "admin"},
		Description: "Entra provisioning", ClientID: "client-1", CreatedAt: created,
	}
	e.noErr("CreateToken", e.s.CreateToken(e.ctx, tk))
	got, err := e.s.LookupToken(e.ctx, tk.Hash)
	e.noErr("LookupToken", err)
	e.sameTime("CreatedAt", got.CreatedAt, created)
	got.CreatedAt = created
	eq(e, "LookupToken", got, tk)

	_, err = e.s.LookupToken(e.ctx, "unknown")
	e.wantErr("LookupToken(unknown)", err, store.ErrNotFound)
	// Another tenant can neither list nor delete it.
	e.wantErr("DeleteToken from tenant b", e.s.DeleteToken(e.ctx, e.b.ID, tk.ID), store.ErrNotFound)
	_, err = e.s.LookupToken(e.ctx, tk.Hash)
	e.noErr("LookupToken after tenant b's delete", err)

	// Created defaults to now; no scopes round-trips as none.
	bare := store.Token{ID: newID(), TenantID: e.a.ID, Hash: "bare"}
	e.noErr("CreateToken(bare)", e.s.CreateToken(e.ctx, bare))
	got, err = e.s.LookupToken(e.ctx, "bare")
	e.noErr("LookupToken(bare)", err)
	if got.CreatedAt.IsZero() || time.Since(got.CreatedAt) > time.Hour || len(got.Scopes) != 0 {
		e.t.Errorf("bare token %+v", got)
	}
}

func testTokenListDelete(e *env) {
	t1 := store.Token{ID: newID(), TenantID: e.a.ID, Hash: "h1", Scopes: []string{"scim:read"},
		CreatedAt: time.Unix(1000, 0).UTC()}
	t2 := store.Token{ID: newID(), TenantID: e.a.ID, Hash: "h2", Scopes: []string{"scim:write"},
		CreatedAt: time.Unix(2000, 0).UTC()}
	e.noErr("CreateToken", e.s.CreateToken(e.ctx, t2))
	e.noErr("CreateToken", e.s.CreateToken(e.ctx, t1))
	list, err := e.s.ListTokens(e.ctx, e.a.ID)
	e.noErr("ListTokens", err)
	eq(e, "ListTokens (oldest first)", ids(list, func(t store.Token) string { return t.Hash }), []string{"h1", "h2"})
	other, err := e.s.ListTokens(e.ctx, e.b.ID)
	e.noErr("ListTokens(b)", err)
	eq(e, "ListTokens of tenant b", len(other), 0)

	e.noErr("DeleteToken", e.s.DeleteToken(e.ctx, e.a.ID, t1.ID))
	e.wantErr("DeleteToken again", e.s.DeleteToken(e.ctx, e.a.ID, t1.ID), store.ErrNotFound)
	_, err = e.s.LookupToken(e.ctx, "h1")
	e.wantErr("LookupToken of a deleted token", err, store.ErrNotFound)
	list, err = e.s.ListTokens(e.ctx, e.a.ID)
	e.noErr("ListTokens", err)
	eq(e, "ListTokens after delete", ids(list, func(t store.Token) string { return t.Hash }), []string{"h2"})
}

func testTokenExpiry(e *env) {
	exp := time.Now().Add(time.Hour).Truncate(time.Microsecond).UTC()
	past := time.Now().Add(-time.Hour).Truncate(time.Microsecond).UTC()
	for _, c := range []struct {
		hash string
		exp  *time.Time
	}{{"never", nil}, {"later", &exp}, {"expired", &past}} {
		tk := store.Token{ID: newID(), TenantID: e.a.ID, Hash: c.hash, ExpiresAt: c.exp}
		e.noErr("CreateToken", e.s.CreateToken(e.ctx, tk))
		got, err := e.s.LookupToken(e.ctx, c.hash)
		// An expired token is still returned: the caller checks ExpiresAt.
		e.noErr("LookupToken("+c.hash+")", err)
		switch {
		case c.exp == nil && got.ExpiresAt != nil:
			e.t.Errorf("%s: ExpiresAt %v, want nil", c.hash, got.ExpiresAt)
		case c.exp != nil && (got.ExpiresAt == nil || !got.ExpiresAt.Equal(*c.exp)):
			e.t.Errorf("%s: ExpiresAt %v, want %v", c.hash, got.ExpiresAt, *c.exp)
		}
	}
}

func testTokenUnknownTenant(e *env) {
	err := e.s.CreateToken(e.ctx, store.Token{ID: newID(), TenantID: e.b.ID + 1000, Hash: "orphan"})
	e.wantErr("CreateToken for an unknown tenant", err, store.ErrNotFound)
	_, err = e.s.LookupToken(e.ctx, "orphan")
	e.wantErr("LookupToken(orphan)", err, store.ErrNotFound)
}

func testTokenIDUnique(e *env) {
	id := newID()
	e.noErr("CreateToken", e.s.CreateToken(e.ctx, store.Token{ID: id, TenantID: e.a.ID, Hash: "x1"}))
	err := e.s.CreateToken(e.ctx, store.Token{ID: id, TenantID: e.a.ID, Hash: "x2"})
	e.wantUniqueness("same token id twice", err, "id", id)
	err = e.s.CreateToken(e.ctx, store.Token{ID: newID(), TenantID: e.b.ID, Hash: "x1"})
	e.wantErr("same hash in another tenant", err, store.ErrUniqueness)
	// The same public id in another tenant is fine: ids are per tenant.
	e.noErr("same id in tenant b", e.s.CreateToken(e.ctx, store.Token{ID: id, TenantID: e.b.ID, Hash: "x3"}))
	got, err := e.s.LookupToken(e.ctx, "x1")
	e.noErr("LookupToken(x1)", err)
	eq(e, "x1 still belongs to a", got.TenantID, e.a.ID)
}
