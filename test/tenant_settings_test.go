package test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// TestTenantLimits: the import limits are server defaults that a tenant's
// settings override (SPEC §5 "configurable per tenant"), and a tenant's
// settings never affect another tenant.
func TestTenantLimits(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		tokB := s.newTenant(t, "limited")
		b := s.withToken(tokB)

		r := s.adminDo(t, "PATCH", "/admin/v1/tenants/limited", map[string]any{
			"settings": map[string]any{"maxGroupsPerUser": 2, "maxGroupsPerFile": 3},
		})
		if r.Status != http.StatusOK {
			t.Fatalf("PATCH tenant settings: %d %s", r.Status, r.Body)
		}
		expectJSON(t, r.JSON(t), `{"name":"limited","settings":{"maxGroupsPerUser":2,"maxGroupsPerFile":3}}`)
		for _, bad := range []map[string]any{
			{"maxGroupsPerUser": -1},
			{"maxGroupPerUser": 5}, // misspelt: must not pass silently
			{"maxGroupsPerFile": "many"},
		} {
			r := s.adminDo(t, "PATCH", "/admin/v1/tenants/limited", map[string]any{"settings": bad})
			if r.Status != http.StatusBadRequest {
				t.Errorf("PATCH settings %v: status %d, want 400", bad, r.Status)
			}
		}
		// A PATCH changes only what it names; null restores the default.
		r = s.adminDo(t, "PATCH", "/admin/v1/tenants/limited", map[string]any{"settings": map[string]any{"maxGroupsPerFile": nil}})
		expectJSON(t, r.JSON(t), `{"name":"limited","settings":{"maxGroupsPerUser":2}}`)
		r = s.adminDo(t, "PATCH", "/admin/v1/tenants/limited", map[string]any{"settings": map[string]any{"maxGroupsPerFile": 3}})
		expectJSON(t, r.JSON(t), `{"name":"limited","settings":{"maxGroupsPerUser":2,"maxGroupsPerFile":3}}`)

		users := "userName,groups\nu1,g1;g2\nu2,g1;g2;g3\n"
		// Tenant limited: 3 groups in one row exceed its limit of 2.
		j := b.impWaitJob(t, b.impStart(t, "Users", "groups=create", []byte(users)), time.Minute)
		if j.Status != "succeeded" || j.Created != 1 || j.Failed != 1 {
			t.Fatalf("limited tenant users import: %s status=%s", j.counts(), j.Status)
		}
		// The default tenant keeps the server default (500).
		j = s.impWaitJob(t, s.impStart(t, "Users", "groups=create", []byte(users)), time.Minute)
		if j.Status != "succeeded" || j.Created != 2 || j.Failed != 0 {
			t.Fatalf("default tenant users import: %s status=%s", j.counts(), j.Status)
		}

		// Four distinct groups in one group import exceed 3: the job fails
		// and nothing is written.
		groups := "userName,groups\nu1,a;b\nu1,c;d\n"
		j = b.impWaitJob(t, b.impStart(t, "Groups", "", []byte(groups)), time.Minute)
		if j.Status != "failed" || !strings.Contains(j.Error, "3") {
			t.Fatalf("limited tenant group import: status %s error %q", j.Status, j.Error)
		}
		lr := b.list(t, "/scim/v2/Groups"+q("filter", `displayName eq "a"`))
		if n := lr["totalResults"]; n != float64(0) {
			t.Errorf("a refused group import created group a (totalResults %v)", n)
		}
		j = s.impWaitJob(t, s.impStart(t, "Groups", "", []byte(groups)), time.Minute)
		if j.Status != "succeeded" || j.Created != 4 {
			t.Fatalf("default tenant group import: %s status=%s error=%q", j.counts(), j.Status, j.Error)
		}

		// `scimd tenant set` changes only the limits it is given.
		out := s.scimdCLI(t, "tenant", "set", "limited", "--max-groups-per-file", "7")
		if !strings.Contains(out, `{"maxGroupsPerUser":2,"maxGroupsPerFile":7}`) {
			t.Errorf("tenant set --max-groups-per-file 7: %q, want maxGroupsPerUser kept at 2", out)
		}
	})
}
