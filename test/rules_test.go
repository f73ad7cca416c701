package test

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// TestUniqueness: userName (differing only in case) and group displayName
// are unique per tenant: 409 with scimType uniqueness on POST, PUT and
// PATCH, and the failed request changes nothing.
func TestUniqueness(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		a := s.createUser(t, "Dup.User@Example.com", nil)
		b := s.createUser(t, "other.user@example.com", nil)
		bPath := "/scim/v2/Users/" + jstr(b, "id")
		ga := s.createGroup(t, "Finance")
		gb := s.createGroup(t, "Legal")
		gbPath := "/scim/v2/Groups/" + jstr(gb, "id")

		cases := []struct {
			name   string
			method string
			path   string
			body   any
			check  string // path to GET afterwards, must be unchanged
		}{
			{"POST same userName", "POST", "/scim/v2/Users", userBody("Dup.User@Example.com", nil), ""},
			{"POST userName differing in case", "POST", "/scim/v2/Users", userBody("dup.user@example.COM", nil), ""},
			{"PUT to a taken userName", "PUT", bPath, userBody("DUP.USER@EXAMPLE.COM", nil), bPath},
			{"PATCH to a taken userName", "PATCH", bPath, patchOps(map[string]any{"op": "replace", "path": "userName", "value": "dup.user@example.com"}), bPath},
			{"PATCH path-less to a taken userName", "PATCH", bPath, patchOps(map[string]any{"op": "replace", "value": map[string]any{"userName": "Dup.User@Example.com"}}), bPath},
			{"POST same group displayName", "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Finance"}, ""},
			{"POST group displayName differing in case", "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "FINANCE"}, ""},
			{"PUT group to a taken displayName", "PUT", gbPath, map[string]any{"schemas": []string{groupSchema}, "displayName": "Finance"}, gbPath},
			{"PATCH group rename to a taken displayName", "PATCH", gbPath, patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "finance"}), gbPath},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var before map[string]any
				if c.check != "" {
					before = s.must(t, http.StatusOK, "GET", c.check, nil).JSON(t)
				}
				r := s.do(t, c.method, c.path, c.body)
				mustSCIMError(t, r, http.StatusConflict, "uniqueness")
				if c.check != "" {
					after := s.must(t, http.StatusOK, "GET", c.check, nil).JSON(t)
					if jstr(after, "meta.version") != jstr(before, "meta.version") ||
						jstr(after, "userName") != jstr(before, "userName") || jstr(after, "displayName") != jstr(before, "displayName") {
						t.Errorf("a 409 changed the resource:\nbefore %s\nafter  %s", short(before), short(after))
					}
				}
			})
		}
		t.Run("only one of each exists", func(t *testing.T) {
			expectJSON(t, s.list(t, "/scim/v2/Users"+q("filter", `userName eq "dup.user@example.com"`)),
				`{"totalResults":1,"Resources":{"$exact":[{"id":"`+jstr(a, "id")+`"}]}}`)
			expectJSON(t, s.list(t, "/scim/v2/Groups"+q("filter", `displayName eq "finance"`)),
				`{"totalResults":1,"Resources":{"$exact":[{"id":"`+jstr(ga, "id")+`"}]}}`)
		})
		t.Run("renaming to its own name in another case is fine", func(t *testing.T) {
			r := s.do(t, "PATCH", "/scim/v2/Users/"+jstr(a, "id"), patchOps(map[string]any{"op": "replace", "path": "userName", "value": "dup.user@example.com"}))
			if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			got := s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+jstr(a, "id"), nil).JSON(t)
			if jstr(got, "userName") != "dup.user@example.com" {
				t.Errorf("userName %q", jstr(got, "userName"))
			}
		})
	})
}

