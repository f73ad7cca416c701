package bulk_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/store"
)

// create runs one POST and returns the new id.
func (e *env) create(t *testing.T, path, data string) string {
	t.Helper()
	rs := e.do(bulk.RunOptions{}, op("POST", path, "seed", data))
	if rs[0].Err != nil || rs[0].Status != http.StatusCreated {
		t.Fatalf("seed POST %s: %s (%v)", path, outcome(rs[0]), rs[0].Err)
	}
	return rs[0].ID
}

// RFC 7644 §3.7.3, first example: POST, PUT, PATCH and DELETE of users,
// with versions.
func TestBulkRFCExample(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		bob := e.create(t, "/Users", userJSON("bob"))
		carol := e.create(t, "/Users", userJSON("carol", `"nickName":"cc"`))
		eve := e.create(t, "/Users", userJSON("eve"))
		rs := e.do(bulk.RunOptions{FailOnErrors: 1},
			// The RFC's example names a message URN as the User schema;
			// like the HTTP endpoint, the engine does not mind.
			op("POST", "/Users", "qwerty", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:User"],"userName":"Alice"}`),
			bulk.Op{Method: "PUT", Path: "/Users/" + bob, Version: `W/"1"`,
				Data: []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"` + bob + `","userName":"Bob"}`)},
			bulk.Op{Method: "PATCH", Path: "/Users/" + carol, Version: `W/"1"`,
				Data: []byte(patchHead + `[{"op":"remove","path":"nickName"},{"op":"replace","path":"userName","value":"Dave"}]}`)},
			bulk.Op{Method: "DELETE", Path: "/Users/" + eve, Version: `W/"1"`},
		)
		wantOutcomes(t, rs, "201", "200", "200", "204")
		want := []struct {
			method, bulkID, id string
			version            int64
		}{
			{"POST", "qwerty", rs[0].ID, 1}, {"PUT", "", bob, 2}, {"PATCH", "", carol, 2}, {"DELETE", "", eve, 0},
		}
		for i, w := range want {
			r := rs[i]
			if r.Method != w.method || r.BulkID != w.bulkID || r.ID != w.id || r.Version != w.version || r.Resource != bulk.Users {
				t.Errorf("operation %d: %+v, want method %s bulkId %q id %s version %d", i+1, r, w.method, w.bulkID, w.id, w.version)
			}
		}
		if u := e.user(t, rs[0].ID); u.UserName != "Alice" {
			t.Errorf("created userName %q", u.UserName)
		}
		if u := e.user(t, bob); u.UserName != "Bob" || u.Version != 2 {
			t.Errorf("PUT: userName %q version %d", u.UserName, u.Version)
		}
		if u := e.user(t, carol); u.UserName != "Dave" || string(u.Attrs) == "" || jsonHas(u.Attrs, "nickName") {
			t.Errorf("PATCH: %s %s", u.UserName, u.Attrs)
		}
		if _, err := e.st.GetUser(e.ctx, e.tenant, eve); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DELETE: user still there (%v)", err)
		}
	})
}

func jsonHas(raw []byte, key string) bool {
	m, err := store.DecodeAttrs(raw)
	if err != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// RFC 7644 §3.7.3 error examples: failOnErrors stops after that many
// errors; a stale version is a 412 for that operation only.
func TestBulkFailOnErrors(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		bob := e.create(t, "/Users", userJSON("bob"))
		e.create(t, "/Users", userJSON("alice"))
		rs := e.do(bulk.RunOptions{FailOnErrors: 2},
			op("POST", "/Users", "qwerty", userJSON("Alice")), // taken: 409
			bulk.Op{Method: "PUT", Path: "/Users/" + bob, Version: `W/"7"`, Data: []byte(userJSON("Bob"))},
			op("PATCH", "/Users/"+bob, "", patchHead+`[{"op":"replace","path":"displayName","value":"B"}]}`),
			op("DELETE", "/Users/"+bob, "", ""),
		)
		wantOutcomes(t, rs, "409 uniqueness", "412", "not run", "not run")
		if rs[1].ID != bob {
			t.Errorf("failed PUT id %q, want %s (for its location)", rs[1].ID, bob)
		}
		if u := e.user(t, bob); u.Version != 1 {
			t.Errorf("bob changed: version %d", u.Version)
		}

		// failOnErrors 1 with the first operation malformed: only it runs.
		rs = e.do(bulk.RunOptions{FailOnErrors: 1},
			op("POST", "/Users", "a", `["not an object"]`),
			op("POST", "/Users", "b", userJSON("b")),
		)
		wantOutcomes(t, rs, "400 invalidSyntax", "not run")
		if n := e.countUsers(t); n != 2 {
			t.Errorf("%d users, want 2", n)
		}
	})
}

// A batch of POST /Users that reaches failOnErrors in its middle applies
// nothing after the failing operation, even though the batch insert would
// have taken the later rows.
func TestBulkFailOnErrorsInBatch(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.create(t, "/Users", userJSON("taken"))
		rs := e.do(bulk.RunOptions{FailOnErrors: 2},
			op("POST", "/Users", "1", userJSON("u1")),
			op("POST", "/Users", "2", userJSON("TAKEN")),           // 409 (case-insensitive)
			op("POST", "/Users", "3", userJSON("u3")),              // ok
			op("POST", "/Users", "4", `{"userName":true,"x":1}`),   // 400
			op("POST", "/Users", "5", userJSON("u5")),              // not run
			op("POST", "/Users", "6", userJSON("u1")),              // not run (would be 409)
			op("POST", "/Groups", "7", groupJSON("g", "bulkId:1")), // not run
		)
		wantOutcomes(t, rs, "201", "409 uniqueness", "201", "400 invalidValue", "not run", "not run", "not run")
		if n := e.countUsers(t); n != 3 {
			t.Errorf("%d users, want 3 (taken, u1, u3)", n)
		}
		// Uniqueness inside one batch, without failOnErrors: per item.
		rs = e.do(bulk.RunOptions{},
			op("POST", "/Users", "a", userJSON("dup")),
			op("POST", "/Users", "b", userJSON("Dup")),
			op("POST", "/Users", "c", userJSON("u3")),
			op("POST", "/Users", "d", userJSON("fresh")),
		)
		wantOutcomes(t, rs, "201", "409 uniqueness", "409 uniqueness", "201")
	})
}

// RFC 7644 §3.7.2: a group's members reference a user created in the same
// request, backwards and forwards, and the enterprise manager and a path
// reference bulkIds too.
func TestBulkBulkIDReferences(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		rs := e.do(bulk.RunOptions{},
			op("POST", "/Users", "qwerty", userJSON("alice")),
			op("POST", "/Groups", "ytrewq", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Tour Guides",
				"members":[{"type":"User","value":"bulkId:qwerty"}]}`),
			// forward: the group references a user declared later
			op("POST", "/Groups", "fwd", groupJSON("Forward", "bulkId:later", "bulkId:qwerty")),
			op("POST", "/Users", "later", userJSON("bob", `"`+schemas.EnterpriseURN+`":{"manager":{"value":"bulkId:qwerty"}}`)),
			// a path reference and a PATCH value filter reference
			op("PATCH", "/Groups/bulkId:fwd", "", patchHead+`[{"op":"remove","path":"members[value eq \"bulkId:qwerty\"]"},
				{"op":"add","path":"members","value":[{"value":"bulkId:ytrewq"}]}]}`),
			op("PATCH", "/Users/bulkId:later", "", patchHead+`[{"op":"replace","path":"title","value":"Guide"}]}`),
		)
		wantOutcomes(t, rs, "201", "201", "201", "201", "200", "200")
		alice, tour, fwd, bob := rs[0].ID, rs[1].ID, rs[2].ID, rs[3].ID
		if m := e.members(t, tour); len(m) != 1 || m[alice] != store.MemberUser {
			t.Errorf("Tour Guides members %v, want alice %s", m, alice)
		}
		if m := e.members(t, fwd); len(m) != 2 || m[bob] != store.MemberUser || m[tour] != store.MemberGroup {
			t.Errorf("Forward members %v, want bob %s and Tour Guides %s", m, bob, tour)
		}
		u := e.user(t, bob)
		attrs, _ := u.AttrMap()
		ent, _ := attrs[schemas.EnterpriseURN].(map[string]any)
		mgr, _ := ent["manager"].(map[string]any)
		if mgr["value"] != alice || attrs["title"] != "Guide" {
			t.Errorf("bob: manager %v title %v, want manager %s", mgr, attrs["title"], alice)
		}
		if rs[4].ID != fwd || rs[4].Version != 2 || rs[5].ID != bob || rs[5].Version != 2 {
			t.Errorf("path references: %+v %+v", rs[4], rs[5])
		}
	})
}

