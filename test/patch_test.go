package test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// TestPatchSemantics: RFC 7644 §3.5.2 PATCH rules on a fresh user per
// case: multi-valued add/remove/replace with value filters, the single
// primary rule, complex replace that keeps unspecified sub-attributes,
// path-less add/replace merging (extensions included), case-insensitive
// paths and ops, no duplicate values, and atomicity (one failing operation
// applies none).
func TestPatchSemantics(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		mgr := jstr(s.createUser(t, "patch.manager@example.com", nil), "id")
		ent := entSchema
		start := map[string]any{
			"schemas":     []string{userSchema, entSchema},
			"displayName": "Start",
			"nickName":    "Nick",
			"title":       "Engineer",
			"name":        map[string]any{"givenName": "Gina", "familyName": "Patch", "formatted": "Gina Patch"},
			"emails": []any{
				map[string]any{"value": "work@example.com", "type": "work", "primary": true},
				map[string]any{"value": "home@example.com", "type": "home"},
			},
			"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "work"}},
			entSchema:      map[string]any{"employeeNumber": "7", "department": "Eng", "manager": map[string]any{"value": mgr}},
		}
		cases := []struct {
			name   string
			ops    string // JSON array of operations
			status []int  // default 200/204
			expect string // pattern for GET afterwards
			absent []string
		}{
			{name: "add a primary email demotes the old primary",
				ops:    `[{"op":"add","path":"emails","value":[{"value":"new@example.com","type":"other","primary":true}]}]`,
				expect: `{"emails":{"$exact":[{"value":"work@example.com"},{"value":"home@example.com"},{"value":"new@example.com","primary":true}]}}`},
			{name: "add an existing email does not duplicate it",
				ops:    `[{"op":"add","path":"emails","value":[{"value":"home@example.com","type":"home"}]}]`,
				expect: `{"emails":{"$len":2}}`},
			{name: "remove by value filter",
				ops:    `[{"op":"remove","path":"emails[type eq \"home\"]"}]`,
				expect: `{"emails":{"$exact":[{"value":"work@example.com","type":"work"}]}}`},
			{name: "remove by value filter on value",
				ops:    `[{"op":"remove","path":"emails[value eq \"WORK@example.com\"]"}]`,
				expect: `{"emails":{"$exact":[{"value":"home@example.com"}]}}`},
			{name: "replace a whole multi-valued attribute",
				ops:    `[{"op":"replace","path":"emails","value":[{"value":"only@example.com","type":"work","primary":true}]}]`,
				expect: `{"emails":{"$exact":[{"value":"only@example.com","type":"work","primary":true}]}}`},
			{name: "replace a sub-attribute through a filter",
				ops:    `[{"op":"replace","path":"emails[type eq \"home\"].value","value":"home2@example.com"}]`,
				expect: `{"emails":{"$exact":[{"value":"work@example.com","type":"work","primary":true},{"value":"home2@example.com","type":"home"}]}}`},
			{name: "replace phoneNumbers[type eq mobile].value creates it (Entra)",
				ops:    `[{"op":"Replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0199"}]`,
				expect: `{"phoneNumbers":{"$exact":[{"value":"+1 555 0100","type":"work"},{"value":"+1 555 0199","type":"mobile"}]}}`},
			{name: "replace addresses[type eq work] sub-attributes creates one address (Entra)",
				ops: `[{"op":"Replace","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"},
				       {"op":"Replace","path":"addresses[type eq \"work\"].locality","value":"Springfield"},
				       {"op":"Replace","path":"addresses[type eq \"work\"].postalCode","value":"12345"},
				       {"op":"Replace","path":"addresses[type eq \"work\"].country","value":"US"}]`,
				expect: `{"addresses":{"$exact":[{"type":"work","streetAddress":"1 Main St","locality":"Springfield","postalCode":"12345","country":"US"}]}}`},
			{name: "remove a sub-attribute",
				ops:    `[{"op":"remove","path":"name.givenName"}]`,
				expect: `{"name":{"familyName":"Patch","givenName":{"$absent":true}}}`},
			{name: "remove a single-valued attribute",
				ops:    `[{"op":"remove","path":"nickName"}]`,
				expect: `{"nickName":{"$absent":true},"displayName":"Start"}`},
			{name: "replace a complex attribute keeps unspecified sub-attributes",
				ops:    `[{"op":"replace","path":"name","value":{"givenName":"New"}}]`,
				expect: `{"name":{"givenName":"New","familyName":"Patch","formatted":"Gina Patch"}}`},
			{name: "add to a complex attribute merges",
				ops:    `[{"op":"add","path":"name","value":{"middleName":"M"}}]`,
				expect: `{"name":{"givenName":"Gina","middleName":"M","familyName":"Patch"}}`},
			{name: "path-less add merges",
				ops:    `[{"op":"add","value":{"nickName":"N2","name":{"middleName":"M"}}}]`,
				expect: `{"nickName":"N2","name":{"givenName":"Gina","middleName":"M"},"displayName":"Start"}`},
			{name: "path-less replace of an extension object keeps its other attributes",
				ops:    `[{"op":"replace","value":{"` + ent + `":{"department":"Sales"}}}]`,
				expect: `{"` + ent + `":{"department":"Sales","employeeNumber":"7","manager":{"value":"` + mgr + `"}}}`},
			{name: "replace the manager with a complex value",
				ops:    `[{"op":"replace","path":"` + ent + `:manager","value":{"value":"` + mgr + `"}}]`,
				expect: `{"` + ent + `":{"manager":{"value":"` + mgr + `"}}}`},
			{name: "remove the manager",
				ops:    `[{"op":"remove","path":"` + ent + `:manager"}]`,
				expect: `{"` + ent + `":{"employeeNumber":"7","manager":{"$absent":true}}}`},
			{name: "replace an enterprise attribute by its qualified path",
				ops:    `[{"op":"replace","path":"` + ent + `:department","value":"Ops"}]`,
				expect: `{"` + ent + `":{"department":"Ops","employeeNumber":"7"}}`},
			{name: "attribute names and ops are case-insensitive",
				ops: `[{"op":"REPLACE","path":"NickName","value":"Up"},{"op":"Replace","path":"NAME.GIVENNAME","value":"Upper"},
				       {"op":"replace","path":"Emails[Type eq \"work\"].Value","value":"w2@example.com"}]`,
				expect: `{"nickName":"Up","name":{"givenName":"Upper"},"emails":{"$exact":[{"value":"w2@example.com","type":"work"},{"value":"home@example.com"}]},
				         "NickName":{"$absent":true}}`},
			{name: "booleans as strings (Entra)",
				ops:    `[{"op":"Replace","path":"active","value":"False"},{"op":"Replace","path":"emails[type eq \"work\"].primary","value":"True"}]`,
				expect: `{"active":false,"emails":[{"type":"work","primary":true}]}`},
			{name: "roles as JSON in a string (Entra)",
				ops:    `[{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"25\",\"displayName\":\"Role1234\"}"}]}]`,
				expect: `{"roles":{"$len":1}}`},
			{name: "atomic: a failing operation applies none",
				ops:    `[{"op":"replace","path":"nickName","value":"Changed"},{"op":"replace","path":"noSuchAttribute","value":"x"}]`,
				status: []int{400},
				expect: `{"nickName":"Nick"}`},
			{name: "atomic: an invalid value in the last operation applies none",
				ops:    `[{"op":"remove","path":"emails"},{"op":"replace","path":"active","value":"maybe"}]`,
				status: []int{400},
				expect: `{"emails":{"$len":2}}`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				u := s.createUser(t, "p."+randomHex(4)+"@example.com", start)
				path := "/scim/v2/Users/" + jstr(u, "id")
				var ops []any
				if err := json.Unmarshal([]byte(c.ops), &ops); err != nil {
					t.Fatalf("bad ops: %v", err)
				}
				r := s.do(t, "PATCH", path, map[string]any{"schemas": []string{patchSchema}, "Operations": ops})
				want := statusSet(c.status)
				if len(want) == 0 {
					want = statusSet{200, 204}
				}
				if !want.has(r.Status) {
					t.Fatalf("PATCH: %d, want %v\n%s", r.Status, []int(want), r.Body)
				}
				got := s.must(t, http.StatusOK, "GET", path, nil).JSON(t)
				if r.Status == http.StatusOK {
					// The PATCH response is the resource as a GET shows it.
					pr := r.JSON(t)
					if jstr(pr, "meta.version") != jstr(got, "meta.version") {
						t.Errorf("PATCH response version %q, GET %q", jstr(pr, "meta.version"), jstr(got, "meta.version"))
					}
				}
				if r.Status >= 400 {
					mustSCIMError(t, r, r.Status)
					if jstr(got, "meta.version") != jstr(u, "meta.version") {
						t.Errorf("failed PATCH changed the version")
					}
				}
				expectJSON(t, got, c.expect)
				primaries := 0
				for _, e := range lookupAll(got, "emails.*.primary") {
					if e == true {
						primaries++
					}
				}
				if primaries > 1 {
					t.Errorf("%d primary emails: %s", primaries, short(got["emails"]))
				}
				for k := range got {
					if strings.Contains(k, ".") && !strings.HasPrefix(k, "urn:") {
						t.Errorf("literal dotted key %q stored", k)
					}
				}
			})
		}
	})
}