// TestImmutableAttributes: id, meta and the derived groups are not
// client-settable: ignored on POST/PUT (readOnly, RFC 7643 §2.2) and a
// PATCH that targets them is 400 mutability.
func TestImmutableAttributes(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		g := s.createGroup(t, "Immutable")
		gid := jstr(g, "id")

		t.Run("POST ignores id, meta and groups", func(t *testing.T) {
			u := s.createUser(t, "post.ro@example.com", map[string]any{
				"id":     "client-chosen-id",
				"meta":   map[string]any{"created": "2001-01-01T00:00:00Z", "version": `W/"999"`, "location": "https://evil.example/x"},
				"groups": []any{map[string]any{"value": gid}},
			})
			if jstr(u, "id") == "client-chosen-id" {
				t.Errorf("client-chosen id accepted")
			}
			if strings.HasPrefix(jstr(u, "meta.created"), "2001") || jstr(u, "meta.version") == `W/"999"` || strings.Contains(jstr(u, "meta.location"), "evil") {
				t.Errorf("client meta accepted: %s", short(u["meta"]))
			}
			if jlen(u, "groups") != 0 {
				t.Errorf("groups set by the client: %s", short(u["groups"]))
			}
			gg := s.must(t, http.StatusOK, "GET", "/scim/v2/Groups/"+gid, nil).JSON(t)
			if jlen(gg, "members") != 0 {
				t.Errorf("POST /Users with groups made a membership: %s", short(gg["members"]))
			}
			s.must(t, http.StatusNotFound, "GET", "/scim/v2/Users/client-chosen-id", nil)
		})

		t.Run("PUT with another id keeps the id", func(t *testing.T) {
			u := s.createUser(t, "put.ro@example.com", nil)
			id := jstr(u, "id")
			other := s.createUser(t, "put.other@example.com", nil)
			for _, newID := range []string{"00000000-0000-0000-0000-000000000000", jstr(other, "id")} {
				r := s.must(t, http.StatusOK, "PUT", "/scim/v2/Users/"+id, userBody("put.ro@example.com", map[string]any{
					"id": newID, "displayName": "Put", "meta": map[string]any{"created": "2001-01-01T00:00:00Z"},
				}))
				got := r.JSON(t)
				if jstr(got, "id") != id || jstr(got, "meta.created") != jstr(u, "meta.created") {
					t.Errorf("PUT changed id/meta.created: %s", short(got))
				}
				s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+id, nil)
			}
			// the other user is untouched
			o := s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+jstr(other, "id"), nil).JSON(t)
			if jstr(o, "userName") != "put.other@example.com" || jstr(o, "meta.version") != jstr(other, "meta.version") {
				t.Errorf("PUT with the other user's id changed it: %s", short(o))
			}
			s.must(t, http.StatusNotFound, "GET", "/scim/v2/Users/00000000-0000-0000-0000-000000000000", nil)
		})

		t.Run("group PUT with another id keeps the id", func(t *testing.T) {
			r := s.must(t, http.StatusOK, "PUT", "/scim/v2/Groups/"+gid, map[string]any{
				"schemas": []string{groupSchema}, "id": "11111111-1111-1111-1111-111111111111", "displayName": "Immutable",
			})
			if jstr(r.JSON(t), "id") != gid {
				t.Errorf("group id changed: %s", r.Body)
			}
		})

		patches := []struct {
			name string
			op   map[string]any
		}{
			{"replace id", map[string]any{"op": "replace", "path": "id", "value": "22222222-2222-2222-2222-222222222222"}},
			{"replace meta.created", map[string]any{"op": "replace", "path": "meta.created", "value": "2001-01-01T00:00:00Z"}},
			{"add groups", map[string]any{"op": "add", "path": "groups", "value": []any{map[string]any{"value": gid}}}},
		}
		for _, p := range patches {
			t.Run("PATCH "+p.name, func(t *testing.T) {
				u := s.createUser(t, "patch.ro."+randomHex(3)+"@example.com", nil)
				path := "/scim/v2/Users/" + jstr(u, "id")
				r := s.do(t, "PATCH", path, patchOps(p.op))
				mustSCIMError(t, r, http.StatusBadRequest, "mutability")
				got := s.must(t, http.StatusOK, "GET", path, nil).JSON(t)
				if jstr(got, "meta.version") != jstr(u, "meta.version") || jstr(got, "meta.created") != jstr(u, "meta.created") || jlen(got, "groups") != 0 {
					t.Errorf("rejected PATCH changed the user: %s", short(got))
				}
			})
		}
	})
}

