package test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/password"
	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/scim/bulk"
)

// Tenant snapshots (SPEC §9): GET /scim/v2/.export and
// POST /scim/v2/.import?mode=ignore|update|fail, and the offline
// `scimd tenant export|import`.

const (
	snapHashKey = "urn:scimd:snapshot:passwordHash"
	hrURN       = "urn:example:params:scim:schemas:extension:hr:2.0:User"
	snapPW      = "S3cret!pw"
)

// snapDoc is a decoded snapshot, keyed for comparison: users and groups
// by id, each group's members as a sorted list of "type:value".
type snapDoc struct {
	header map[string]any
	users  map[string]map[string]any
	groups map[string]map[string]any
	order  []string // user ids, then group ids, in document order
}

func parseSnap(t testing.TB, raw []byte) snapDoc {
	t.Helper()
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("snapshot is not JSON: %v\n%s", err, impCut(string(raw), 2000))
	}
	s := snapDoc{header: map[string]any{}, users: map[string]map[string]any{}, groups: map[string]map[string]any{}}
	for k, v := range doc {
		if k != "users" && k != "groups" {
			s.header[k] = v
		}
	}
	for _, u := range doc["users"].([]any) {
		m := u.(map[string]any)
		id := m["id"].(string)
		s.users[id] = m
		s.order = append(s.order, id)
	}
	for _, g := range doc["groups"].([]any) {
		m := g.(map[string]any)
		var ms []string
		for _, x := range m["members"].([]any) {
			mm := x.(map[string]any)
			ms = append(ms, fmt.Sprint(mm["type"], ":", mm["value"]))
		}
		sort.Strings(ms)
		m["members"] = ms
		id := m["id"].(string)
		s.groups[id] = m
		s.order = append(s.order, id)
	}
	return s
}

// diffSnap lists how b differs from a. "tenant" and "exportedAt" are the
// only members allowed to differ between snapshots of equal tenants.
func diffSnap(a, b snapDoc) []string {
	var out []string
	for _, k := range []string{"schemas", "version", "customSchemas"} {
		if !reflect.DeepEqual(a.header[k], b.header[k]) {
			out = append(out, fmt.Sprintf("header %s: %v vs %v", k, a.header[k], b.header[k]))
		}
	}
	for _, k := range impSortedKeys(b.header) {
		if _, ok := a.header[k]; !ok {
			out = append(out, "header member only in the second: "+k)
		}
	}
	cmp := func(what string, x, y map[string]map[string]any) {
		for id, r := range x {
			r2, ok := y[id]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s %s missing", what, id))
			case !reflect.DeepEqual(r, r2):
				ra, _ := json.Marshal(r)
				rb, _ := json.Marshal(r2)
				out = append(out, fmt.Sprintf("%s %s differs:\n  %s\n  %s", what, id, ra, rb))
			}
		}
		for id := range y {
			if _, ok := x[id]; !ok {
				out = append(out, fmt.Sprintf("%s %s is extra", what, id))
			}
		}
	}
	cmp("user", a.users, b.users)
	cmp("group", a.groups, b.groups)
	return out
}

func (s *server) exportSnap(t testing.TB) ([]byte, snapDoc) {
	t.Helper()
	r := s.must(t, http.StatusOK, "GET", "/scim/v2/.export", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("export Content-Type %q", ct)
	}
	if r.Header.Get("X-Scimd-Job") == "" {
		t.Error("export without X-Scimd-Job")
	}
	return r.Body, parseSnap(t, r.Body)
}

func (s *server) importSnap(t testing.TB, params string, body []byte) *response {
	t.Helper()
	return s.do(t, "POST", "/scim/v2/.import"+params, body, "Content-Type", "application/json")
}

func (s *server) mustImportSnap(t testing.TB, params string, body []byte) map[string]any {
	t.Helper()
	r := s.importSnap(t, params, body)
	if r.Status != http.StatusNoContent {
		t.Fatalf("import%s: %d %s\n%s", params, r.Status, r.Body, s.logTail(20))
	}
	id := r.Header.Get("X-Scimd-Job")
	if id == "" {
		t.Fatal("import without X-Scimd-Job")
	}
	return s.must(t, http.StatusOK, "GET", "/scim/v2/Jobs/"+id, nil).JSON(t)
}

