package storetest

import (
	"crypto/sha256"
	"errors"
	"reflect"
	"sort"

	"github.com/scimd/scimd/store"
)

// snapshot is everything a tenant owns, as its read methods show it.
type snapshot struct {
	Users    []store.User
	Groups   []store.Group
	Members  map[string][]store.Member
	GroupsOf map[string][]store.GroupRef
	Tokens   []store.Token
	ByEmail  map[string][]string // e-mail value → user ids
	Jobs     []store.Job
	Reports  map[string][]store.ReportLine // job id → report
	Files    map[string][32]byte           // job id → SHA-256 of the file (jobs not finished)
}

// snapshot reads everything tenant owns.
func (e *env) snapshot(tenant int64) snapshot {
	e.t.Helper()
	var s snapshot
	var err error
	s.Users, _, err = e.s.ListUsers(e.ctx, tenant, store.Query{Count: -1})
	e.noErr("snapshot: ListUsers", err)
	s.Groups, _, err = e.s.ListGroups(e.ctx, tenant, store.Query{Count: -1})
	e.noErr("snapshot: ListGroups", err)
	s.Members, err = e.s.Members(e.ctx, tenant, ids(s.Groups, groupID))
	e.noErr("snapshot: Members", err)
	s.GroupsOf, err = e.s.GroupsOfUsers(e.ctx, tenant, ids(s.Users, userID))
	e.noErr("snapshot: GroupsOfUsers", err)
	s.Tokens, err = e.s.ListTokens(e.ctx, tenant)
	e.noErr("snapshot: ListTokens", err)
	s.Jobs, _, err = e.s.ListJobs(e.ctx, tenant, nil, 0, -1)
	e.noErr("snapshot: ListJobs", err)
	s.Reports, s.Files = map[string][]store.ReportLine{}, map[string][32]byte{}
	for _, j := range s.Jobs {
		s.Reports[j.ID] = e.report(tenant, j.ID)
		if j.Status == store.JobQueued || j.Status == store.JobRunning {
			s.Files[j.ID] = sha256.Sum256(e.jobFile(tenant, j.ID))
		}
	}
	var all []string
	for _, u := range s.Users {
		all = append(all, u.Emails...)
	}
	s.ByEmail = map[string][]string{}
	e.read(tenant, func(tx store.Tx) {
		got, err := tx.UsersBy(e.ctx, store.ByEmail, all)
		e.noErr("snapshot: UsersBy(ByEmail)", err)
		for v, us := range got {
			for _, u := range us {
				s.ByEmail[v] = append(s.ByEmail[v], u.ID)
			}
			sort.Strings(s.ByEmail[v])
		}
	})
	return s
}

