package storetest

import (
	"fmt"
	"time"

	"github.com/scimd/scimd/store"
)

var clientCases = []testCase{
	{"clients/create_get_list", testClientCreateGetList},
	{"clients/id_unique_across_tenants", testClientIDUnique},
	{"clients/unknown_tenant", testClientUnknownTenant},
	{"clients/isolation", testClientIsolation},
	{"clients/token_needs_client", testClientTokenNeedsClient},
	{"clients/delete_revokes_tokens", testClientDeleteRevokes},
	{"clients/tenant_delete", testClientTenantDelete},
	{"tokens/purge_expired", testTokenPurgeExpired},
}

// newClient builds a client of tenant with a fresh id.
func newClient(tenant int64, scopes ...string) store.Client {
	id := "client-" + newID()
	return store.Client{ID: id, TenantID: tenant, SecretHash: "hash-of-" + id, Scopes: scopes,
		Description: "client " + id}
}

// createClient stores c and fails on error.
func (e *env) createClient(c store.Client) {
	e.t.Helper()
	e.noErr("CreateClient", e.s.CreateClient(e.ctx, c))
}

// clientIDs lists a tenant's client ids in ListClients order.
func (e *env) clientIDs(tenant int64) []string {
	e.t.Helper()
	cs, err := e.s.ListClients(e.ctx, tenant)
	e.noErr("ListClients", err)
	return ids(cs, func(c store.Client) string { return c.ID })
}

// clientToken stores an access token of client c and returns it.
func (e *env) clientToken(c store.Client, expires time.Time) store.Token {
	e.t.Helper()
	tk := store.Token{ID: newID(), TenantID: c.TenantID, Hash: "tok-" + newID(), Scopes: c.Scopes,
		Description: "access token", ClientID: c.ID, ExpiresAt: &expires}
	e.noErr("CreateClientToken", e.s.CreateClientToken(e.ctx, tk))
	return tk
}

// tokenGone fails unless the token with hash is gone.
func (e *env) tokenGone(what, hash string) {
	e.t.Helper()
	_, err := e.s.LookupToken(e.ctx, hash)
	e.wantErr(what, err, store.ErrNotFound)
}

// tokenThere fails unless the token with hash exists.
func (e *env) tokenThere(what, hash string) {
	e.t.Helper()
	_, err := e.s.LookupToken(e.ctx, hash)
	e.noErr(what, err)
}

func testClientCreateGetList(e *env) {
	created := time.Date(2026, 2, 3, 4, 5, 6, 789012000, time.UTC)
	c1 := newClient(e.a.ID, "users:read", "groups:read")
	c1.CreatedAt = created
	e.createClient(c1)
	got, err := e.s.GetClient(e.ctx, c1.ID)
	e.noErr("GetClient", err)
	e.sameTime("CreatedAt", got.CreatedAt, created)
	got.CreatedAt = created
	eq(e, "GetClient", got, c1)

	// CreatedAt defaults to now; a later client lists after the first.
	c2 := newClient(e.a.ID, "users:manage")
	c2.Description = ""
	e.createClient(c2)
	got, err = e.s.GetClient(e.ctx, c2.ID)
	e.noErr("GetClient(c2)", err)
	if got.CreatedAt.IsZero() || time.Since(got.CreatedAt) > time.Hour || got.Description != "" {
		e.t.Errorf("client with defaults %+v", got)
	}
	eq(e, "ListClients (oldest first)", e.clientIDs(e.a.ID), []string{c1.ID, c2.ID})
	list, err := e.s.ListClients(e.ctx, e.a.ID)
	e.noErr("ListClients", err)
	eq(e, "ListClients keeps scopes", list[0].Scopes, c1.Scopes)
	eq(e, "ListClients keeps the hash", list[0].SecretHash, c1.SecretHash)

	_, err = e.s.GetClient(e.ctx, "no-such-client")
	e.wantErr("GetClient(unknown)", err, store.ErrNotFound)
}

func testClientIDUnique(e *env) {
	c := newClient(e.a.ID, "users:read")
	e.createClient(c)
	dup := c
	dup.SecretHash = "other"
	e.wantUniqueness("same client id twice", e.s.CreateClient(e.ctx, dup), "client_id", c.ID)
	// Unlike token ids, client ids are unique across tenants: the client
	// id decides the tenant at the token endpoint.
	dup.TenantID = e.b.ID
	e.wantUniqueness("same client id in tenant b", e.s.CreateClient(e.ctx, dup), "client_id", c.ID)
	got, err := e.s.GetClient(e.ctx, c.ID)
	e.noErr("GetClient", err)
	eq(e, "client still belongs to a", got.TenantID, e.a.ID)
	eq(e, "client keeps its secret hash", got.SecretHash, c.SecretHash)
	eq(e, "tenant b has no clients", len(e.clientIDs(e.b.ID)), 0)
}

