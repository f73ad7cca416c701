package test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// TestNonASCII: case-insensitive matching, uniqueness and sorting agree on
// both databases beyond ASCII (SQLite's built-in lower() is ASCII-only),
// and non-ASCII content and media-type variants round-trip.
func TestNonASCII(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		e1 := jstr(s.createUser(t, "Émile.Zola@Example.fr", map[string]any{
			"title": "Über-Engineer", "name": map[string]any{"givenName": "Émile", "familyName": "Zola"}}), "id")
		e2 := jstr(s.createUser(t, "emile.zola@example.fr", map[string]any{"title": "uber"}), "id")
		e3 := jstr(s.createUser(t, "Ωmega@example.gr", map[string]any{"title": "ΣΟΦΊΑ"}), "id")
		cases := []struct {
			filter string
			want   []string
		}{
			{`userName eq "émile.zola@example.fr"`, []string{e1}},
			{`userName eq "ÉMILE.ZOLA@EXAMPLE.FR"`, []string{e1}},
			{`userName sw "emile"`, []string{e2}},
			{`userName sw "ÉMILE"`, []string{e1}},
			{`userName co "ωMEGA"`, []string{e3}},
			{`title sw "über"`, []string{e1}},
			{`title co "ÜBER-ENG"`, []string{e1}},
			{`title eq "σοφία"`, []string{e3}},
			{`name.givenName eq "ÉMILE"`, []string{e1}},
			{`title eq "UBER"`, []string{e2}},
		}
		for _, c := range cases {
			t.Run(c.filter, func(t *testing.T) {
				got := resourceIDs(s.list(t, "/scim/v2/Users"+q("filter", c.filter)))
				slices.Sort(got)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
		t.Run("uniqueness ignores non-ASCII case", func(t *testing.T) {
			mustSCIMError(t, s.do(t, "POST", "/scim/v2/Users", userBody("émile.zola@EXAMPLE.fr", nil)), http.StatusConflict, "uniqueness")
			mustSCIMError(t, s.do(t, "POST", "/scim/v2/Users", userBody("ΩMEGA@example.gr", nil)), http.StatusConflict, "uniqueness")
			s.createGroup(t, "Ärzte")
			mustSCIMError(t, s.do(t, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "ÄRZTE"}),
				http.StatusConflict, "uniqueness")
			expectJSON(t, s.list(t, "/scim/v2/Groups"+q("filter", `displayName eq "ärzte"`)), `{"totalResults":1}`)
		})
		t.Run("round trip", func(t *testing.T) {
			u := s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+e3, nil).JSON(t)
			expectJSON(t, u, `{"userName":"Ωmega@example.gr","title":"ΣΟΦΊΑ"}`)
		})
		t.Run("media types", func(t *testing.T) {
			for i, ct := range []string{"application/scim+json", "application/json", "application/scim+json; charset=utf-8", "application/json; charset=UTF-8"} {
				r := s.do(t, "POST", "/scim/v2/Users", userBody("ct"+string(rune('a'+i))+"@example.com", nil), "Content-Type", ct)
				if r.Status != http.StatusCreated {
					t.Errorf("Content-Type %q: %d %s", ct, r.Status, r.Body)
				}
			}
		})
	})
}
