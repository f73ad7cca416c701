package test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// TestAuth: missing/unknown tokens are 401 with a SCIM body and
// WWW-Authenticate: Bearer; missing scopes are 403; a deleted token stops
// working at once on the server that deleted it; the admin API wants the
// admin token.
func TestAuth(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		u := s.createUser(t, "auth.user@example.com", nil)
		uPath := "/scim/v2/Users/" + jstr(u, "id")

		t.Run("401", func(t *testing.T) {
			creds := []struct{ name, header string }{
				{"missing", ""},
				{"unknown token", "Bearer scimd_no_such_token_0123456789abcdef"},
				{"empty bearer", "Bearer "},
				{"basic scheme", "Basic dXNlcjpwYXNz"},
				{"token without scheme", testToken},
				{"admin token on SCIM", "Bearer " + testAdminToken},
				{"token with a suffix", "Bearer " + testToken + "x"},
			}
			reqs := []struct {
				method, path string
				body         any
			}{
				{"GET", "/scim/v2/Users", nil},
				{"GET", uPath, nil},
				{"POST", "/scim/v2/Users", userBody("nope@example.com", nil)},
				{"PATCH", uPath, patchOps(map[string]any{"op": "replace", "path": "active", "value": false})},
				{"DELETE", uPath, nil},
				{"GET", "/scim/v2/Groups", nil},
				{"POST", "/scim/v2/Users/.search", map[string]any{"schemas": []string{searchSchema}}},
				{"GET", "/scim/v2/NoSuchEndpoint", nil},
			}
			for _, c := range creds {
				for _, rq := range reqs {
					t.Run(c.name+"/"+rq.method+" "+rq.path, func(t *testing.T) {
						var hdr []string
						if c.header != "" {
							hdr = []string{"Authorization", c.header}
						}
						r := s.doToken(t, "", rq.method, rq.path, rq.body, hdr...)
						mustSCIMError(t, r, http.StatusUnauthorized)
						if wa := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(strings.ToLower(wa), "bearer") {
							t.Errorf("WWW-Authenticate %q, want Bearer", wa)
						}
					})
				}
			}
			// nothing was changed by the refused writes
			got := s.must(t, http.StatusOK, "GET", uPath, nil).JSON(t)
			if jstr(got, "meta.version") != jstr(u, "meta.version") {
				t.Errorf("an unauthenticated write changed the user: %s", short(got))
			}
		})

		t.Run("bearer scheme is case-insensitive", func(t *testing.T) {
			r := s.doToken(t, "", "GET", "/scim/v2/Users", nil, "Authorization", "bearer "+testToken)
			if r.Status != http.StatusOK {
				t.Errorf("lower-case bearer: %d %s", r.Status, r.Body)
			}
		})

		t.Run("403 on missing scope", func(t *testing.T) {
			_, usersRead := s.newToken(t, "default", "users:read")
			_, groupsRead := s.newToken(t, "default", "groups:read")
			_, usersManage := s.newToken(t, "default", "users:read", "users:manage")
			g := s.createGroup(t, "Scoped")
			gPath := "/scim/v2/Groups/" + jstr(g, "id")
			cases := []struct {
				name, token, method, path string
				body                      any
				want                      int
			}{
				{"users:read GET Users", usersRead, "GET", "/scim/v2/Users", nil, 200},
				{"users:read GET user", usersRead, "GET", uPath, nil, 200},
				{"users:read search", usersRead, "POST", "/scim/v2/Users/.search", map[string]any{"schemas": []string{searchSchema}}, 200},
				{"users:read POST Users", usersRead, "POST", "/scim/v2/Users", userBody("scope1@example.com", nil), 403},
				{"users:read PUT user", usersRead, "PUT", uPath, userBody("auth.user@example.com", nil), 403},
				{"users:read PATCH user", usersRead, "PATCH", uPath, patchOps(map[string]any{"op": "replace", "path": "active", "value": false}), 403},
				{"users:read DELETE user", usersRead, "DELETE", uPath, nil, 403},
				{"users:read GET Groups", usersRead, "GET", "/scim/v2/Groups", nil, 403},
				{"users:read GET group", usersRead, "GET", gPath, nil, 403},
				{"users:read POST Groups", usersRead, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "x"}, 403},
				{"users:read search Groups", usersRead, "POST", "/scim/v2/Groups/.search", map[string]any{"schemas": []string{searchSchema}}, 403},
				{"groups:read GET Groups", groupsRead, "GET", "/scim/v2/Groups", nil, 200},
				{"groups:read GET Users", groupsRead, "GET", "/scim/v2/Users", nil, 403},
				{"groups:read PATCH group", groupsRead, "PATCH", gPath, patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "y"}), 403},
				{"users:manage POST Groups", usersManage, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "z"}, 403},
				{"users:manage POST Users", usersManage, "POST", "/scim/v2/Users", userBody("scope2@example.com", nil), 201},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := s.doToken(t, c.token, c.method, c.path, c.body)
					if c.want == 403 {
						mustSCIMError(t, r, http.StatusForbidden)
					} else if r.Status != c.want {
						t.Errorf("%d, want %d: %s", r.Status, c.want, r.Body)
					}
				})
			}
			if got := s.must(t, http.StatusOK, "GET", uPath, nil).JSON(t); jstr(got, "meta.version") != jstr(u, "meta.version") {
				t.Errorf("a 403 write changed the user: %s", short(got))
			}
			expectJSON(t, s.list(t, "/scim/v2/Groups"), `{"totalResults":1}`)
		})

		t.Run("deleting a token revokes it at once", func(t *testing.T) {
			id, tok := s.newToken(t, "default", "users:read")
			for i := 0; i < 2; i++ { // warm the token cache
				if r := s.doToken(t, tok, "GET", "/scim/v2/Users", nil); r.Status != http.StatusOK {
					t.Fatalf("new token: %d %s", r.Status, r.Body)
				}
			}
			r := s.adminDo(t, "DELETE", "/admin/v1/tenants/default/tokens/"+id, nil)
			if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
				t.Fatalf("delete token: %d %s", r.Status, r.Body)
			}
			r = s.doToken(t, tok, "GET", "/scim/v2/Users", nil)
			mustSCIMError(t, r, http.StatusUnauthorized)
			// the bootstrap token is unaffected
			s.must(t, http.StatusOK, "GET", "/scim/v2/Users", nil)
		})

		t.Run("deleting a tenant revokes its tokens", func(t *testing.T) {
			tok := s.newTenant(t, "doomed")
			s.mustToken(t, tok, http.StatusCreated, "POST", "/scim/v2/Users", userBody("doomed@example.com", nil))
			r := s.adminDo(t, "DELETE", "/admin/v1/tenants/doomed", nil)
			if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
				t.Fatalf("delete tenant: %d %s", r.Status, r.Body)
			}
			mustSCIMError(t, s.doToken(t, tok, "GET", "/scim/v2/Users", nil), http.StatusUnauthorized)
		})

		t.Run("admin API errors", func(t *testing.T) {
			cases := []struct {
				name, method, path string
				body               any
				want               int
			}{
				{"duplicate tenant", "POST", "/admin/v1/tenants", map[string]any{"name": "default"}, 409},
				{"empty tenant name", "POST", "/admin/v1/tenants", map[string]any{"name": ""}, 400},
				{"malformed JSON", "POST", "/admin/v1/tenants", `{"name":`, 400},
				{"token for a missing tenant", "POST", "/admin/v1/tenants/no-such-tenant/tokens", map[string]any{"scopes": []string{"users:read"}}, 404},
				{"unknown scope", "POST", "/admin/v1/tenants/default/tokens", map[string]any{"scopes": []string{"users:destroy"}}, 400},
				{"delete a missing token", "DELETE", "/admin/v1/tenants/default/tokens/no-such-token", nil, 404},
				{"delete a missing tenant", "DELETE", "/admin/v1/tenants/no-such-tenant", nil, 404},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := s.adminDo(t, c.method, c.path, c.body)
					if r.Status != c.want {
						t.Errorf("%d, want %d: %s", r.Status, c.want, r.Body)
					}
				})
			}
		})

		t.Run("admin API", func(t *testing.T) {
			cases := []struct {
				name, token string
				want        int
			}{
				{"no token", "", 401},
				{"wrong token", "not-the-admin-token-0123456789", 401},
				{"tenant token", testToken, 401},
				{"admin token", testAdminToken, 200},
			}
			for _, c := range cases {
				for _, rq := range []struct {
					method, path string
					body         any
				}{
					{"GET", "/admin/v1/tenants", nil},
					{"POST", "/admin/v1/tenants", map[string]any{"name": "adm-" + strings.ReplaceAll(c.name, " ", "-")}},
					{"POST", "/admin/v1/tenants/default/tokens", map[string]any{"scopes": []string{"users:read"}}},
				} {
					t.Run(c.name+"/"+rq.method+" "+rq.path, func(t *testing.T) {
						r := s.doToken(t, c.token, rq.method, rq.path, rq.body)
						if c.want == 401 {
							if r.Status != http.StatusUnauthorized {
								t.Errorf("%d, want 401: %s", r.Status, r.Body)
							}
							return
						}
						if r.Status != http.StatusOK && r.Status != http.StatusCreated {
							t.Errorf("%d: %s", r.Status, r.Body)
						}
					})
				}
			}
			expectJSON(t, s.adminDo(t, "GET", "/admin/v1/tenants", nil).JSON(t), `{"tenants":[{"name":"default"},{"name":"adm-admin-token"}]}`)
			for _, name := range []string{"adm-no-token", "adm-wrong-token", "adm-tenant-token"} {
				if strings.Contains(string(s.adminDo(t, "GET", "/admin/v1/tenants", nil).Body), `"`+name+`"`) {
					t.Errorf("tenant %s created without the admin token", name)
				}
			}
		})
	})
}