// checkIsolation verifies that tenant b sees none of tenant a's rows and
// that b's writes addressed at a's ids change nothing of a.
func (e *env) checkIsolation() {
	a, b := e.a.ID, e.b.ID
	before := e.snapshot(a)
	userIDs := ids(before.Users, userID)
	groupIDs := ids(before.Groups, groupID)
	mine := map[string]bool{}
	for _, id := range append(append([]string{}, userIDs...), groupIDs...) {
		mine[id] = true
	}
	leak := func(what, id string) {
		e.t.Helper()
		if mine[id] {
			e.t.Errorf("isolation: tenant b sees %s %s of tenant a", what, id)
		}
	}

	// Reads outside transactions.
	for _, id := range userIDs {
		_, err := e.s.GetUser(e.ctx, b, id)
		e.wantErr("isolation: GetUser from tenant b", err, store.ErrNotFound)
	}
	for _, id := range groupIDs {
		_, err := e.s.GetGroup(e.ctx, b, id)
		e.wantErr("isolation: GetGroup from tenant b", err, store.ErrNotFound)
	}
	us, _, err := e.s.ListUsers(e.ctx, b, store.Query{Count: -1})
	e.noErr("isolation: ListUsers", err)
	for _, u := range us {
		leak("user (ListUsers)", u.ID)
	}
	gs, _, err := e.s.ListGroups(e.ctx, b, store.Query{Count: -1})
	e.noErr("isolation: ListGroups", err)
	for _, g := range gs {
		leak("group (ListGroups)", g.ID)
	}
	e.noErr("isolation: ScanUsers", e.s.ScanUsers(e.ctx, b, store.Query{Count: -1}, func(u *store.User) error {
		leak("user (ScanUsers)", u.ID)
		return nil
	}))
	e.noErr("isolation: ScanGroups", e.s.ScanGroups(e.ctx, b, store.Query{Count: -1}, func(g *store.Group) error {
		leak("group (ScanGroups)", g.ID)
		return nil
	}))
	ms, err := e.s.Members(e.ctx, b, groupIDs)
	e.noErr("isolation: Members", err)
	eq(e, "isolation: Members of a's groups in tenant b", len(ms), 0)
	refs, err := e.s.GroupsOfUsers(e.ctx, b, userIDs)
	e.noErr("isolation: GroupsOfUsers", err)
	eq(e, "isolation: GroupsOfUsers of a's users in tenant b", len(refs), 0)
	tokens, err := e.s.ListTokens(e.ctx, b)
	e.noErr("isolation: ListTokens", err)
	for _, tk := range tokens {
		for _, mineTk := range before.Tokens {
			if tk.Hash == mineTk.Hash {
				e.t.Errorf("isolation: tenant b lists token %s of tenant a", tk.ID)
			}
		}
	}
	for _, tk := range before.Tokens {
		got, err := e.s.LookupToken(e.ctx, tk.Hash)
		e.noErr("isolation: LookupToken", err)
		eq(e, "isolation: token tenant", got.TenantID, a)
	}

	e.checkJobIsolation(before.Jobs)

	// Look-ups inside a transaction of tenant b.
	keys := map[store.UserKey][]string{}
	for _, u := range before.Users {
		keys[store.ByID] = append(keys[store.ByID], u.ID)
		keys[store.ByUserName] = append(keys[store.ByUserName], u.UserName)
		keys[store.ByExternalID] = append(keys[store.ByExternalID], u.ExternalID)
		keys[store.ByEmail] = append(keys[store.ByEmail], u.Emails...)
		keys[store.ByUserUUID] = append(keys[store.ByUserUUID], u.UserUUID)
	}
	var names []string
	for _, g := range before.Groups {
		names = append(names, g.DisplayName)
	}
	e.read(b, func(tx store.Tx) {
		for key, values := range keys {
			got, err := tx.UsersBy(e.ctx, key, values)
			e.noErr("isolation: UsersBy", err)
			for _, list := range got {
				for _, u := range list {
					leak("user (UsersBy)", u.ID)
				}
			}
		}
		for _, byName := range []bool{false, true} {
			values := groupIDs
			if byName {
				values = names
			}
			got, err := tx.GroupsBy(e.ctx, byName, values)
			e.noErr("isolation: GroupsBy", err)
			for _, list := range got {
				for _, g := range list {
					leak("group (GroupsBy)", g.ID)
				}
			}
		}
		u, g, err := tx.ExistingIDs(e.ctx, append(append([]string{}, userIDs...), groupIDs...))
		e.noErr("isolation: ExistingIDs", err)
		eq(e, "isolation: ExistingIDs users", len(u), 0)
		eq(e, "isolation: ExistingIDs groups", len(g), 0)
	})

	// Writes in tenant b addressed at tenant a's ids.
	var rows []store.Member
	for _, list := range before.Members {
		rows = append(rows, list...)
	}
	for i := range rows {
		rows[i].Display = ""
	}
	e.tx(b, func(tx store.Tx) {
		if len(before.Users) > 0 {
			copies := make([]*store.User, len(before.Users))
			want := map[int]error{}
			for i := range before.Users {
				u := before.Users[i]
				copies[i] = &u
				want[i] = store.ErrNotFound
			}
			e.wantItemErrs("isolation: UpdateUsers in tenant b", tx.UpdateUsers(e.ctx, copies), want)
			e.wantItemErrs("isolation: DeleteUsers in tenant b", tx.DeleteUsers(e.ctx, userIDs), want)
		}
		if len(before.Groups) > 0 {
			copies := make([]*store.Group, len(before.Groups))
			want := map[int]error{}
			for i := range before.Groups {
				g := before.Groups[i]
				copies[i] = &g
				want[i] = store.ErrNotFound
			}
			e.wantItemErrs("isolation: UpdateGroups in tenant b", tx.UpdateGroups(e.ctx, copies), want)
			e.noErr("isolation: TouchGroups", tx.TouchGroups(e.ctx, groupIDs))
			for _, id := range groupIDs {
				e.noErr("isolation: RemoveAllMembers", tx.RemoveAllMembers(e.ctx, id))
			}
			e.wantItemErrs("isolation: DeleteGroups in tenant b", tx.DeleteGroups(e.ctx, groupIDs), want)
		}
		if len(rows) > 0 {
			n, err := tx.RemoveMembers(e.ctx, rows)
			e.noErr("isolation: RemoveMembers", err)
			eq(e, "isolation: RemoveMembers of a's rows in tenant b", n, 0)
			added, err := tx.AddMembers(e.ctx, rows)
			e.noErr("isolation: AddMembers", err)
			removed, err := tx.RemoveMembers(e.ctx, rows)
			e.noErr("isolation: RemoveMembers", err)
			eq(e, "isolation: tenant b removes the rows it added", removed, added)
		}
	})
	after := e.snapshot(a)
	if !reflect.DeepEqual(before, after) {
		e.t.Errorf("isolation: tenant b's writes changed tenant a:\n before %#v\n after  %#v", before, after)
	}
	if _, err := e.s.GetTenantByID(e.ctx, a); err != nil && !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("isolation: GetTenantByID: %v", err)
	}
}