// seedSnapTenant fills the server's tenant with what a snapshot must
// carry: a password, the enterprise and a custom extension, several
// versions, a deactivated user, nested groups, an empty group.
func seedSnapTenant(t *testing.T, s *server) (alice, bob, carol string) {
	t.Helper()
	alice = s.createUser(t, "alice@example.com", map[string]any{
		"password": snapPW, "name": map[string]any{"givenName": "Alice", "familyName": "Liddell"},
		"emails":       []any{map[string]any{"value": "alice@example.com", "type": "work", "primary": true}, map[string]any{"value": "a@home.example"}},
		"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "mobile"}},
		entSchema:      map[string]any{"department": "R&D", "employeeNumber": "0042"},
		hrURN:          map[string]any{"badgeNumber": 7, "skills": []any{"go", "sql"}, "remote": true},
	})["id"].(string)
	bob = s.createUser(t, "bob@example.com", map[string]any{"active": false, "externalId": "ext-bob"})["id"].(string)
	carol = s.createUser(t, "carol@example.com", map[string]any{entSchema: map[string]any{"manager": map[string]any{"value": alice}}})["id"].(string)
	s.must(t, http.StatusOK, "PATCH", "/scim/v2/Users/"+bob, patchOps(map[string]any{"op": "replace", "path": "title", "value": "Builder"}))
	inner := s.createGroup(t, "Inner", bob)["id"].(string)
	outer := s.createGroup(t, "Outer", alice, inner)["id"].(string)
	s.createGroup(t, "Empty")
	s.must(t, http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+outer, patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": carol}}}))
	return alice, bob, carol
}

func TestSnapshotRoundTrip(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind, schemasDir: importSchemasDir})
		alice, _, carol := seedSnapTenant(t, s)
		rawA, a := s.exportSnap(t)
		if len(a.users) != 3 || len(a.groups) != 3 {
			t.Fatalf("snapshot of A: %d users, %d groups\n%s", len(a.users), len(a.groups), rawA)
		}
		if a.header["tenant"] != "default" || fmt.Sprint(a.header["version"]) != "1" {
			t.Errorf("header %v", a.header)
		}
		if cs, _ := a.header["customSchemas"].([]any); len(cs) != 1 || !strings.Contains(fmt.Sprint(cs[0]), hrURN) {
			t.Errorf("customSchemas %v", a.header["customSchemas"])
		}
		if a.users[alice]["groups"] != nil || a.users[alice]["password"] != nil {
			t.Errorf("a snapshot user carries no groups and no password: %v", a.users[alice])
		}
		if _, ok := a.users[carol][snapHashKey]; ok {
			t.Error("a user without password has no hash")
		}
		// Users come before groups, in id order.
		if i := slices.Index(a.order, alice); i != 0 {
			t.Errorf("order %v", a.order)
		}

		b := s.withToken(s.newTenant(t, "b-"+randomHex(4)))
		job := b.mustImportSnap(t, "", rawA)
		expectJobCounts(t, job, map[string]int{"total": 6, "processed": 6, "created": 6, "failed": 0, "membershipsAdded": 4})
		if job["type"] != "tenant-import" || job["status"] != "succeeded" || job["mode"] != "ignore" {
			t.Errorf("job %v", job)
		}
		_, bs := b.exportSnap(t)
		if d := diffSnap(a, bs); len(d) > 0 {
			t.Errorf("B's snapshot differs from A's:\n%s", strings.Join(d, "\n"))
		}
		// The migrated password still verifies.
		hash, _ := bs.users[alice][snapHashKey].(string)
		if ok, err := password.Verify(hash, snapPW); err != nil || !ok {
			t.Errorf("password.Verify(B's hash of alice) = %v, %v", ok, err)
		}
		if ok, _ := password.Verify(hash, "wrong"); ok {
			t.Error("a wrong password verifies")
		}
		// B serves the migrated resources like its own.
		u := b.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+alice, nil).JSON(t)
		expectJSON(t, u, `{"id":"`+alice+`","userName":"alice@example.com","groups":{"$len":1}}`)
		lr := b.list(t, "/scim/v2/Users"+q("filter", `emails.value eq "a@home.example"`))
		if ids := resourceIDs(lr); !slices.Equal(ids, []string{alice}) {
			t.Errorf("e-mail filter in B: %v", ids)
		}
		// A's export was recorded as a job of A.
		jobs := s.list(t, "/scim/v2/Jobs")
		if !strings.Contains(fmt.Sprint(lookupAll(jobs, "Resources.*.type")), "tenant-export") {
			t.Errorf("no tenant-export job in %v", lookupAll(jobs, "Resources.*.type"))
		}

		// The same snapshot re-serialised with sorted keys (groups before
		// users, the header last) restores the same tenant.
		c := s.withToken(s.newTenant(t, "c-"+randomHex(4)))
		expectJobCounts(t, c.mustImportSnap(t, "", editSnap(t, rawA, func(map[string]any) {})), map[string]int{"created": 6, "failed": 0})
		if _, cs := c.exportSnap(t); len(diffSnap(a, cs)) > 0 {
			t.Errorf("a key-sorted snapshot restores differently:\n%s", strings.Join(diffSnap(a, cs), "\n"))
		}

		// A server without the custom schema refuses the snapshot, naming
		// it, and writes nothing.
		other := startServer(t, serverOpts{kind: kind})
		r := other.importSnap(t, "", rawA)
		mustSCIMError(t, r, http.StatusBadRequest)
		if !strings.Contains(string(r.Body), hrURN) {
			t.Errorf("the refusal does not name %s: %s", hrURN, r.Body)
		}
		if n := other.impUserCount(t); n != 0 {
			t.Errorf("%d users written by a refused import", n)
		}
		if n := other.impJobCount(t); n != 0 {
			t.Errorf("a refused import left %d jobs", n)
		}
	})
}

