package test

import (
	"net/http"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// TestETag: GET answers ETag = meta.version; If-None-Match with it is 304;
// PUT/PATCH/DELETE with a stale If-Match are 412 and change nothing, with
// the current one they succeed.
func TestETag(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})

		// fresh makes a resource whose version was bumped once, so v1 is
		// stale and v2 current.
		fresh := func(t *testing.T, kind string) (path, v1, v2 string) {
			t.Helper()
			if kind == "Users" {
				u := s.createUser(t, "etag"+randomHex(4), map[string]any{"displayName": "Before"})
				path = "/scim/v2/Users/" + jstr(u, "id")
				v1 = jstr(u, "meta.version")
				s.must(t, http.StatusOK, "PATCH", path, patchOps(map[string]any{"op": "replace", "path": "title", "value": "t1"}))
			} else {
				g := s.createGroup(t, "etag "+randomHex(4))
				path = "/scim/v2/Groups/" + jstr(g, "id")
				v1 = jstr(g, "meta.version")
				r := s.do(t, "PATCH", path, patchOps(map[string]any{"op": "replace", "path": "externalId", "value": "x1"}))
				if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
					t.Fatalf("bump group: %d %s", r.Status, r.Body)
				}
			}
			got := s.must(t, http.StatusOK, "GET", path, nil)
			v2 = jstr(got.JSON(t), "meta.version")
			if v1 == "" || v2 == "" || v1 == v2 {
				t.Fatalf("meta.version did not change on update: %q → %q", v1, v2)
			}
			return path, v1, v2
		}

		t.Run("GET returns ETag = meta.version", func(t *testing.T) {
			for _, kind := range []string{"Users", "Groups"} {
				path, _, v2 := fresh(t, kind)
				r := s.must(t, http.StatusOK, "GET", path, nil)
				if et := r.Header.Get("ETag"); et != v2 {
					t.Errorf("%s: ETag %q, meta.version %q", kind, et, v2)
				}
			}
		})

		t.Run("If-None-Match", func(t *testing.T) {
			for _, kind := range []string{"Users", "Groups"} {
				path, v1, v2 := fresh(t, kind)
				r := s.do(t, "GET", path, nil, "If-None-Match", v2)
				if r.Status != http.StatusNotModified || len(r.Body) != 0 {
					t.Errorf("%s If-None-Match current: %d %q, want 304 without body", kind, r.Status, r.Body)
				}
				if r.Status == http.StatusNotModified && r.Header.Get("ETag") != v2 {
					t.Errorf("%s 304 ETag %q, want %q", kind, r.Header.Get("ETag"), v2)
				}
				s.must(t, http.StatusOK, "GET", path, nil, "If-None-Match", v1)
			}
		})

		cases := []struct {
			name     string
			resource string
			method   string
			ifMatch  string // "stale", "current" or a literal
			want     []int
		}{
			{"user PUT stale", "Users", "PUT", "stale", []int{412}},
			{"user PATCH stale", "Users", "PATCH", "stale", []int{412}},
			{"user DELETE stale", "Users", "DELETE", "stale", []int{412}},
			{"user PUT current", "Users", "PUT", "current", []int{200}},
			{"user PATCH current", "Users", "PATCH", "current", []int{200, 204}},
			{"user DELETE current", "Users", "DELETE", "current", []int{204}},
			{"user PATCH star", "Users", "PATCH", "*", []int{200, 204}},
			{"user PATCH garbage", "Users", "PATCH", `W/"no-such-version"`, []int{412}},
			{"user PATCH list with the current one", "Users", "PATCH", "list", []int{200, 204}},
			{"group PUT stale", "Groups", "PUT", "stale", []int{412}},
			{"group PATCH stale", "Groups", "PATCH", "stale", []int{412}},
			{"group DELETE stale", "Groups", "DELETE", "stale", []int{412}},
			{"group PUT current", "Groups", "PUT", "current", []int{200}},
			{"group PATCH current", "Groups", "PATCH", "current", []int{200, 204}},
			{"group DELETE current", "Groups", "DELETE", "current", []int{204}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				path, v1, v2 := fresh(t, c.resource)
				before := s.must(t, http.StatusOK, "GET", path, nil).JSON(t)
				var body any
				switch {
				case c.method == "PATCH" && c.resource == "Users":
					body = patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "After"})
				case c.method == "PATCH":
					body = patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "after " + randomHex(4)})
				case c.method == "PUT" && c.resource == "Users":
					body = userBody(jstr(before, "userName"), map[string]any{"displayName": "After"})
				case c.method == "PUT":
					body = map[string]any{"schemas": []string{groupSchema}, "displayName": "after " + randomHex(4)}
				}
				im := c.ifMatch
				switch im {
				case "stale":
					im = v1
				case "current":
					im = v2
				case "list":
					im = `W/"no-such-version", ` + v2
				}
				r := s.do(t, c.method, path, body, "If-Match", im)
				if !statusSet(c.want).has(r.Status) {
					t.Fatalf("%s with If-Match %s: %d, want %v\n%s", c.method, im, r.Status, c.want, r.Body)
				}
				after := s.do(t, "GET", path, nil)
				if r.Status == http.StatusPreconditionFailed {
					mustSCIMError(t, r, http.StatusPreconditionFailed)
					if after.Status != http.StatusOK {
						t.Fatalf("resource gone after a failed precondition: %d", after.Status)
					}
					a := after.JSON(t)
					if jstr(a, "meta.version") != v2 || jstr(a, "displayName") != jstr(before, "displayName") {
						t.Errorf("a 412 changed the resource: before %s\nafter %s", short(before), short(a))
					}
					return
				}
				switch c.method {
				case "DELETE":
					if after.Status != http.StatusNotFound {
						t.Errorf("GET after DELETE: %d", after.Status)
					}
				default:
					a := after.JSON(t)
					if jstr(a, "meta.version") == v2 {
						t.Errorf("version unchanged after a successful %s", c.method)
					}
					if r.Status == http.StatusOK {
						if et := r.Header.Get("ETag"); et != jstr(a, "meta.version") {
							t.Errorf("%s response ETag %q, stored version %q", c.method, et, jstr(a, "meta.version"))
						}
					}
				}
			})
		}
	})
}