// checkJobIsolation checks that tenant b can neither read nor change the
// jobs of tenant a (the caller compares a's snapshot afterwards).
func (e *env) checkJobIsolation(jobs []store.Job) {
	a, b := e.a.ID, e.b.ID
	mine := map[string]bool{}
	for _, j := range jobs {
		mine[j.ID] = true
	}
	list, _, err := e.s.ListJobs(e.ctx, b, nil, 0, -1)
	e.noErr("isolation: ListJobs", err)
	for _, j := range list {
		if mine[j.ID] {
			e.t.Errorf("isolation: tenant b lists job %s of tenant a", j.ID)
		}
	}
	for _, j := range jobs {
		worker := j.ClaimedBy
		if worker == "" {
			worker = "w1"
		}
		_, err := e.s.GetJob(e.ctx, b, j.ID)
		e.wantErr("isolation: GetJob from tenant b", err, store.ErrNotFound)
		_, err = e.s.OpenJobFile(e.ctx, b, j.ID)
		e.wantErr("isolation: OpenJobFile from tenant b", err, store.ErrNotFound)
		err = e.s.ScanReport(e.ctx, b, j.ID, func(store.ReportLine) error { return nil })
		e.wantErr("isolation: ScanReport from tenant b", err, store.ErrNotFound)
		_, err = e.s.Heartbeat(e.ctx, b, j.ID, worker)
		e.wantErr("isolation: Heartbeat from tenant b", err, store.ErrNotFound)
		_, err = e.s.RequestCancel(e.ctx, b, j.ID)
		e.wantErr("isolation: RequestCancel from tenant b", err, store.ErrNotFound)
		fin := store.Job{ID: j.ID, TenantID: b, ClaimedBy: worker, Status: store.JobFailed, Error: "from b"}
		e.wantErr("isolation: FinishJob from tenant b", e.s.FinishJob(e.ctx, &fin), store.ErrNotFound)
		rel := store.Job{ID: j.ID, TenantID: b, ClaimedBy: worker}
		e.wantErr("isolation: ReleaseJob from tenant b", e.s.ReleaseJob(e.ctx, &rel), store.ErrNotFound)
		e.tx(b, func(tx store.Tx) {
			for _, tenant := range []int64{b, a, 0} {
				p := store.Job{ID: j.ID, TenantID: tenant, ClaimedBy: worker, Checkpoint: 999}
				e.wantErr("isolation: SaveProgress in tenant b", tx.SaveProgress(e.ctx, &p), store.ErrNotFound)
			}
			// Lands in tenant b's own report space, never in a's report.
			e.noErr("isolation: AppendReport in tenant b", tx.AppendReport(e.ctx, j.ID, []store.ReportLine{
				{Row: 1, Status: "failed", Error: "from b"}, {Row: 1_000_000, Status: "failed", Error: "from b"}}))
		})
	}
}