// overlapTenant is a tenant B that overlaps A's snapshot: its own bob
// (same userName, another id), A's alice, carol and groups restored
// earlier and changed since (alice's title; alice removed from Outer).
func overlapTenant(t *testing.T, s *server, rawA []byte, alice, outer string) (*server, string) {
	t.Helper()
	b := s.withToken(s.newTenant(t, "o-"+randomHex(4)))
	bBob := b.createUser(t, "BOB@example.com", map[string]any{"title": "B's own bob"})["id"].(string)
	job := b.mustImportSnap(t, "?mode=ignore", rawA)
	expectJobCounts(t, job, map[string]int{"created": 5, "skipped": 1})
	b.must(t, http.StatusOK, "PATCH", "/scim/v2/Users/"+alice, patchOps(map[string]any{"op": "replace", "path": "title", "value": "changed in B"}))
	b.must(t, http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+outer, patchOps(map[string]any{"op": "remove", "path": `members[value eq "` + alice + `"]`}))
	return b, bBob
}

func TestSnapshotModes(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind, schemasDir: importSchemasDir})
		alice, bob, _ := seedSnapTenant(t, s)
		rawA, a := s.exportSnap(t)
		var outer string
		for id, g := range a.groups {
			if g["displayName"] == "Outer" {
				outer = id
			}
		}

		t.Run("ignore", func(t *testing.T) {
			b, bBob := overlapTenant(t, s, rawA, alice, outer)
			_, before := b.exportSnap(t)
			job := b.mustImportSnap(t, "?mode=ignore", rawA)
			expectJobCounts(t, job, map[string]int{"total": 6, "skipped": 6, "created": 0, "updated": 0, "failed": 0})
			_, after := b.exportSnap(t)
			if d := diffSnap(before, after); len(d) > 0 {
				t.Errorf("mode=ignore changed B:\n%s", strings.Join(d, "\n"))
			}
			if after.users[bBob]["title"] != "B's own bob" || after.users[alice]["title"] != "changed in B" {
				t.Errorf("B's versions were not kept")
			}
			// The first import mapped A's bob onto B's own bob in A's
			// groups.
			if ms := after.groups[findGroup(t, after, "Inner")]["members"]; !slices.Equal(ms.([]string), []string{"User:" + bBob}) {
				t.Errorf("Inner in B: %v", ms)
			}
		})

		t.Run("fail", func(t *testing.T) {
			b, _ := overlapTenant(t, s, rawA, alice, outer)
			_, before := b.exportSnap(t)
			jobsBefore := b.impJobCount(t)
			r := b.importSnap(t, "?mode=fail", rawA)
			mustSCIMError(t, r, http.StatusConflict, "uniqueness")
			detail := fmt.Sprint(r.JSON(t)["detail"])
			for _, want := range []string{"6 records conflict", "nothing was written", alice, "bob@example.com", "userName"} {
				if !strings.Contains(detail, want) {
					t.Errorf("the 409 detail does not mention %q: %s", want, detail)
				}
			}
			_, after := b.exportSnap(t)
			if d := diffSnap(before, after); len(d) > 0 {
				t.Errorf("mode=fail wrote:\n%s", strings.Join(d, "\n"))
			}
			job := b.must(t, http.StatusOK, "GET", "/scim/v2/Jobs/"+r.Header.Get("X-Scimd-Job"), nil).JSON(t)
			if job["status"] != "failed" || !strings.Contains(fmt.Sprint(job["error"]), "conflict") || b.impJobCount(t) != jobsBefore+2 {
				t.Errorf("fail job %v", job)
			}
			// Into an empty tenant, mode=fail imports everything.
			c := s.withToken(s.newTenant(t, "f-"+randomHex(4)))
			expectJobCounts(t, c.mustImportSnap(t, "?mode=fail", rawA), map[string]int{"created": 6})
		})

		t.Run("update", func(t *testing.T) {
			b, bBob := overlapTenant(t, s, rawA, alice, outer)
			_, before := b.exportSnap(t)
			job := b.mustImportSnap(t, "?mode=update", rawA)
			// alice (title) and bob (B's own, overwritten) are updated,
			// Outer gets alice back; carol, Inner, Empty are unchanged.
			expectJobCounts(t, job, map[string]int{"total": 6, "updated": 3, "unchanged": 3, "failed": 0})
			_, after := b.exportSnap(t)
			ua, aa := after.users[alice], a.users[alice]
			if ua["title"] != aa["title"] || ua[snapHashKey] != aa[snapHashKey] {
				t.Errorf("alice not overwritten: %v", ua)
			}
			if v, v0 := metaVersion(ua), metaVersion(before.users[alice]); v != v0+1 {
				t.Errorf("alice version %d after %d", v, v0)
			}
			ub := after.users[bBob]
			if ub["title"] != "Builder" || ub["active"] != false || ub["userName"] != "bob@example.com" {
				t.Errorf("B's bob not overwritten with A's bob: %v", ub)
			}
			if uuid := ub["urn:ietf:params:scim:schemas:extension:sap:2.0:User"].(map[string]any)["userUuid"]; uuid != bBob {
				t.Errorf("B's bob keeps its userUuid, got %v", uuid)
			}
			if _, ok := after.users[bob]; ok {
				t.Error("A's bob was created next to B's")
			}
			ms := after.groups[outer]["members"].([]string)
			if !slices.Contains(ms, "User:"+alice) {
				t.Errorf("Outer members after update %v", ms)
			}
			// Once more: nothing left to change.
			expectJobCounts(t, b.mustImportSnap(t, "?mode=update", rawA), map[string]int{"unchanged": 6})
		})
	})
}