// TestPasswordWriteOnly: the password is accepted on POST, PUT and PATCH,
// never returned, and stored only as an argon2id/bcrypt hash.
func TestPasswordWriteOnly(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		plain := []string{"Plain-POST-" + randomHex(8), "Plain-PUT-" + randomHex(8), "Plain-PATCH-" + randomHex(8)}
		var responses []*response
		rec := func(r *response) *response { responses = append(responses, r); return r }

		u := rec(s.must(t, http.StatusCreated, "POST", "/scim/v2/Users", userBody("pw.user@example.com", map[string]any{"password": plain[0]}))).JSON(t)
		path := "/scim/v2/Users/" + jstr(u, "id")
		rec(s.must(t, http.StatusOK, "PUT", path, userBody("pw.user@example.com", map[string]any{"password": plain[1], "displayName": "PW"})))
		r := rec(s.do(t, "PATCH", path, patchOps(map[string]any{"op": "replace", "path": "password", "value": plain[2]})))
		if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
			t.Fatalf("PATCH password: %d %s", r.Status, r.Body)
		}
		rec(s.must(t, http.StatusOK, "GET", path, nil))
		rec(s.must(t, http.StatusOK, "GET", path+q("attributes", "password"), nil))
		rec(s.must(t, http.StatusOK, "GET", "/scim/v2/Users", nil))
		rec(s.must(t, http.StatusOK, "GET", "/scim/v2/Users"+q("attributes", "userName,password"), nil))
		rec(s.must(t, http.StatusOK, "POST", "/scim/v2/Users/.search", map[string]any{"schemas": []string{searchSchema}, "attributes": []string{"password"}}))
		for _, r := range responses {
			var doc any = r.JSON(t)
			if got := lookupAll(doc, "password"); len(got) > 0 {
				t.Errorf("password returned: %s", r.Body)
			}
			if got := lookupAll(doc, "Resources.*.password"); len(got) > 0 {
				t.Errorf("password returned in a list: %s", r.Body)
			}
			for _, p := range plain {
				if bytes.Contains(r.Body, []byte(p)) {
					t.Errorf("plaintext password %q in a response: %s", p, r.Body)
				}
			}
		}
		t.Run("filtering on password is refused or matches nothing", func(t *testing.T) {
			r := s.do(t, "GET", "/scim/v2/Users"+q("filter", `password eq "`+plain[2]+`"`), nil)
			if r.Status == http.StatusOK {
				expectJSON(t, r.JSON(t), `{"totalResults":0}`)
			} else {
				mustSCIMError(t, r, http.StatusBadRequest)
			}
		})
		t.Run("stored as a hash", func(t *testing.T) {
			dump := databaseText(t, kind, s.DSN)
			for _, p := range plain {
				if strings.Contains(dump, p) {
					t.Errorf("plaintext password %q stored in the database", p)
				}
			}
			if !strings.Contains(dump, "$argon2id$") && !strings.Contains(dump, "$2a$") && !strings.Contains(dump, "$2b$") {
				t.Errorf("no argon2id/bcrypt hash found in the database")
			}
		})
	})
}