// Unresolvable references fail their operation with invalidValue, not the
// request: an undeclared bulkId, the bulkId of a failed POST.
func TestBulkUnresolvedReferences(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		rs := e.do(bulk.RunOptions{},
			op("POST", "/Groups", "g1", groupJSON("G1", "bulkId:nope")),
			op("POST", "/Users", "bad", `{"userName":""}`),
			op("POST", "/Groups", "g2", groupJSON("G2", "bulkId:bad")),
			op("DELETE", "/Users/bulkId:bad", "", ""),
			op("POST", "/Users", "ok", userJSON("ok")),
			op("POST", "/Groups", "g3", groupJSON("G3", "bulkId:ok")),
		)
		wantOutcomes(t, rs, "400 invalidValue", "400 invalidValue", "400 invalidValue", "400 invalidValue", "201", "201")
		if n := e.countGroups(t); n != 1 {
			t.Errorf("%d groups, want 1", n)
		}
	})
}

// RFC 7644 §3.7.1: groups that are members of each other are created
// first and get their members after; a cycle that group members do not
// close fails with 409 invalidValue; a cycle succeeds or fails whole.
func TestBulkCircularReferences(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		rs := e.do(bulk.RunOptions{},
			op("POST", "/Groups", "ytrewq", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Group A",
				"members":[{"type":"Group","value":"bulkId:qwerty"}]}`),
			op("POST", "/Groups", "qwerty", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Group B",
				"members":[{"type":"Group","value":"bulkId:ytrewq"},{"value":"bulkId:u"}]}`),
			op("POST", "/Users", "u", userJSON("u")),
		)
		wantOutcomes(t, rs, "201", "201", "201")
		a, b, u := rs[0].ID, rs[1].ID, rs[2].ID
		if m := e.members(t, a); len(m) != 1 || m[b] != store.MemberGroup {
			t.Errorf("Group A members %v, want Group B %s", m, b)
		}
		if m := e.members(t, b); len(m) != 2 || m[a] != store.MemberGroup || m[u] != store.MemberUser {
			t.Errorf("Group B members %v, want Group A %s and u %s", m, a, u)
		}
		if rs[0].Version != 1 || rs[1].Version != 1 {
			t.Errorf("versions %d %d, want 1", rs[0].Version, rs[1].Version)
		}

		// Three groups in a ring, one of which fails: all three fail.
		rs = e.do(bulk.RunOptions{},
			op("POST", "/Groups", "x", groupJSON("X", "bulkId:y")),
			op("POST", "/Groups", "y", groupJSON("Group A", "bulkId:z")), // displayName taken
			op("POST", "/Groups", "z", groupJSON("Z", "bulkId:x")),
		)
		wantOutcomes(t, rs, "400 invalidValue", "409 uniqueness", "400 invalidValue")

		// Users that are each other's manager: not resolvable.
		mgr := func(ref string) string {
			return `"` + schemas.EnterpriseURN + `":{"manager":{"value":"bulkId:` + ref + `"}}`
		}
		rs = e.do(bulk.RunOptions{},
			op("POST", "/Users", "m1", userJSON("m1", mgr("m2"))),
			op("POST", "/Users", "m2", userJSON("m2", mgr("m1"))),
			op("POST", "/Users", "self", userJSON("self", mgr("self"))),
			op("POST", "/Groups", "gself", groupJSON("Self", "bulkId:gself")),
		)
		wantOutcomes(t, rs, "409 invalidValue", "409 invalidValue", "409 invalidValue", "400 invalidValue")
		if n := e.countGroups(t); n != 2 {
			t.Errorf("%d groups, want 2", n)
		}
		if n := e.countUsers(t); n != 1 {
			t.Errorf("%d users, want 1", n)
		}
	})
}