// editSnap decodes a snapshot, lets edit change it and encodes it again
// (with sorted keys, as generic JSON tools write it).
func editSnap(t *testing.T, raw []byte, edit func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func firstUser(doc map[string]any) map[string]any { return doc["users"].([]any)[0].(map[string]any) }

func findGroup(t *testing.T, d snapDoc, name string) string {
	t.Helper()
	for id, g := range d.groups {
		if g["displayName"] == name {
			return id
		}
	}
	t.Fatalf("no group %q", name)
	return ""
}

func metaVersion(r map[string]any) int {
	var n int
	fmt.Sscanf(strings.Trim(strings.TrimPrefix(fmt.Sprint(r["meta"].(map[string]any)["version"]), "W/"), `"`), "%d", &n)
	return n
}

func TestSnapshotRefusals(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		s.createUser(t, "zed@example.com", nil)
		raw, _ := s.exportSnap(t)
		b := s.withToken(s.newTenant(t, "r-"+randomHex(4)))

		cut := raw[:len(raw)-20]
		for _, tc := range []struct {
			name, params string
			body         []byte
			status       int
			want         string
		}{
			{"truncated", "", cut, 400, "ends early"},
			{"not JSON", "", []byte("userName,emails\n"), 400, "invalid JSON"},
			{"not a snapshot", "", []byte(`{"Resources":[]}`), 400, "unknown member"},
			{"empty", "", nil, 400, "empty"},
			{"bad mode", "?mode=merge", raw, 400, "mode"},
			{"invalid record", "", editSnap(t, raw, func(d map[string]any) { firstUser(d)["nickName"] = map[string]any{"x": 1} }), 400, "nickName"},
			{"password", "", editSnap(t, raw, func(d map[string]any) { firstUser(d)["password"] = "x" }), 400, "never a password"},
			{"unknown attribute", "", editSnap(t, raw, func(d map[string]any) { firstUser(d)["shoeSize"] = "44" }), 400, "shoeSize"},
			{"unknown schema", "", editSnap(t, raw, func(d map[string]any) {
				d["customSchemas"] = []any{map[string]any{"id": "urn:acme:params:scim:schemas:extension:x:2.0:User",
					"attributes": []any{map[string]any{"name": "a", "type": "string"}}, "resourceType": "User"}}
			}), 400, "urn:acme:params:scim:schemas:extension:x:2.0:User"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := b.importSnap(t, tc.params, tc.body)
				mustSCIMError(t, r, tc.status)
				if !strings.Contains(string(r.Body), tc.want) {
					t.Errorf("refusal does not say %q: %s", tc.want, r.Body)
				}
			})
		}
		if n := b.impUserCount(t); n != 0 {
			t.Errorf("refused imports wrote %d users", n)
		}
		if n := b.impJobCount(t); n != 0 {
			t.Errorf("refused imports left %d jobs", n)
		}
		// Scope tenant:manage is required both ways.
		_, tok := s.newToken(t, "default", "users:read", "users:manage", "groups:read", "groups:manage")
		mustSCIMError(t, s.doToken(t, tok, "GET", "/scim/v2/.export", nil), http.StatusForbidden)
		mustSCIMError(t, s.doToken(t, tok, "POST", "/scim/v2/.import", raw), http.StatusForbidden)
		// A body over the import limit is a 413.
		small := startServer(t, serverOpts{kind: kind, extraArgs: []string{"--import-max-size", "100"}})
		mustSCIMError(t, small.importSnap(t, "", raw), http.StatusRequestEntityTooLarge, "tooMany")
	})
}