func testClientUnknownTenant(e *env) {
	c := newClient(e.b.ID+1000, "users:read")
	e.wantErr("CreateClient for an unknown tenant", e.s.CreateClient(e.ctx, c), store.ErrNotFound)
	_, err := e.s.GetClient(e.ctx, c.ID)
	e.wantErr("GetClient(orphan)", err, store.ErrNotFound)
}

func testClientIsolation(e *env) {
	c := newClient(e.a.ID, "users:read")
	e.createClient(c)
	tk := e.clientToken(c, time.Now().Add(time.Hour))

	eq(e, "ListClients of tenant b", len(e.clientIDs(e.b.ID)), 0)
	e.wantErr("DeleteClient from tenant b", e.s.DeleteClient(e.ctx, e.b.ID, c.ID), store.ErrNotFound)
	// Tenant b cannot issue tokens for a's client.
	stolen := store.Token{ID: newID(), TenantID: e.b.ID, Hash: "stolen", ClientID: c.ID, Scopes: c.Scopes}
	e.wantErr("CreateClientToken in tenant b for a's client", e.s.CreateClientToken(e.ctx, stolen), store.ErrNotFound)
	e.tokenGone("LookupToken(stolen)", "stolen")
	// A client of b with tokens of its own does not touch a's.
	cb := newClient(e.b.ID, "users:read")
	e.createClient(cb)
	tb := e.clientToken(cb, time.Now().Add(time.Hour))
	e.noErr("DeleteClient(b)", e.s.DeleteClient(e.ctx, e.b.ID, cb.ID))
	e.tokenGone("b's token after deleting b's client", tb.Hash)

	eq(e, "tenant a's clients", e.clientIDs(e.a.ID), []string{c.ID})
	e.tokenThere("a's token after tenant b's attempts", tk.Hash)
	tokens, err := e.s.ListTokens(e.ctx, e.b.ID)
	e.noErr("ListTokens(b)", err)
	eq(e, "tokens of tenant b", len(tokens), 0)
}

func testClientTokenNeedsClient(e *env) {
	c := newClient(e.a.ID, "users:read", "users:manage")
	e.createClient(c)
	exp := time.Now().Add(time.Hour).Truncate(time.Microsecond).UTC()
	created := time.Now().Truncate(time.Microsecond).UTC()
	tk := store.Token{ID: newID(), TenantID: e.a.ID, Hash: "access-1", Scopes: []string{"users:read"},
		Description: "access token", ClientID: c.ID, CreatedAt: created, ExpiresAt: &exp}
	e.noErr("CreateClientToken", e.s.CreateClientToken(e.ctx, tk))
	got, err := e.s.LookupToken(e.ctx, tk.Hash)
	e.noErr("LookupToken", err)
	e.sameTime("CreatedAt", got.CreatedAt, created)
	if got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		e.t.Errorf("ExpiresAt %v, want %v", got.ExpiresAt, exp)
	}
	got.CreatedAt, got.ExpiresAt = tk.CreatedAt, tk.ExpiresAt
	eq(e, "LookupToken", got, tk)

	// The hash is unique, as for CreateToken.
	dup := tk
	dup.ID = newID()
	e.wantErr("CreateClientToken with a taken hash", e.s.CreateClientToken(e.ctx, dup), store.ErrUniqueness)

	unknown := tk
	unknown.ID, unknown.Hash, unknown.ClientID = newID(), "access-2", "no-such-client"
	e.wantErr("CreateClientToken for an unknown client", e.s.CreateClientToken(e.ctx, unknown), store.ErrNotFound)
	e.tokenGone("LookupToken(unknown client's token)", "access-2")

	none := tk
	none.ID, none.Hash, none.ClientID = newID(), "access-3", ""
	if err := e.s.CreateClientToken(e.ctx, none); err == nil {
		e.t.Errorf("CreateClientToken without a client id succeeded")
	}
	e.tokenGone("LookupToken(token without client)", "access-3")

	e.noErr("DeleteClient", e.s.DeleteClient(e.ctx, e.a.ID, c.ID))
	late := tk
	late.ID, late.Hash = newID(), "access-4"
	e.wantErr("CreateClientToken after DeleteClient", e.s.CreateClientToken(e.ctx, late), store.ErrNotFound)
	e.tokenGone("LookupToken(late token)", "access-4")
}