// Mixed success and failure, with the error kinds of the single-resource
// endpoints: schema validation, uniqueness, not found, bad paths and
// methods, a POST without bulkId, members that do not exist, versions.
func TestBulkMixed(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		bob := e.create(t, "/Users", userJSON("bob"))
		grp := e.create(t, "/Groups", groupJSON("Admins", bob))
		rs := e.do(bulk.RunOptions{},
			op("POST", "/Users", "1", userJSON("bob")),                                              // 409
			op("POST", "/Users", "2", `{"userName":"x","active":"maybe"}`),                          // elimity: 400 invalidValue
			op("POST", "/Users", "", userJSON("nobulkid")),                                          // 400 invalidValue
			op("POST", "/Users", "1", userJSON("dupbulkid")),                                        // 400 invalidValue
			op("GET", "/Users/"+bob, "", ""),                                                        // 400 invalidValue
			op("POST", "/Widgets", "w", `{}`),                                                       // 400 invalidValue
			op("PUT", "/Users", "", userJSON("x")),                                                  // 400 invalidValue
			op("PUT", "/Users/"+bob, "", ""),                                                        // 400 invalidSyntax (no data)
			op("PATCH", "/Users/"+bob, "", patchHead+`[{"op":"replace","path":"nope","value":1}]}`), // 400 invalidPath
			op("DELETE", "/Users/00000000-0000-0000-0000-000000000000", "", ""),                     // 404
			op("PATCH", "/Groups/00000000-0000-0000-0000-000000000000", "", patchHead+`[{"op":"add","path":"members","value":[{"value":"`+bob+`"}]}]}`), // 404
			op("POST", "/Groups", "g", groupJSON("G", "no-such-member")),                                                                                // 400 invalidValue
			bulk.Op{Method: "PATCH", Path: "/Groups/" + grp, Version: `W/"1"`, Data: []byte(patchHead + `[{"op":"replace","path":"displayName","value":"Root"}]}`)},
			bulk.Op{Method: "DELETE", Path: "/Groups/" + grp, Version: `W/"1"`},        // 412: the PATCH made it 2
			bulk.Op{Method: "delete", Path: "/Groups/" + grp, Version: `W/"2", W/"3"`}, // 204
			op("POST", "/Users", "ok", userJSON("fine", `"password":"s3cret"`)),        // 201
		)
		wantOutcomes(t, rs, "409 uniqueness", "400 invalidValue", "400 invalidValue", "400 invalidValue",
			"400 invalidValue", "400 invalidValue", "400 invalidValue", "400 invalidSyntax", "400 invalidPath",
			"404", "404", "400 invalidValue", "200", "412", "204", "201")
		if rs[14].Method != "DELETE" || rs[4].Method != "GET" {
			t.Errorf("methods %q %q", rs[14].Method, rs[4].Method)
		}
		if u := e.user(t, rs[15].ID); u.PasswordHash != "hashed:s3cret" {
			t.Errorf("password hash %q", u.PasswordHash)
		}
		if n := e.countUsers(t); n != 2 {
			t.Errorf("%d users, want 2", n)
		}
	})
}

