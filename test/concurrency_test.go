package test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// TestConcurrentWrites: simultaneous writes neither lose updates nor turn
// conflicts into 500s: membership adds to one group all land, racing
// If-Match writers see exactly one winner, racing creates of one userName
// or group displayName see exactly one 201 and 409s.
func TestConcurrentWrites(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		const n = 40
		run := func(f func(i int) *response) []*response {
			out := make([]*response, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-start
					out[i] = f(i)
				}(i)
			}
			close(start)
			wg.Wait()
			return out
		}
		count := func(rs []*response) map[int]int {
			m := map[int]int{}
			for _, r := range rs {
				m[r.Status]++
			}
			return m
		}

		t.Run("concurrent creates and replaces of distinct resources", func(t *testing.T) {
			for round := 0; round < 5; round++ {
				rs := run(func(i int) *response {
					if i%2 == 0 {
						return s.try("POST", "/scim/v2/Users", userBody(fmt.Sprintf("distinct-%d-%d@example.com", round, i), nil))
					}
					return s.try("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": fmt.Sprintf("distinct %d %d", round, i)})
				})
				if c := count(rs); c[http.StatusCreated] != n {
					t.Fatalf("round %d: statuses %v, want %d × 201\nserver log (tail):\n%s", round, c, n, s.logTail(40))
				}
				ids := make([]string, n)
				for i, r := range rs {
					ids[i] = jstr(r.JSON(t), "id")
				}
				rs = run(func(i int) *response {
					if i%2 == 0 {
						return s.try("PUT", "/scim/v2/Users/"+ids[i], userBody(fmt.Sprintf("distinct-%d-%d@example.com", round, i), map[string]any{"displayName": "r"}))
					}
					return s.try("PUT", "/scim/v2/Groups/"+ids[i], map[string]any{"schemas": []string{groupSchema}, "displayName": fmt.Sprintf("distinct %d %d r", round, i)})
				})
				if c := count(rs); c[http.StatusOK] != n {
					t.Fatalf("round %d PUT: statuses %v, want %d × 200\nserver log (tail):\n%s", round, c, n, s.logTail(40))
				}
			}
		})

		t.Run("sustained concurrent creates (64 clients)", func(t *testing.T) {
			s := startServer(t, serverOpts{kind: kind}) // its own process: a crash here must not take the other cases down
			const clients, each = 64, 60
			statuses := make(chan int, clients*each)
			var wg sync.WaitGroup
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func(c int) {
					defer wg.Done()
					for i := 0; i < each; i++ {
						r := s.try("POST", "/scim/v2/Users", userBody(fmt.Sprintf("load-%d-%d@example.com", c, i), nil))
						statuses <- r.Status
					}
				}(c)
			}
			wg.Wait()
			close(statuses)
			got := map[int]int{}
			for st := range statuses {
				got[st]++
			}
			if got[http.StatusCreated] != clients*each {
				t.Fatalf("statuses %v (0 = connection failed), want %d × 201\nserver log (tail):\n%s", got, clients*each, s.logTail(25))
			}
		})

		t.Run("membership adds to one group all land", func(t *testing.T) {
			ids := s.seedUsers(t, "member", n, nil)
			g := s.createGroup(t, "Crowd")
			path := "/scim/v2/Groups/" + jstr(g, "id")
			rs := run(func(i int) *response {
				return s.try("PATCH", path, patchOps(map[string]any{"op": "add", "path": "members",
					"value": []any{map[string]any{"value": ids[i]}}}))
			})
			if c := count(rs); c[http.StatusNoContent] != n {
				t.Errorf("statuses %v, want %d × 204", c, n)
			}
			got := s.must(t, http.StatusOK, "GET", path, nil).JSON(t)
			if m := jlen(got, "members"); m != n {
				t.Errorf("%d members after %d concurrent adds (lost updates)", m, n)
			}
			rs = run(func(i int) *response {
				return s.try("PATCH", path, patchOps(map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, ids[i])}))
			})
			if c := count(rs); c[http.StatusNoContent] != n {
				t.Errorf("removes: statuses %v, want %d × 204", c, n)
			}
			got = s.must(t, http.StatusOK, "GET", path, nil).JSON(t)
			expectJSON(t, got, `{"members":{"$empty":true}}`)
		})

		t.Run("concurrent PATCHes of one user all apply", func(t *testing.T) {
			u := s.createUser(t, "many.writers@example.com", nil)
			path := "/scim/v2/Users/" + jstr(u, "id")
			rs := run(func(i int) *response {
				return s.try("PATCH", path, patchOps(map[string]any{"op": "add", "path": "emails",
					"value": []any{map[string]any{"value": fmt.Sprintf("w%d@example.com", i), "type": "other"}}}))
			})
			if c := count(rs); c[http.StatusOK]+c[http.StatusNoContent] != n {
				t.Errorf("statuses %v", c)
			}
			got := s.must(t, http.StatusOK, "GET", path, nil).JSON(t)
			if m := jlen(got, "emails"); m != n {
				t.Errorf("%d emails after %d concurrent adds (lost updates)", m, n)
			}
		})

		t.Run("racing If-Match writers: one winner", func(t *testing.T) {
			u := s.createUser(t, "if.match.race@example.com", nil)
			path := "/scim/v2/Users/" + jstr(u, "id")
			v := jstr(u, "meta.version")
			rs := run(func(i int) *response {
				return s.try("PATCH", path, patchOps(map[string]any{"op": "replace", "path": "nickName", "value": fmt.Sprint(i)}), "If-Match", v)
			})
			c := count(rs)
			if c[http.StatusOK]+c[http.StatusNoContent] != 1 || c[http.StatusPreconditionFailed] != n-1 {
				t.Errorf("statuses %v, want one success and %d × 412", c, n-1)
			}
		})

		t.Run("racing creates of one userName: one 201", func(t *testing.T) {
			rs := run(func(i int) *response {
				name := "race@example.com"
				if i%2 == 1 {
					name = "RACE@example.com"
				}
				return s.try("POST", "/scim/v2/Users", userBody(name, nil))
			})
			c := count(rs)
			if c[http.StatusCreated] != 1 || c[http.StatusConflict] != n-1 {
				t.Errorf("statuses %v, want one 201 and %d × 409", c, n-1)
			}
			for _, r := range rs {
				if r.Status == http.StatusConflict {
					mustSCIMError(t, r, http.StatusConflict, "uniqueness")
					break
				}
			}
		})

		t.Run("racing creates of one group displayName: one 201", func(t *testing.T) {
			rs := run(func(i int) *response {
				return s.try("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "Race Group"})
			})
			c := count(rs)
			if c[http.StatusCreated] != 1 || c[http.StatusConflict] != n-1 {
				t.Errorf("statuses %v, want one 201 and %d × 409", c, n-1)
			}
		})

		t.Run("delete while members are added", func(t *testing.T) {
			ids := s.seedUsers(t, "churn", n, nil)
			g := s.createGroup(t, "Churn")
			path := "/scim/v2/Groups/" + jstr(g, "id")
			rs := run(func(i int) *response {
				if i%2 == 0 {
					return s.try("DELETE", "/scim/v2/Users/"+ids[i], nil)
				}
				return s.try("PATCH", path, patchOps(map[string]any{"op": "add", "path": "members",
					"value": []any{map[string]any{"value": ids[i]}, map[string]any{"value": ids[i-1]}}}))
			})
			for _, r := range rs {
				if r.Status >= 500 {
					t.Errorf("5xx under churn: %d %s", r.Status, r.Body)
				}
			}
			// Every remaining member must still exist.
			got := s.must(t, http.StatusOK, "GET", path, nil).JSON(t)
			for _, v := range lookupAll(got, "members.*.value") {
				if r := s.try("GET", "/scim/v2/Users/"+fmt.Sprint(v), nil); r.Status != http.StatusOK {
					t.Errorf("group lists member %v that is gone (%d)", v, r.Status)
				}
			}
		})
	})
}
