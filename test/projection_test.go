package test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// TestProjection: attributes / excludedAttributes on GET by id, on lists
// and on /.search. id and schemas are always returned; password never.
func TestProjection(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		u := s.createUser(t, "proj.user@example.com", map[string]any{
			"schemas":     []string{userSchema, entSchema},
			"name":        map[string]any{"givenName": "Pro", "familyName": "Jection"},
			"displayName": "Pro Jection",
			"emails":      []any{map[string]any{"value": "proj.user@example.com", "type": "work", "primary": true}},
			"active":      true,
			"password":    "S3cret-proj",
			entSchema:     map[string]any{"employeeNumber": "42", "department": "R&D"},
		})
		uid := jstr(u, "id")
		g := s.createGroup(t, "Projected", uid)
		gid := jstr(g, "id")
		idFilter := func(id string) string { return fmt.Sprintf(`id eq "%s"`, id) }

		cases := []struct {
			name    string
			method  string
			path    string
			body    map[string]any
			want    string   // pattern every returned resource must match
			present []string // paths that must resolve
			absent  []string // paths that must not
		}{
			{name: "GET attributes=userName", method: "GET", path: "/scim/v2/Users/" + uid + q("attributes", "userName"),
				want: `{"userName":"proj.user@example.com"}`, present: []string{"id", "schemas"},
				absent: []string{"emails", "name", "displayName", "active", entSchema, "password"}},
			{name: "GET attributes=userName,emails.value", method: "GET", path: "/scim/v2/Users/" + uid + q("attributes", "userName,emails.value"),
				want:    `{"userName":"proj.user@example.com","emails":{"$exact":[{"value":"proj.user@example.com"}]}}`,
				present: []string{"id", "schemas"}, absent: []string{"emails.0.type", "emails.0.primary", "name", "displayName"}},
			{name: "GET attributes=name.familyName", method: "GET", path: "/scim/v2/Users/" + uid + q("attributes", "name.familyName"),
				want: `{"name":{"familyName":"Jection"}}`, present: []string{"id", "schemas"}, absent: []string{"name.givenName", "userName"}},
			{name: "GET attributes are case-insensitive", method: "GET", path: "/scim/v2/Users/" + uid + q("attributes", "USERNAME,DisplayName"),
				want: `{"userName":"proj.user@example.com","displayName":"Pro Jection"}`, absent: []string{"emails"}},
			{name: "GET attributes=enterprise employeeNumber", method: "GET",
				path: "/scim/v2/Users/" + uid + q("attributes", entSchema+":employeeNumber"),
				want: `{"` + entSchema + `":{"employeeNumber":"42"}}`, present: []string{"id"},
				absent: []string{entSchema + ".department", "userName"}},
			{name: "GET excludedAttributes=emails,name", method: "GET", path: "/scim/v2/Users/" + uid + q("excludedAttributes", "emails,name"),
				want: `{"userName":"proj.user@example.com","displayName":"Pro Jection"}`, present: []string{"id", "schemas", "meta"},
				absent: []string{"emails", "name", "password"}},
			{name: "GET excludedAttributes cannot drop id or schemas", method: "GET", path: "/scim/v2/Users/" + uid + q("excludedAttributes", "id,schemas,userName"),
				present: []string{"id", "schemas"}},
			{name: "GET excludedAttributes=groups", method: "GET", path: "/scim/v2/Users/" + uid + q("excludedAttributes", "groups"),
				present: []string{"id", "userName"}, absent: []string{"groups"}},
			{name: "GET attributes=groups (derived)", method: "GET", path: "/scim/v2/Users/" + uid + q("attributes", "groups"),
				want: `{"groups":[{"value":"` + gid + `"}]}`, present: []string{"id"}, absent: []string{"userName"}},
			{name: "GET attributes=password never returns it", method: "GET", path: "/scim/v2/Users/" + uid + q("attributes", "password,userName"),
				present: []string{"id", "userName"}, absent: []string{"password"}},
			{name: "list attributes=userName,emails.value", method: "GET", path: "/scim/v2/Users" + q("filter", idFilter(uid), "attributes", "userName,emails.value"),
				want:    `{"userName":"proj.user@example.com","emails":{"$exact":[{"value":"proj.user@example.com"}]}}`,
				present: []string{"id", "schemas"}, absent: []string{"name", "emails.0.type", "active"}},
			{name: "list excludedAttributes=emails", method: "GET", path: "/scim/v2/Users" + q("filter", idFilter(uid), "excludedAttributes", "emails"),
				want: `{"userName":"proj.user@example.com"}`, present: []string{"id"}, absent: []string{"emails", "password"}},
			{name: "search attributes", method: "POST", path: "/scim/v2/Users/.search",
				body: map[string]any{"schemas": []string{searchSchema}, "filter": idFilter(uid), "attributes": []string{"userName", "emails.value"}},
				want: `{"userName":"proj.user@example.com","emails":[{"value":"proj.user@example.com"}]}`, present: []string{"id", "schemas"},
				absent: []string{"name", "emails.0.type"}},
			{name: "search excludedAttributes", method: "POST", path: "/scim/v2/Users/.search",
				body: map[string]any{"schemas": []string{searchSchema}, "filter": idFilter(uid), "excludedAttributes": []string{"name", "emails"}},
				want: `{"userName":"proj.user@example.com"}`, present: []string{"id"}, absent: []string{"name", "emails"}},
			{name: "group GET excludedAttributes=members", method: "GET", path: "/scim/v2/Groups/" + gid + q("excludedAttributes", "members"),
				want: `{"displayName":"Projected"}`, present: []string{"id", "schemas"}, absent: []string{"members"}},
			{name: "group GET default has members", method: "GET", path: "/scim/v2/Groups/" + gid,
				want: `{"members":{"$exact":[{"value":"` + uid + `"}]}}`},
			{name: "group list excludedAttributes=members", method: "GET", path: "/scim/v2/Groups" + q("excludedAttributes", "members"),
				want: `{"displayName":"Projected"}`, present: []string{"id"}, absent: []string{"members"}},
			{name: "group list attributes=displayName", method: "GET", path: "/scim/v2/Groups" + q("attributes", "displayName"),
				want: `{"displayName":"Projected"}`, present: []string{"id", "schemas"}, absent: []string{"members"}},
			{name: "group search attributes=members.value", method: "POST", path: "/scim/v2/Groups/.search",
				body: map[string]any{"schemas": []string{searchSchema}, "filter": `displayName eq "Projected"`, "attributes": []string{"members.value"}},
				want: `{"members":{"$exact":[{"value":"` + uid + `"}]}}`, present: []string{"id"}, absent: []string{"displayName", "members.0.display"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var body any
				if c.body != nil {
					body = c.body
				}
				r := s.must(t, http.StatusOK, c.method, c.path, body)
				doc := r.JSON(t)
				resources := []any{doc}
				if c.method == "POST" || !strings.Contains(strings.SplitN(c.path, "?", 2)[0], "/Users/") && !strings.Contains(strings.SplitN(c.path, "?", 2)[0], "/Groups/") {
					rs, _ := doc["Resources"].([]any)
					if len(rs) == 0 {
						t.Fatalf("no Resources in %s", r.Body)
					}
					resources = rs
				}
				for _, res := range resources {
					if c.want != "" {
						expectJSON(t, res, c.want)
					}
					for _, p := range c.present {
						if _, ok := lookup(res, p); !ok {
							t.Errorf("%q missing from %s", p, short(res))
						}
					}
					for _, p := range c.absent {
						if v, ok := lookup(res, p); ok {
							t.Errorf("%q must not be returned, got %s in %s", p, short(v), short(res))
						}
					}
				}
			})
		}
	})
}