func testClientDeleteRevokes(e *env) {
	c := newClient(e.a.ID, "users:read")
	other := newClient(e.a.ID, "users:read")
	e.createClient(c)
	e.createClient(other)
	later := time.Now().Add(time.Hour)
	t1, t2 := e.clientToken(c, later), e.clientToken(c, later)
	keep := e.clientToken(other, later)
	static := store.Token{ID: newID(), TenantID: e.a.ID, Hash: "static", Scopes: []string{"users:read"}}
	e.noErr("CreateToken(static)", e.s.CreateToken(e.ctx, static))

	e.noErr("DeleteClient", e.s.DeleteClient(e.ctx, e.a.ID, c.ID))
	_, err := e.s.GetClient(e.ctx, c.ID)
	e.wantErr("GetClient after delete", err, store.ErrNotFound)
	e.tokenGone("first token of the deleted client", t1.Hash)
	e.tokenGone("second token of the deleted client", t2.Hash)
	e.tokenThere("token of another client", keep.Hash)
	e.tokenThere("static token", static.Hash)
	eq(e, "clients after delete", e.clientIDs(e.a.ID), []string{other.ID})
	e.wantErr("DeleteClient again", e.s.DeleteClient(e.ctx, e.a.ID, c.ID), store.ErrNotFound)

	// The id is free again.
	e.createClient(c)
	eq(e, "clients after re-creating", e.clientIDs(e.a.ID), []string{other.ID, c.ID})
}

func testClientTenantDelete(e *env) {
	later := time.Now().Add(time.Hour)
	ca, cb := newClient(e.a.ID, "users:read"), newClient(e.b.ID, "users:read")
	e.createClient(ca)
	e.createClient(cb)
	ta, tb := e.clientToken(ca, later), e.clientToken(cb, later)

	e.noErr("DeleteTenant(b)", e.s.DeleteTenant(e.ctx, "b"))
	_, err := e.s.GetClient(e.ctx, cb.ID)
	e.wantErr("GetClient of a deleted tenant", err, store.ErrNotFound)
	e.tokenGone("access token of a deleted tenant", tb.Hash)
	eq(e, "clients of the deleted tenant", len(e.clientIDs(e.b.ID)), 0)
	eq(e, "tenant a's clients", e.clientIDs(e.a.ID), []string{ca.ID})
	e.tokenThere("tenant a's access token", ta.Hash)

	nb, err := e.s.CreateTenant(e.ctx, "b")
	e.noErr("CreateTenant(b) again", err)
	e.b = nb
	eq(e, "re-created tenant has no clients", len(e.clientIDs(nb.ID)), 0)
	// The deleted tenant's client id is free again.
	cb.TenantID = nb.ID
	e.createClient(cb)
}

func testTokenPurgeExpired(e *env) {
	now := time.Now()
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	ca, cb := newClient(e.a.ID, "users:read"), newClient(e.b.ID, "users:read")
	e.createClient(ca)
	e.createClient(cb)
	expiredA, expiredB := e.clientToken(ca, past), e.clientToken(cb, past)
	liveA := e.clientToken(ca, future)
	static := store.Token{ID: newID(), TenantID: e.a.ID, Hash: "static", Scopes: []string{"users:read"}}
	e.noErr("CreateToken(static)", e.s.CreateToken(e.ctx, static))
	// Enough expired tokens that an implementation purging in batches
	// needs more than one.
	const many = 1200
	for i := range many {
		exp := past.Add(-time.Duration(i) * time.Second)
		tk := store.Token{ID: newID(), TenantID: e.a.ID, Hash: fmt.Sprintf("old-%04d", i), ExpiresAt: &exp}
		e.noErr("CreateToken(expired)", e.s.CreateToken(e.ctx, tk))
	}

	n, err := e.s.PurgeExpiredTokens(e.ctx, now)
	e.noErr("PurgeExpiredTokens", err)
	eq(e, "purged tokens", n, many+2)
	e.tokenGone("expired token of a", expiredA.Hash)
	e.tokenGone("expired token of b", expiredB.Hash)
	e.tokenGone("an old static token with an expiry", "old-0000")
	e.tokenThere("live access token", liveA.Hash)
	e.tokenThere("token without expiry", static.Hash)
	if _, err := e.s.GetClient(e.ctx, ca.ID); err != nil {
		e.t.Errorf("GetClient after purge: %v", err)
	}

	n, err = e.s.PurgeExpiredTokens(e.ctx, now)
	e.noErr("PurgeExpiredTokens again", err)
	eq(e, "purged tokens the second time", n, 0)
}
