package test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// TestSortAndPaging: sortBy/sortOrder with startIndex/count paging that is
// stable across pages (the concatenated pages equal the single-page list,
// no duplicates, no gaps), GET and POST /.search alike.
func TestSortAndPaging(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		const n = 23
		// Family names are scrambled relative to userNames; creation order
		// (seeded concurrently) is a third order. Some userNames differ in
		// case to check case-insensitive ordering (userName is caseExact
		// false).
		s.seedUsers(t, "sort", n, func(i int) map[string]any {
			return map[string]any{"name": map[string]any{"familyName": fmt.Sprintf("F%02d", (i*7)%n), "givenName": "G"}}
		})
		for _, un := range []string{"SORTMIX_A", "sortmix_b", "SortMix_C"} {
			s.createUser(t, un, map[string]any{"name": map[string]any{"familyName": "Zmix"}})
		}
		total := n + 3

		key := func(field string) func(any) string {
			return func(r any) string {
				switch field {
				case "userName":
					return strings.ToLower(jstr(r, "userName"))
				case "meta.created":
					ts, err := time.Parse(time.RFC3339Nano, jstr(r, field))
					if err != nil {
						t.Fatalf("meta.created %q: %v", jstr(r, field), err)
					}
					return ts.UTC().Format("2006-01-02T15:04:05.000000000")
				default:
					return jstr(r, field)
				}
			}
		}
		cases := []struct {
			name   string
			sortBy string
			order  string // "", ascending, descending
			key    func(any) string
			desc   bool
		}{
			{"userName ascending (default order)", "userName", "", key("userName"), false},
			{"userName ascending", "userName", "ascending", key("userName"), false},
			{"userName descending", "userName", "descending", key("userName"), true},
			{"name.familyName ascending", "name.familyName", "ascending", key("name.familyName"), false},
			{"name.familyName descending", "name.familyName", "descending", key("name.familyName"), true},
			{"meta.created ascending", "meta.created", "ascending", key("meta.created"), false},
			{"meta.created descending", "meta.created", "descending", key("meta.created"), true},
			{"sortBy is case-insensitive", "USERNAME", "ascending", key("userName"), false},
		}
		for _, c := range cases {
			for _, via := range []string{"GET", "search"} {
				t.Run(c.name+"/"+via, func(t *testing.T) {
					fetch := func(start, count int) map[string]any {
						if via == "GET" {
							kv := []string{"sortBy", c.sortBy, "startIndex", strconv.Itoa(start), "count", strconv.Itoa(count)}
							if c.order != "" {
								kv = append(kv, "sortOrder", c.order)
							}
							return s.list(t, "/scim/v2/Users"+q(kv...))
						}
						body := map[string]any{"schemas": []string{searchSchema}, "sortBy": c.sortBy, "startIndex": start, "count": count}
						if c.order != "" {
							body["sortOrder"] = c.order
						}
						return s.must(t, http.StatusOK, "POST", "/scim/v2/Users/.search", body).JSON(t)
					}
					all := fetch(1, 1000)
					if tr := jget(all, "totalResults"); tr != float64(total) {
						t.Fatalf("totalResults %v, want %d", tr, total)
					}
					allRes, _ := all["Resources"].([]any)
					if len(allRes) != total {
						t.Fatalf("%d resources, want %d", len(allRes), total)
					}
					keys := make([]string, len(allRes))
					for i, r := range allRes {
						keys[i] = c.key(r)
						if keys[i] == "" {
							t.Fatalf("resource without sort key: %s", short(r))
						}
					}
					sorted := slices.IsSorted(keys)
					if c.desc {
						rev := slices.Clone(keys)
						slices.Reverse(rev)
						sorted = slices.IsSorted(rev)
					}
					if !sorted {
						t.Errorf("not sorted by %s %s: %v", c.sortBy, c.order, keys)
					}
					want := resourceIDs(all)
					var paged []string
					for start := 1; start <= total; start += 5 {
						p := fetch(start, 5)
						expectJSON(t, p, fmt.Sprintf(`{"totalResults":%d,"startIndex":%d,"itemsPerPage":%d}`, total, start, min(5, total-start+1)))
						paged = append(paged, resourceIDs(p)...)
					}
					if !slices.Equal(paged, want) {
						t.Errorf("pages (count=5) differ from the single page:\npaged %v\nall   %v", paged, want)
					}
				})
			}
		}

		t.Run("count=0 returns totalResults only", func(t *testing.T) {
			for _, path := range []string{"/scim/v2/Users?count=0", "/scim/v2/Users?count=0&filter=" + strings.ReplaceAll(`userName sw "sort001"`, " ", "%20")} {
				lr := s.list(t, path)
				want := total
				if strings.Contains(path, "filter") {
					want = 10
				}
				expectJSON(t, lr, fmt.Sprintf(`{"totalResults":%d,"Resources":{"$empty":true}}`, want))
				if ipp, ok := lr["itemsPerPage"]; ok && ipp != float64(0) {
					t.Errorf("itemsPerPage %v with count=0", ipp)
				}
			}
		})
		t.Run("negative count is 0", func(t *testing.T) {
			lr := s.list(t, "/scim/v2/Users?count=-5")
			expectJSON(t, lr, fmt.Sprintf(`{"totalResults":%d,"Resources":{"$empty":true}}`, total))
		})
		t.Run("startIndex below 1 is 1", func(t *testing.T) {
			a := s.list(t, "/scim/v2/Users?startIndex=0&count=3")
			b := s.list(t, "/scim/v2/Users?startIndex=1&count=3")
			if !slices.Equal(resourceIDs(a), resourceIDs(b)) || jget(a, "startIndex") != float64(1) {
				t.Errorf("startIndex=0: %v (startIndex %v), startIndex=1: %v", resourceIDs(a), jget(a, "startIndex"), resourceIDs(b))
			}
		})
		t.Run("startIndex past the end", func(t *testing.T) {
			lr := s.list(t, fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=10", total+5))
			expectJSON(t, lr, fmt.Sprintf(`{"totalResults":%d,"Resources":{"$empty":true}}`, total))
		})
		t.Run("search request with filter, sort and paging", func(t *testing.T) {
			lr := s.must(t, http.StatusOK, "POST", "/scim/v2/Users/.search", map[string]any{
				"schemas": []string{searchSchema}, "filter": `userName sw "sortmix"`, "sortBy": "userName",
				"sortOrder": "descending", "startIndex": 1, "count": 2, "attributes": []string{"userName"},
			}).JSON(t)
			expectJSON(t, lr, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"itemsPerPage":2,"startIndex":1,
				"Resources":{"$ordered":[{"userName":"SortMix_C"},{"userName":"sortmix_b"}]}}`)
		})
		t.Run("group search", func(t *testing.T) {
			s.createGroup(t, "search-b")
			s.createGroup(t, "search-a")
			lr := s.must(t, http.StatusOK, "POST", "/scim/v2/Groups/.search", map[string]any{
				"schemas": []string{searchSchema}, "filter": `displayName sw "search-"`, "sortBy": "displayName",
			}).JSON(t)
			expectJSON(t, lr, `{"totalResults":2,"Resources":{"$ordered":[{"displayName":"search-a"},{"displayName":"search-b"}]}}`)
		})
	})
}

// TestListLimits: the default page is 100, count above 1000 is clamped to
// 1000 (not an error), and the limit is advertised.
func TestListLimits(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		const n = 1003
		s.seedUsers(t, "many", n, nil)
		cases := []struct {
			name      string
			path      string
			wantItems int
		}{
			{"default count", "/scim/v2/Users", 100},
			{"count=1000", "/scim/v2/Users?count=1000", 1000},
			{"count=1001 clamped", "/scim/v2/Users?count=1001", 1000},
			{"count=100000 clamped", "/scim/v2/Users?count=100000", 1000},
			{"clamped on the last page too", "/scim/v2/Users?startIndex=1000&count=5000", 4},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				lr := s.list(t, c.path)
				if got := jlen(lr, "Resources"); got != c.wantItems {
					t.Errorf("%d resources, want %d", got, c.wantItems)
				}
				expectJSON(t, lr, fmt.Sprintf(`{"totalResults":%d,"itemsPerPage":%d}`, n, c.wantItems))
			})
		}
		t.Run("search count clamped", func(t *testing.T) {
			lr := s.must(t, http.StatusOK, "POST", "/scim/v2/Users/.search",
				map[string]any{"schemas": []string{searchSchema}, "count": 5000}).JSON(t)
			if got := jlen(lr, "Resources"); got != 1000 {
				t.Errorf("%d resources, want 1000", got)
			}
		})
		t.Run("advertised", func(t *testing.T) {
			spc := s.list(t, "/scim/v2/ServiceProviderConfig")
			expectJSON(t, spc, `{"filter":{"supported":true,"maxResults":1000}}`)
		})
	})
}