// TestGroupPatchResponse: a membership PATCH answers 204 without a body,
// or 200 with the resource when the client asks for attributes.
func TestGroupPatchResponse(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		ids := s.seedUsers(t, "gpr", 3, nil)
		g := s.createGroup(t, "Patch Response")
		path := "/scim/v2/Groups/" + jstr(g, "id")
		add := func(id string) map[string]any {
			return patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}})
		}
		r := s.do(t, "PATCH", path, add(ids[0]))
		if r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Errorf("membership PATCH: %d %q, want 204 without body", r.Status, r.Body)
		}
		r = s.must(t, http.StatusOK, "PATCH", path+q("attributes", "members"), add(ids[1]))
		expectJSON(t, r.JSON(t), `{"id":"`+jstr(g, "id")+`","members":{"$exact":[{"value":"`+ids[0]+`"},{"value":"`+ids[1]+`"}]}}`)
		r = s.must(t, http.StatusOK, "PATCH", path+q("attributes", "displayName"), add(ids[2]))
		m := r.JSON(t)
		expectJSON(t, m, `{"displayName":"Patch Response"}`)
		if _, ok := m["members"]; ok {
			t.Errorf("attributes=displayName returned members")
		}
		if et := r.Header.Get("ETag"); et == "" || et != jstr(s.must(t, http.StatusOK, "GET", path, nil).JSON(t), "meta.version") {
			t.Errorf("ETag %q does not match the stored version", et)
		}
	})
}
