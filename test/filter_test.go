package test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// TestFilters: every RFC 7644 operator, logical operators and grouping,
// complex value filters, the caseExact rules (userName case-insensitive,
// externalId case-exact), meta timestamps, enterprise attributes and
// id eq, through GET and POST /.search. Each case names the exact set of
// users (a, b, c, d) it must return.
func TestFilters(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		ids := map[string]string{}
		mk := func(letter string, body map[string]any) {
			u := s.must(t, http.StatusCreated, "POST", "/scim/v2/Users", body).JSON(t)
			ids[letter] = jstr(u, "id")
		}
		both := []string{userSchema, entSchema}
		mk("a", map[string]any{"schemas": both, "userName": "alice@example.com", "externalId": "Ext-A",
			"name": map[string]any{"givenName": "Alice", "familyName": "Anders"}, "title": "Engineer", "nickName": "Al", "active": true,
			"emails":  []any{map[string]any{"type": "work", "value": "alice@x.com", "primary": true}, map[string]any{"type": "home", "value": "alice@home.org"}},
			entSchema: map[string]any{"employeeNumber": "100", "department": "Eng"}})
		mk("b", map[string]any{"schemas": both, "userName": "Bob@Example.com", "externalId": "ext-b",
			"name": map[string]any{"givenName": "Bob", "familyName": "Brown"}, "title": "Manager", "active": false,
			"emails":  []any{map[string]any{"type": "work", "value": "bob@corp.com"}},
			entSchema: map[string]any{"employeeNumber": "200", "department": "Sales"}})
		mk("c", map[string]any{"schemas": both, "userName": "carol@sample.org", "externalId": "EXT-C",
			"name": map[string]any{"givenName": "Carol", "familyName": "Clark"}, "active": true,
			"emails":  []any{map[string]any{"type": "home", "value": "carol@x.com"}},
			entSchema: map[string]any{"department": "Eng"}})
		mk("d", map[string]any{"schemas": []string{userSchema}, "userName": "dave@example.com",
			"name": map[string]any{"givenName": "Dave"}, "title": "engineer", "active": true})

		// A timestamp strictly between the creations and a later update of b.
		time.Sleep(20 * time.Millisecond)
		midT := time.Now().UTC()
		mid := midT.Format(time.RFC3339Nano)
		// The same instant written with a +02:00 offset.
		midPlus2 := midT.In(time.FixedZone("", 2*3600)).Format(time.RFC3339Nano)
		time.Sleep(20 * time.Millisecond)
		s.must(t, http.StatusOK, "PATCH", "/scim/v2/Users/"+ids["b"], patchOps(map[string]any{"op": "replace", "path": "nickName", "value": "Bobby"}))
		aCreated := jstr(s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+ids["a"], nil).JSON(t), "meta.created")

		ent := entSchema + ":"
		cases := []struct{ filter, want string }{
			// eq and the case rules
			{`userName eq "alice@example.com"`, "a"},
			{`userName eq "ALICE@EXAMPLE.COM"`, "a"},
			{`userName eq "bob@example.com"`, "b"},
			{`externalId eq "Ext-A"`, "a"},
			{`externalId eq "ext-a"`, ""},
			{`externalId eq "EXT-C"`, "c"},
			{`name.givenName eq "alice"`, "a"},
			{`title eq "engineer"`, "ad"},
			{`active eq false`, "b"},
			{`active eq true`, "acd"},
			{`id eq "` + ids["c"] + `"`, "c"},
			{`id eq "no-such-id"`, ""},
			// the other operators
			{`userName ne "alice@example.com"`, "bcd"},
			{`userName co "EXAMPLE"`, "abd"},
			{`externalId co "xt-"`, "ab"},
			{`userName sw "BOB"`, "b"},
			{`externalId sw "ext"`, "b"},
			{`userName ew ".ORG"`, "c"},
			{`title pr`, "abd"},
			{`externalId pr`, "abc"},
			{`emails pr`, "abc"},
			{`name.familyName gt "B"`, "bc"},
			{`name.familyName ge "brown"`, "bc"},
			{`name.familyName lt "Brown"`, "a"},
			{`name.familyName le "brown"`, "ab"},
			{`userName gt "c"`, "cd"},
			{`meta.lastModified gt "` + mid + `"`, "b"},
			{`meta.lastModified lt "` + mid + `"`, "acd"},
			{`meta.created ge "` + aCreated + `"`, "abcd"},
			{`meta.lastModified gt "` + midPlus2 + `"`, "b"},
			{`meta.lastModified le "` + midPlus2 + `"`, "acd"},
			{`meta.created gt "` + mid + `"`, ""},
			// logical operators and grouping
			{`userName sw "a" or userName sw "c"`, "ac"},
			{`userName co "example" and active eq true`, "ad"},
			{`(userName sw "a" or userName sw "b") and active eq true`, "a"},
			{`userName sw "a" or (userName sw "b" and active eq true)`, "a"},
			{`not (userName co "example")`, "c"},
			{`not (active eq true)`, "b"},
			{`title pr and not (title eq "manager")`, "ad"},
			{`userName eq "alice@example.com" and externalId eq "Ext-A"`, "a"},
			// case-insensitive attribute names and operators
			{`USERNAME EQ "alice@example.com"`, "a"},
			{`userName Sw "dave" Or userName sw "carol"`, "cd"},
			// complex and multi-valued attributes
			{`emails[type eq "work" and value co "@x"]`, "a"},
			{`emails[type eq "home"]`, "ac"},
			{`emails[type eq "work"].value eq "bob@corp.com"`, "b"},
			{`emails.value eq "BOB@corp.com"`, "b"},
			{`emails.type eq "work"`, "ab"},
			{`emails.value ew "x.com"`, "ac"},
			{`emails[value sw "carol" or type eq "work"]`, "abc"},
			{`emails[not (type eq "work")]`, "ac"},
			{`active eq true and emails[type eq "work"]`, "a"},
			{`emails.primary eq true`, "a"},
			{`emails[primary eq true]`, "a"},
			{`not (emails pr)`, "d"},
			{`name.familyName pr`, "abc"},
			// several matching values must not duplicate a user
			{`emails.value co "@"`, "abc"},
			{`emails[value co "o"]`, "abc"},
			{`emails.type pr`, "abc"},
			{`userName eq "alice@example.com" or userName eq "ALICE@example.com"`, "a"},
			{`emails.value co "alice" or userName sw "alice"`, "a"},
			// enterprise extension
			{ent + `department eq "Eng"`, "ac"},
			{ent + `department eq "eng"`, "ac"},
			{ent + `employeeNumber gt "150"`, "b"},
			{ent + `employeeNumber pr`, "ab"},
			{`not (` + ent + `department eq "Eng")`, "bd"},
		}
		for _, c := range cases {
			want := []string{}
			for _, l := range c.want {
				want = append(want, ids[string(l)])
			}
			slices.Sort(want)
			check := func(t *testing.T, lr map[string]any) {
				t.Helper()
				got := resourceIDs(lr)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("filter %s: got %s, want %q", c.filter, letters(ids, got), c.want)
				}
				if tr := jget(lr, "totalResults"); tr != float64(len(want)) {
					t.Errorf("filter %s: totalResults %v, want %d", c.filter, tr, len(want))
				}
			}
			t.Run(c.filter, func(t *testing.T) {
				r := s.do(t, "GET", "/scim/v2/Users"+q("filter", c.filter, "count", "100"), nil)
				if r.Status != http.StatusOK {
					t.Errorf("GET: %d %s", r.Status, r.Body)
				} else {
					check(t, r.JSON(t))
				}
				r = s.do(t, "POST", "/scim/v2/Users/.search", map[string]any{"schemas": []string{searchSchema}, "filter": c.filter})
				if r.Status != http.StatusOK {
					t.Errorf(".search: %d %s", r.Status, r.Body)
				} else {
					check(t, r.JSON(t))
				}
			})
		}

		// Groups: displayName is case-insensitive, members.value filters.
		g1 := s.createGroup(t, "Sales Team", ids["a"], ids["b"])
		g2 := s.createGroup(t, "Support", ids["c"])
		gids := map[string]string{"1": jstr(g1, "id"), "2": jstr(g2, "id")}
		gcases := []struct{ filter, want string }{
			{`displayName eq "sales team"`, "1"},
			{`displayName eq "SUPPORT"`, "2"},
			{`displayName sw "s"`, "12"},
			{`displayName co "team"`, "1"},
			{`members.value eq "` + ids["c"] + `"`, "2"},
			{`members[value eq "` + ids["a"] + `"]`, "1"},
			{`members pr`, "12"},
			{`id eq "` + gids["2"] + `"`, "2"},
			{`displayName eq "nothing"`, ""},
		}
		for _, c := range gcases {
			t.Run("Groups/"+c.filter, func(t *testing.T) {
				lr := s.list(t, "/scim/v2/Groups"+q("filter", c.filter))
				got := resourceIDs(lr)
				var want []string
				for _, l := range c.want {
					want = append(want, gids[string(l)])
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("filter %s: got %v, want %v", c.filter, got, want)
				}
			})
		}
	})
}

// letters maps ids back to the case letters for readable failures.
func letters(ids map[string]string, got []string) string {
	var b strings.Builder
	for _, id := range got {
		found := false
		for l, v := range ids {
			if v == id {
				b.WriteString(l)
				found = true
			}
		}
		if !found {
			b.WriteString("?")
		}
	}
	return `"` + b.String() + `"`
}
