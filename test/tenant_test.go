package test

import (
	"net/http"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// TestTenantIsolation: a second tenant, created through the admin API,
// can neither read, change, list, filter nor reference the first tenant's
// users and groups; identifiers are unique per tenant only.
func TestTenantIsolation(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		ua := s.createUser(t, "shared.name@example.com", map[string]any{"externalId": "ext-shared",
			"emails": []any{map[string]any{"value": "shared.name@example.com", "type": "work"}}})
		uaID := jstr(ua, "id")
		ga := s.createGroup(t, "Shared Group", uaID)
		gaID := jstr(ga, "id")
		gaVersion := jstr(s.must(t, http.StatusOK, "GET", "/scim/v2/Groups/"+gaID, nil).JSON(t), "meta.version")
		uaVersion := jstr(s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+uaID, nil).JSON(t), "meta.version")

		tokB := s.newTenant(t, "tenant-b")
		asB := func(t *testing.T, method, path string, body any, hdr ...string) *response {
			t.Helper()
			return s.doToken(t, tokB, method, path, body, hdr...)
		}

		notFound := []struct {
			name, method, path string
			body               any
			hdr                []string
		}{
			{"GET user", "GET", "/scim/v2/Users/" + uaID, nil, nil},
			{"GET user If-None-Match", "GET", "/scim/v2/Users/" + uaID, nil, []string{"If-None-Match", uaVersion}},
			{"PUT user", "PUT", "/scim/v2/Users/" + uaID, userBody("shared.name@example.com", map[string]any{"displayName": "hijacked"}), nil},
			{"PATCH user", "PATCH", "/scim/v2/Users/" + uaID, patchOps(map[string]any{"op": "replace", "path": "active", "value": false}), nil},
			{"DELETE user", "DELETE", "/scim/v2/Users/" + uaID, nil, nil},
			{"DELETE user If-Match", "DELETE", "/scim/v2/Users/" + uaID, nil, []string{"If-Match", uaVersion}},
			{"GET group", "GET", "/scim/v2/Groups/" + gaID, nil, nil},
			{"PUT group", "PUT", "/scim/v2/Groups/" + gaID, map[string]any{"schemas": []string{groupSchema}, "displayName": "hijacked"}, nil},
			{"PATCH group", "PATCH", "/scim/v2/Groups/" + gaID, patchOps(map[string]any{"op": "remove", "path": "members"}), nil},
			{"PATCH group add", "PATCH", "/scim/v2/Groups/" + gaID, patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": uaID}}}), nil},
			{"DELETE group", "DELETE", "/scim/v2/Groups/" + gaID, nil, nil},
		}
		for _, c := range notFound {
			t.Run("404/"+c.name, func(t *testing.T) {
				mustSCIMError(t, asB(t, c.method, c.path, c.body, c.hdr...), http.StatusNotFound)
			})
		}

		empty := []struct {
			name, method, path string
			body               any
		}{
			{"list users", "GET", "/scim/v2/Users", nil},
			{"filter userName", "GET", "/scim/v2/Users" + q("filter", `userName eq "shared.name@example.com"`), nil},
			{"filter id", "GET", "/scim/v2/Users" + q("filter", `id eq "`+uaID+`"`), nil},
			{"filter externalId", "GET", "/scim/v2/Users" + q("filter", `externalId eq "ext-shared"`), nil},
			{"filter email", "GET", "/scim/v2/Users" + q("filter", `emails[type eq "work"].value eq "shared.name@example.com"`), nil},
			{"filter groups.value", "GET", "/scim/v2/Users" + q("filter", `groups.value eq "`+gaID+`"`), nil},
			{"search users", "POST", "/scim/v2/Users/.search", map[string]any{"schemas": []string{searchSchema}, "filter": `userName pr`}},
			{"list groups", "GET", "/scim/v2/Groups", nil},
			{"filter group displayName", "GET", "/scim/v2/Groups" + q("filter", `displayName eq "Shared Group"`), nil},
			{"filter group members", "GET", "/scim/v2/Groups" + q("filter", `members.value eq "`+uaID+`"`), nil},
			{"search groups", "POST", "/scim/v2/Groups/.search", map[string]any{"schemas": []string{searchSchema}}},
		}
		for _, c := range empty {
			t.Run("empty/"+c.name, func(t *testing.T) {
				r := asB(t, c.method, c.path, c.body)
				if r.Status != http.StatusOK {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				expectJSON(t, r.JSON(t), `{"totalResults":0,"Resources":{"$empty":true}}`)
			})
		}

		t.Run("cannot add the other tenant's user as a member", func(t *testing.T) {
			r := asB(t, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "B steals",
				"members": []any{map[string]any{"value": uaID}}})
			if r.Status == http.StatusCreated {
				expectJSON(t, r.JSON(t), `{"members":{"$empty":true}}`)
				t.Errorf("group created with a foreign member: %s", r.Body)
			} else if r.Status < 400 || r.Status >= 500 {
				t.Errorf("POST group with a foreign member: %d %s", r.Status, r.Body)
			}
			gb := s.mustToken(t, tokB, http.StatusCreated, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "B own"}).JSON(t)
			r = asB(t, "PATCH", "/scim/v2/Groups/"+jstr(gb, "id"), patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": uaID}}}))
			if r.Status < 400 || r.Status >= 500 {
				t.Errorf("PATCH add foreign member: %d %s", r.Status, r.Body)
			} else {
				mustSCIMError(t, r, r.Status)
			}
			got := s.mustToken(t, tokB, http.StatusOK, "GET", "/scim/v2/Groups/"+jstr(gb, "id"), nil).JSON(t)
			expectJSON(t, got, `{"members":{"$empty":true}}`)
		})

		t.Run("identifiers are unique per tenant only", func(t *testing.T) {
			ub := s.mustToken(t, tokB, http.StatusCreated, "POST", "/scim/v2/Users", userBody("shared.name@example.com", map[string]any{"externalId": "ext-shared"})).JSON(t)
			if jstr(ub, "id") == uaID {
				t.Fatalf("tenant B got tenant A's id")
			}
			s.mustToken(t, tokB, http.StatusCreated, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Shared Group"})
			expectJSON(t, s.mustToken(t, tokB, http.StatusOK, "GET", "/scim/v2/Users"+q("filter", `userName eq "shared.name@example.com"`), nil).JSON(t),
				`{"totalResults":1,"Resources":{"$exact":[{"id":"`+jstr(ub, "id")+`"}]}}`)
		})

		t.Run("tenant A is unchanged and sees nothing of B", func(t *testing.T) {
			u := s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+uaID, nil).JSON(t)
			g := s.must(t, http.StatusOK, "GET", "/scim/v2/Groups/"+gaID, nil).JSON(t)
			if jstr(u, "meta.version") != uaVersion || jstr(g, "meta.version") != gaVersion {
				t.Errorf("tenant B's requests changed tenant A's data:\n%s\n%s", short(u), short(g))
			}
			expectJSON(t, g, `{"displayName":"Shared Group","members":{"$exact":[{"value":"`+uaID+`"}]}}`)
			expectJSON(t, u, `{"groups":{"$exact":[{"value":"`+gaID+`"}]}}`)
			expectJSON(t, s.list(t, "/scim/v2/Users"), `{"totalResults":1}`)
			expectJSON(t, s.list(t, "/scim/v2/Groups"), `{"totalResults":1}`)
		})
	})
}

// mustToken is must with another tenant's token.
func (s *server) mustToken(t testing.TB, token string, want int, method, path string, body any, hdr ...string) *response {
	t.Helper()
	r := s.doToken(t, token, method, path, body, hdr...)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, want, r.Body)
	}
	return r
}
