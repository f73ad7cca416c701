package bulk

import (
	"context"
	"sort"
	"strings"

	"github.com/scimd/scimd/store"
)

// GroupAssign is one group-assignment row (SPEC §6): add the user(s) it
// identifies to its groups, creating missing groups. Identifier priority:
// ID or UserUUID, then UserName (combined with Email when both are given:
// the user must match both), then Email alone (every user with that
// e-mail).
type GroupAssign struct {
	Row      int64
	Err      error // the row could not be mapped: it fails at once
	ID       string
	UserUUID string
	UserName string
	Email    string
	Groups   []string
}

// AssignOptions configure AssignGroups.
type AssignOptions struct {
	ChunkSize int
	DryRun    bool
}

// AssignGroups applies group assignments in chunks, one transaction per
// chunk. Memberships are only ever added.
func (e *Engine) AssignGroups(ctx context.Context, tenantID int64, next func() (GroupAssign, bool, error), opts AssignOptions, sink Sink) error {
	dry := newDryState(opts.DryRun)
	defer dry.close()
	var stats statsRefresh
	return chunked(ctx, opts.ChunkSize, next, func(ops []GroupAssign) error {
		err := e.runChunk(ctx, tenantID, sink, func(tx store.Tx) ([]Result, ChunkInfo, error) {
			c := &assignChunk{e: e, ctx: ctx, tx: tx, tenantID: tenantID, dry: dry}
			return c.run(ops)
		})
		if err == nil && !opts.DryRun {
			stats.add(ctx, e, len(ops))
		}
		return err
	})
}

type assignChunk struct {
	e        *Engine
	ctx      context.Context
	tx       store.Tx
	tenantID int64
	dry      *dryState

	byID, byUUID, byName map[string][]*store.User
	byEmail              map[string][]*store.User
	groups               map[string]*store.Group
	newGroups            []*store.Group
	memberOf             map[string]map[string]bool
	members              []store.Member
	touched              map[string]bool
}

func (c *assignChunk) lookup(by store.UserKey, values []string) (map[string][]*store.User, error) {
	out := map[string][]*store.User{}
	if len(values) == 0 {
		return out, nil
	}
	found, err := c.tx.UsersBy(c.ctx, by, values)
	if err != nil {
		return nil, err
	}
	for v, us := range found {
		out[normKey(by, v)] = us
	}
	return out, nil
}

func (c *assignChunk) load(ops []GroupAssign) error {
	var ids, uuids, names, emails, groups []string
	seenG := map[string]bool{}
	for i := range ops {
		op := &ops[i]
		if op.Err != nil {
			continue
		}
		switch {
		case op.ID != "":
			ids = append(ids, op.ID)
		case op.UserUUID != "":
			uuids = append(uuids, op.UserUUID)
		case op.UserName != "":
			names = append(names, op.UserName)
		case op.Email != "":
			emails = append(emails, op.Email)
		}
		for _, g := range op.Groups {
			if k := strings.ToLower(g); !seenG[k] {
				seenG[k] = true
				groups = append(groups, g)
			}
		}
	}
	var err error
	if c.byID, err = c.lookup(store.ByID, ids); err != nil {
		return err
	}
	if c.byUUID, err = c.lookup(store.ByUserUUID, uuids); err != nil {
		return err
	}
	if c.byName, err = c.lookup(store.ByUserName, names); err != nil {
		return err
	}
	if c.byEmail, err = c.lookup(store.ByEmail, emails); err != nil {
		return err
	}
	c.groups = map[string]*store.Group{}
	c.touched = map[string]bool{}
	if len(groups) > 0 {
		found, err := c.tx.GroupsBy(c.ctx, true, groups)
		if err != nil {
			return err
		}
		for _, gs := range found {
			for _, g := range gs {
				c.groups[strings.ToLower(g.DisplayName)] = g
			}
		}
		for _, name := range groups {
			if g := c.dry.groupByName(name); g != nil && c.groups[strings.ToLower(name)] == nil {
				c.groups[strings.ToLower(name)] = g
			}
		}
	}
	var uids []string
	for _, m := range []map[string][]*store.User{c.byID, c.byUUID, c.byName, c.byEmail} {
		for _, us := range m {
			for _, u := range us {
				uids = append(uids, u.ID)
			}
		}
	}
	c.memberOf = map[string]map[string]bool{}
	if len(uids) > 0 {
		refs, err := c.e.Store.GroupsOfUsers(c.ctx, c.tenantID, uids)
		if err != nil {
			return err
		}
		for uid, rs := range refs {
			set := map[string]bool{}
			for _, r := range rs {
				set[r.GroupID] = true
			}
			c.memberOf[uid] = set
		}
	}
	return nil
}