// TestSnapshotMissingMember: a member that is in neither the snapshot nor
// the target fails its group (reported), not the import.
func TestSnapshotMissingMember(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		u := s.createUser(t, "m@example.com", nil)["id"].(string)
		s.createGroup(t, "G", u)
		raw, _ := s.exportSnap(t)
		// Drop the user from the snapshot but keep the membership. (The
		// edited document has sorted keys: groups before users.)
		raw2 := editSnap(t, raw, func(d map[string]any) { d["users"] = []any{} })
		b := s.withToken(s.newTenant(t, "m-"+randomHex(4)))
		job := b.mustImportSnap(t, "", raw2)
		expectJobCounts(t, job, map[string]int{"total": 1, "processed": 1, "failed": 1, "membershipsAdded": 0})
		rep := b.report(t, fmt.Sprint(job["id"]))
		if len(rep) != 1 || rep[0].Status != "failed" || !strings.Contains(rep[0].Error, u) {
			t.Errorf("report %+v", rep)
		}
		if n := b.totalResults(t, "/scim/v2/Groups?count=0"); n != 1 {
			t.Errorf("the group itself is restored: %d groups", n)
		}
	})
}

// TestSnapshotCLI: `scimd tenant export NAME > snap.json` and
// `scimd tenant import NAME snap.json --mode …` on the database directly.
func TestSnapshotCLI(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind, schemasDir: importSchemasDir})
		alice, _, _ := seedSnapTenant(t, s)
		_, a := s.exportSnap(t)
		db := []string{"--database", s.DSN, "--schemas-dir", importSchemasDir}
		dir := t.TempDir()

		out := runCLI(t, nil, append([]string{"tenant", "export", "default"}, db...)...)
		if out.code != 0 {
			t.Fatalf("tenant export: %d %s", out.code, out.stderr)
		}
		if d := diffSnap(a, parseSnap(t, []byte(out.stdout))); len(d) > 0 {
			t.Errorf("CLI export differs from the HTTP export:\n%s", strings.Join(d, "\n"))
		}
		file := writeFile(t, dir, "snap.json", out.stdout)

		name := "cli-" + randomHex(4)
		if r := runCLI(t, nil, append([]string{"tenant", "create", name}, db...)...); r.code != 0 {
			t.Fatalf("tenant create: %s", r.stderr)
		}
		r := runCLI(t, nil, append([]string{"tenant", "import", name, file, "--mode", "fail"}, db...)...)
		if r.code != 0 || !strings.Contains(r.stderr, "created 6") {
			t.Fatalf("tenant import: %d\n%s", r.code, r.stderr)
		}
		r = runCLI(t, nil, append([]string{"tenant", "export", name}, db...)...)
		if d := diffSnap(a, parseSnap(t, []byte(r.stdout))); len(d) > 0 {
			t.Errorf("the CLI-imported tenant differs:\n%s", strings.Join(d, "\n"))
		}
		// The same again with mode=fail: every record conflicts, exit 2.
		r = runCLI(t, nil, append([]string{"tenant", "import", name, file, "--mode", "fail"}, db...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "6 records conflict") || !strings.Contains(r.stderr, alice) {
			t.Errorf("mode=fail again: %d\n%s", r.code, r.stderr)
		}
		// Standard input, mode=ignore.
		cmd := append([]string{"tenant", "import", name, "-", "--mode", "ignore"}, db...)
		r = runCLIStdin(t, file, cmd...)
		if r.code != 0 || !strings.Contains(r.stderr, "skipped 6") {
			t.Errorf("import from stdin: %d\n%s", r.code, r.stderr)
		}
		// Offline imports are recorded as jobs of the tenant, too.
		_, tok := s.newToken(t, name, "tenant:manage")
		jobs := s.withToken(tok).list(t, "/scim/v2/Jobs")
		if got := fmt.Sprint(lookupAll(jobs, "Resources.*.type")); strings.Count(got, "tenant-import") != 3 {
			t.Errorf("jobs of %s: %s", name, got)
		}
		if _, err := os.Stat(filepath.Join(dir, "snap.json")); err != nil {
			t.Fatal(err)
		}
	})
}

