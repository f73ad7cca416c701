package test

import (
	"net/http"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// TestJobScopes: tenant:manage administers every job (SPEC §2); a token
// that may run an import or export sees and cancels jobs of that kind
// only, in GET /Jobs as well as by id.
func TestJobScopes(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		imp := s.runImport(t, "Users", "", []byte("userName\nscope.a@example.com\n"))
		exp := s.must(t, http.StatusOK, "GET", "/scim/v2/Users/.export", nil)
		expID := exp.Header.Get("X-Scimd-Job")
		if expID == "" {
			t.Fatalf("export answered no X-Scimd-Job header")
		}
		_, usersRead := s.newToken(t, "default", "users:read")
		_, usersManage := s.newToken(t, "default", "users:manage")
		_, groupsManage := s.newToken(t, "default", "groups:manage")
		_, tenantManage := s.newToken(t, "default", "tenant:manage")

		for _, c := range []struct {
			name, token, method, path string
			want                      int
		}{
			{"users:read reads a users export", usersRead, "GET", "/scim/v2/Jobs/" + expID, 200},
			{"users:read cannot read a users import", usersRead, "GET", "/scim/v2/Jobs/" + imp.ID, 403},
			{"users:read cannot read an import report", usersRead, "GET", "/scim/v2/Jobs/" + imp.ID + "/report", 403},
			{"users:manage reads its import", usersManage, "GET", "/scim/v2/Jobs/" + imp.ID, 200},
			{"users:manage reads the report", usersManage, "GET", "/scim/v2/Jobs/" + imp.ID + "/report", 200},
			{"groups:manage cannot read a users import", groupsManage, "GET", "/scim/v2/Jobs/" + imp.ID, 403},
			{"groups:manage cannot cancel a users import", groupsManage, "DELETE", "/scim/v2/Jobs/" + imp.ID, 403},
			{"users:read cannot cancel", usersRead, "DELETE", "/scim/v2/Jobs/" + expID, 403},
			{"tenant:manage reads any job", tenantManage, "GET", "/scim/v2/Jobs/" + imp.ID, 200},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := s.doToken(t, c.token, c.method, c.path, nil)
				if c.want == http.StatusForbidden {
					mustSCIMError(t, r, http.StatusForbidden)
				} else if r.Status != c.want {
					t.Errorf("%d, want %d: %s", r.Status, c.want, r.Body)
				}
			})
		}
		listed := func(token string) []string {
			r := s.doToken(t, token, "GET", "/scim/v2/Jobs", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET /Jobs: %d %s", r.Status, r.Body)
			}
			var ids []string
			for _, j := range r.JSON(t)["Resources"].([]any) {
				ids = append(ids, jstr(j.(map[string]any), "id"))
			}
			return ids
		}
		if got := listed(usersRead); len(got) != 1 || got[0] != expID {
			t.Errorf("users:read lists %v, want only the export %s", got, expID)
		}
		if got := listed(groupsManage); len(got) != 0 {
			t.Errorf("groups:manage lists %v, want no job", got)
		}
		if got := listed(tenantManage); len(got) != 2 {
			t.Errorf("tenant:manage lists %v, want both jobs", got)
		}
	})
}