// users resolves a row's users by the identifier priority rules.
func (c *assignChunk) users(op *GroupAssign) ([]*store.User, error) {
	switch {
	case op.ID != "":
		if us := c.byID[op.ID]; len(us) > 0 {
			return us, nil
		}
		return nil, rowErrorf("no user with id %q", op.ID)
	case op.UserUUID != "":
		if us := c.byUUID[normKey(store.ByUserUUID, op.UserUUID)]; len(us) > 0 {
			return us, nil
		}
		return nil, rowErrorf("no user with userUuid %q", op.UserUUID)
	case op.UserName != "":
		us := c.byName[normKey(store.ByUserName, op.UserName)]
		if len(us) == 0 {
			return nil, rowErrorf("no user with userName %q", op.UserName)
		}
		if op.Email != "" {
			want := strings.ToLower(op.Email)
			var both []*store.User
			for _, u := range us {
				for _, m := range u.Emails {
					if strings.ToLower(m) == want {
						both = append(both, u)
						break
					}
				}
			}
			if len(both) == 0 {
				return nil, rowErrorf("no user with userName %q and e-mail %q", op.UserName, op.Email)
			}
			return both, nil
		}
		return us, nil
	case op.Email != "":
		if us := c.byEmail[normKey(store.ByEmail, op.Email)]; len(us) > 0 {
			return us, nil
		}
		return nil, rowErrorf("no user with e-mail %q", op.Email)
	}
	return nil, rowErrorf("the row has no user identifier (id, userUuid, userName or emails[0].value)")
}

func (c *assignChunk) group(name string) (*store.Group, error) {
	if g := c.groups[strings.ToLower(name)]; g != nil {
		return g, nil
	}
	g, _, err := c.e.Svc.NewGroup(map[string]any{"displayName": name})
	if err != nil {
		return nil, err
	}
	c.groups[strings.ToLower(name)] = g
	c.newGroups = append(c.newGroups, g)
	return g, nil
}

func (c *assignChunk) run(ops []GroupAssign) ([]Result, ChunkInfo, error) {
	if err := c.load(ops); err != nil {
		return nil, ChunkInfo{}, err
	}
	results := make([]Result, len(ops))
	for i := range ops {
		results[i] = c.apply(&ops[i])
	}
	info, err := c.write()
	return results, info, err
}

func (c *assignChunk) apply(op *GroupAssign) Result {
	if op.Err != nil {
		return failed(op.Row, op.UserName, op.Err)
	}
	if len(op.Groups) == 0 { // e.g. a user export row of a user without groups
		return Result{Row: op.Row, Outcome: Skipped, UserName: op.UserName}
	}
	users, err := c.users(op)
	if err != nil {
		return failed(op.Row, op.UserName, err)
	}
	groups := make([]*store.Group, 0, len(op.Groups))
	for _, name := range op.Groups {
		g, err := c.group(name)
		if err != nil {
			return failed(op.Row, op.UserName, err)
		}
		groups = append(groups, g)
	}
	added := 0
	ids := make([]string, 0, len(users))
	names := make([]string, 0, len(users))
	for _, u := range users {
		ids = append(ids, u.ID)
		names = append(names, u.UserName)
		set := c.memberOf[u.ID]
		if set == nil {
			set = map[string]bool{}
			c.memberOf[u.ID] = set
		}
		for _, g := range groups {
			if set[g.ID] || c.dry.isMember(u.ID, g.ID) {
				continue
			}
			set[g.ID] = true
			c.members = append(c.members, store.Member{GroupID: g.ID, Value: u.ID, Type: store.MemberUser})
			c.touched[g.ID] = true
			added++
		}
	}
	out := Unchanged
	if added > 0 {
		out = Updated
	}
	return Result{Row: op.Row, Outcome: out, ID: strings.Join(ids, ";"), UserName: strings.Join(names, ";"), MembershipsAdded: added}
}

func (c *assignChunk) write() (ChunkInfo, error) {
	var info ChunkInfo
	created := map[string]bool{}
	for _, g := range c.newGroups {
		created[g.ID] = true
		info.GroupsCreated = append(info.GroupsCreated, g.ID)
	}
	for id := range c.touched {
		if !created[id] {
			info.GroupsUpdated = append(info.GroupsUpdated, id)
		}
	}
	sort.Strings(info.GroupsUpdated)
	if c.dry.on {
		for _, g := range c.newGroups {
			c.dry.rememberGroup(g)
		}
		for _, m := range c.members {
			c.dry.addMember(m.Value, m.GroupID)
		}
		return info, nil
	}
	if len(c.newGroups) > 0 {
		if err := c.tx.InsertGroups(c.ctx, c.newGroups); err != nil {
			return info, err
		}
	}
	if len(c.members) > 0 {
		if _, err := c.tx.AddMembers(c.ctx, c.members); err != nil {
			return info, err
		}
	}
	if len(info.GroupsUpdated) > 0 {
		if err := c.tx.TouchGroups(c.ctx, info.GroupsUpdated); err != nil {
			return info, err
		}
	}
	return info, nil
}