// runCLIStdin runs scimd with file as its standard input.
func runCLIStdin(t *testing.T, file string, args ...string) cliResult {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, &out, &errb
	err = cmd.Run()
	r := cliResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("scimd %v: %v", args, err)
	}
	return r
}

// TestSnapshotClientGone: a client that disconnects during the restore
// stops it between two chunks: the committed chunks (bulk.DefaultChunkSize
// users each) stay, nothing half-done, and the job is recorded failed.
func TestSnapshotClientGone(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		const n = 30_000
		var buf bytes.Buffer
		buf.WriteString(`{"schemas":["urn:scimd:api:messages:2.0:TenantSnapshot"],"version":1,"customSchemas":[],"users":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"id":"gone-%06d","userName":"gone%06d@example.com","emails":[{"value":"gone%06d@example.com","primary":true}]}`, i, i, i)
		}
		buf.WriteString(`],"groups":[]}`)
		b := s.withToken(s.newTenant(t, "gone-"+randomHex(4)))

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/scim/v2/.import", bytes.NewReader(buf.Bytes()))
			req.Header.Set("Authorization", "Bearer "+b.Token)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		deadline := time.Now().Add(time.Minute)
		for b.impUserCount(t) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no chunk committed within a minute")
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		<-done
		var job map[string]any
		for job == nil {
			if time.Now().After(deadline) {
				t.Fatalf("no job recorded:\n%s", s.logTail(20))
			}
			lr := b.list(t, "/scim/v2/Jobs")
			if rs, _ := lr["Resources"].([]any); len(rs) > 0 {
				job = rs[0].(map[string]any)
			}
			time.Sleep(20 * time.Millisecond)
		}
		got := b.impUserCount(t)
		if got == n {
			t.Skipf("the import finished before the disconnect was noticed (%d users)", got)
		}
		if got%bulk.DefaultChunkSize != 0 {
			t.Errorf("%d users: not a whole number of chunks", got)
		}
		if job["status"] != "failed" || !strings.Contains(fmt.Sprint(job["error"]), "client closed") || fmt.Sprint(job["created"]) != fmt.Sprint(got) {
			t.Errorf("job after the disconnect (%d users stored): %v", got, job)
		}
	})
}
