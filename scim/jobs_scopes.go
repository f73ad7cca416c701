package scim

import (
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/store"
)

// Who may see and cancel which jobs. tenant:manage administers every job
// of the tenant (SPEC §2); a token that may start an import or an export
// follows (and cancels) jobs of that kind only: a users:read token sees
// user exports, not the import reports of groups or tenant snapshots.

// jobReadScopes are the scopes that see a job of type typ.
func jobReadScopes(typ string) []string {
	switch typ {
	case store.JobUsersImport:
		return []string{ScopeTenantManage, ScopeUsersManage}
	case store.JobGroupsImport:
		return []string{ScopeTenantManage, ScopeGroupsManage}
	case store.JobUsersExport:
		return []string{ScopeTenantManage, ScopeUsersManage, ScopeUsersRead}
	case store.JobGroupsExport:
		return []string{ScopeTenantManage, ScopeGroupsManage, ScopeGroupsRead}
	}
	return []string{ScopeTenantManage}
}

// jobManageScopes are the scopes that cancel a job of type typ.
func jobManageScopes(typ string) []string {
	switch typ {
	case store.JobUsersImport, store.JobUsersExport:
		return []string{ScopeTenantManage, ScopeUsersManage}
	case store.JobGroupsImport, store.JobGroupsExport:
		return []string{ScopeTenantManage, ScopeGroupsManage}
	}
	return []string{ScopeTenantManage}
}

var jobTypes = []string{store.JobUsersImport, store.JobGroupsImport, store.JobUsersExport,
	store.JobGroupsExport, store.JobTenantImport, store.JobTenantExport}

// visibleJobTypes are the job types the request's token sees; nil when it
// sees all.
func visibleJobTypes(have []string) []string {
	if slices.Contains(have, ScopeTenantManage) {
		return nil
	}
	out := []string{}
	for _, t := range jobTypes {
		if hasAny(have, jobReadScopes(t)) {
			out = append(out, t)
		}
	}
	return out
}

// hasAny reports whether have holds one of want.
func hasAny(have, want []string) bool {
	return slices.ContainsFunc(want, func(s string) bool { return slices.Contains(have, s) })
}

// requestJob reads the job named in the path and checks that the
// request's token holds one of scopes(job type) for it.
func (a *API) requestJob(c echo.Context, scopes func(typ string) []string) (store.Job, error) {
	ctx := c.Request().Context()
	j, err := a.store.GetJob(ctx, tenantID(c), c.Param("id"))
	if err != nil {
		return store.Job{}, err
	}
	if want := scopes(j.Type); !hasAny(reqctx.Scopes(ctx), want) {
		return store.Job{}, forbidden("%s jobs need a token with one of the scopes %s.", j.Type, strings.Join(want, ", "))
	}
	return j, nil
}