// databaseText returns the database contents as text, to look for
// plaintext secrets: the SQLite files' bytes, or every scim_users row.
func databaseText(t *testing.T, kind testdb.Kind, dsn string) string {
	t.Helper()
	if kind == testdb.SQLite {
		var b strings.Builder
		for _, suffix := range []string{"", "-wal"} {
			raw, err := os.ReadFile(dsn + suffix)
			if err != nil && suffix == "" {
				t.Fatal(err)
			}
			b.Write(raw)
		}
		return b.String()
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SELECT t::text FROM scim_users t")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// TestDerivedGroups: User.groups is derived from memberships, with value,
// display and $ref, and follows adds, removals, renames and deletions.
func TestDerivedGroups(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		u := s.createUser(t, "member@example.com", nil)
		uid := jstr(u, "id")
		userPath := "/scim/v2/Users/" + uid
		g1 := s.createGroup(t, "Alpha", uid)
		g2 := s.createGroup(t, "Beta")
		g1id, g2id := jstr(g1, "id"), jstr(g2, "id")

		expectJSON(t, g1, `{"members":{"$exact":[{"value":"`+uid+`"}]}}`)
		expectJSON(t, s.must(t, http.StatusOK, "GET", userPath, nil).JSON(t),
			`{"groups":{"$exact":[{"value":"`+g1id+`","display":"Alpha","$ref":"`+s.URL+`/scim/v2/Groups/`+g1id+`"}]}}`)

		r := s.do(t, "PATCH", "/scim/v2/Groups/"+g2id, patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": uid}}}))
		if r.Status != http.StatusNoContent {
			t.Errorf("membership PATCH: %d, want 204", r.Status)
		}
		expectJSON(t, s.must(t, http.StatusOK, "GET", userPath, nil).JSON(t),
			`{"groups":{"$exact":[{"value":"`+g1id+`","display":"Alpha"},{"value":"`+g2id+`","display":"Beta"}]}}`)

		s.must(t, http.StatusOK, "PUT", "/scim/v2/Groups/"+g1id, map[string]any{"schemas": []string{groupSchema}, "displayName": "Alpha Renamed",
			"members": []any{map[string]any{"value": uid}}})
		expectJSON(t, s.must(t, http.StatusOK, "GET", userPath, nil).JSON(t),
			`{"groups":{"$exact":[{"value":"`+g1id+`","display":"Alpha Renamed"},{"value":"`+g2id+`"}]}}`)

		s.must(t, http.StatusNoContent, "DELETE", "/scim/v2/Groups/"+g2id, nil)
		expectJSON(t, s.must(t, http.StatusOK, "GET", userPath, nil).JSON(t), `{"groups":{"$exact":[{"value":"`+g1id+`"}]}}`)

		s.must(t, http.StatusOK, "PUT", "/scim/v2/Groups/"+g1id, map[string]any{"schemas": []string{groupSchema}, "displayName": "Alpha Renamed"})
		expectJSON(t, s.must(t, http.StatusOK, "GET", userPath, nil).JSON(t), `{"groups":{"$empty":true}}`)
		expectJSON(t, s.must(t, http.StatusOK, "GET", "/scim/v2/Groups/"+g1id, nil).JSON(t), `{"members":{"$empty":true}}`)

		t.Run("a member that does not exist is refused", func(t *testing.T) {
			r := s.do(t, "PATCH", "/scim/v2/Groups/"+g1id, patchOps(map[string]any{"op": "add", "path": "members",
				"value": []any{map[string]any{"value": "99999999-9999-9999-9999-999999999999"}}}))
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("adding a non-existent member: %d %s", r.Status, r.Body)
			}
			mustSCIMError(t, r, r.Status)
			expectJSON(t, s.must(t, http.StatusOK, "GET", "/scim/v2/Groups/"+g1id, nil).JSON(t), `{"members":{"$empty":true}}`)
			r = s.do(t, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Ghosts",
				"members": []any{map[string]any{"value": "99999999-9999-9999-9999-999999999999"}}})
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("creating a group with a non-existent member: %d %s", r.Status, r.Body)
			}
			mustSCIMError(t, r, r.Status)
		})
	})
}

// TestUnknownAttribute: an attribute no schema defines is either refused
// with a 400 SCIM error or dropped; it is never stored and echoed back.
func TestUnknownAttribute(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		r := s.do(t, "POST", "/scim/v2/Users", userBody("unknown.attr@example.com", map[string]any{"favouriteColour": "blue"}))
		switch r.Status {
		case http.StatusBadRequest:
			mustSCIMError(t, r, http.StatusBadRequest, "invalidValue", "invalidSyntax")
		case http.StatusCreated:
			m := r.JSON(t)
			if _, ok := m["favouriteColour"]; ok {
				t.Errorf("unknown attribute stored and returned: %s", r.Body)
			}
			got := s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+jstr(m, "id"), nil).JSON(t)
			if _, ok := got["favouriteColour"]; ok {
				t.Errorf("unknown attribute stored: %s", short(got))
			}
		default:
			t.Errorf("unknown attribute: %d %s", r.Status, r.Body)
		}
	})
}