// Authorization is per operation.
func TestBulkAuthorize(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		deny := errors.New("denied")
		noGroups := bulk.RunOptions{Authorize: func(res bulk.Resource) error {
			if res == bulk.Groups {
				return scimerrors.ScimError{Status: http.StatusForbidden, Detail: deny.Error()}
			}
			return nil
		}}
		rs := e.do(noGroups,
			op("POST", "/Users", "u", userJSON("u")),
			op("POST", "/Groups", "g", groupJSON("g", "bulkId:u")),
			op("POST", "/Users", "v", userJSON("v")),
			op("POST", "/Groups", "h", groupJSON("h", "bulkId:k")), // cycle with k: both fail
			op("POST", "/Groups", "k", groupJSON("k", "bulkId:h")),
		)
		wantOutcomes(t, rs, "201", "403", "201", "403", "400 invalidValue")
		if rs[1].Resource != bulk.Groups || rs[0].Resource != bulk.Users {
			t.Errorf("resources %v %v", rs[0].Resource, rs[1].Resource)
		}
	})
}

// Batching: many POST /Users commit in chunks; every result has its own id
// and version.
func TestBulkManyUsers(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		const n = 250
		ops := make([]bulk.Op, n)
		for i := range ops {
			ops[i] = op("POST", "/Users", fmt.Sprint(i), userJSON(fmt.Sprintf("user%03d", i),
				fmt.Sprintf(`"emails":[{"value":"u%d@example.com","primary":true}]`, i)))
		}
		rs := e.run.Run(e.ctx, e.tenant, ops, bulk.RunOptions{BatchSize: 100})
		seen := map[string]bool{}
		for i, r := range rs {
			if outcome(r) != "201" || r.Version != 1 || r.ID == "" || seen[r.ID] || r.BulkID != fmt.Sprint(i) {
				t.Fatalf("operation %d: %s %+v", i+1, outcome(r), r)
			}
			seen[r.ID] = true
		}
		if c := e.countUsers(t); c != n {
			t.Errorf("%d users, want %d", c, n)
		}
	})
}

// The HTTP layer's precheck runs on POST and PUT data as sent, before the
// schema validation; PATCH and DELETE do not get it.
func TestBulkPrecheck(t *testing.T) {
	e := newEnv(t, "sqlite")
	bob := e.create(t, "/Users", userJSON("bob"))
	r := bulk.NewRunner(e.eng)
	var seen []string
	r.Precheck = func(rt *schemas.ResourceType, data []byte) error {
		seen = append(seen, rt.Name+" "+string(data))
		if bytes.Contains(data, []byte("refuse")) {
			return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "refused"}
		}
		return nil
	}
	rs := r.Run(e.ctx, e.tenant, []bulk.Op{
		op("POST", "/Users", "a", userJSON("refuse")),
		op("POST", "/Users", "b", userJSON("ok")),
		op("POST", "/Groups", "g", groupJSON("G", "bulkId:b")),
		op("PUT", "/Users/"+bob, "", userJSON("refuse")),
		op("PATCH", "/Users/"+bob, "", patchHead+`[{"op":"replace","path":"title","value":"refuse"}]}`),
	}, bulk.RunOptions{})
	wantOutcomes(t, rs, "400 invalidValue", "201", "201", "400 invalidValue", "200")
	want := []string{"User " + userJSON("refuse"), "User " + userJSON("ok"), "Group " + groupJSON("G", "bulkId:b"), "User " + userJSON("refuse")}
	if !slices.Equal(seen, want) {
		t.Errorf("precheck saw %q, want %q", seen, want)
	}
}
