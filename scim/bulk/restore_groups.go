package bulk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/scimd/scimd/store"
)

// RestoreGroups restores the groups of a tenant snapshot, with their
// members, from next in chunks, one transaction per chunk (see
// restore.go). It runs after RestoreUsers: member ids are mapped through
// r.IDs, and a member that is neither a user nor a group of the target
// fails its group, except that a member naming a group not restored yet
// (groups may contain groups that come later in the snapshot) is deferred
// to RestoreDeferred.
//
// A group that is created gets the snapshot's member list. Under
// MatchUpdate an existing group's member list is replaced by the
// snapshot's; under MatchIgnore an existing group is left alone, members
// included.
func (e *Engine) RestoreGroups(ctx context.Context, tenantID int64, r *Restore, next func() (RestoreGroup, bool, error), opts RestoreOptions, sink Sink) error {
	size := opts.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	size = max(size/10, 1)
	weight := func(g RestoreGroup) int { return len(g.Members) }
	return chunkedBy(ctx, size, restoreMaxMembers, weight, next, func(ops []RestoreGroup) error {
		return e.restoreGroupsChunk(ctx, tenantID, r, ops, opts, sink)
	})
}

func (e *Engine) restoreGroupsChunk(ctx context.Context, tenantID int64, r *Restore, ops []RestoreGroup, opts RestoreOptions, sink Sink) error {
	var c *restoreGroups
	err := e.runChunk(ctx, tenantID, sink, func(tx store.Tx) ([]Result, ChunkInfo, error) {
		c = &restoreGroups{e: e, ctx: ctx, tx: tx, tenantID: tenantID, opts: opts, ids: r.IDs}
		results, err := c.run(ops)
		return results, ChunkInfo{}, err
	})
	if errors.Is(err, errReplay) && len(ops) > 1 {
		e.Log.WarnContext(ctx, "bulk: restore chunk hit a write conflict; replaying it one record per transaction", "ops", len(ops))
		for i := range ops {
			if err := e.restoreGroupsChunk(ctx, tenantID, r, ops[i:i+1], opts, sink); err != nil {
				return err
			}
		}
		return nil
	}
	if err == nil {
		for from, to := range c.maps {
			r.IDs[from] = to
		}
		r.deferred = append(r.deferred, c.deferred...)
	}
	return err
}

type restoreGroups struct {
	e        *Engine
	ctx      context.Context
	tx       store.Tx
	tenantID int64
	opts     RestoreOptions
	ids      IDMap // committed mappings of earlier chunks (read only)

	// groups by id and lower-cased displayName, targets taken, mappings
	restoreIndex[*store.Group]
	current  map[string][]store.Member // members of existing groups (MatchUpdate)
	ins, upd []*store.Group
	fills    []groupFill
	deferred []restoreDeferral
}

// groupFill is a member list to write for a group of the chunk.
type groupFill struct {
	res     int    // index of the group's result
	groupID string // target id
	replace bool   // remove the existing members first
	members []RestoreMember
}

func (c *restoreGroups) resolve(id string) string {
	if t, ok := c.maps[id]; ok {
		return t
	}
	return c.ids.Resolve(id)
}

// load fetches the groups the chunk may match (one query by id, one by
// displayName) and, under MatchUpdate, their members.
func (c *restoreGroups) load(ops []RestoreGroup) error {
	c.restoreIndex = newRestoreIndex[*store.Group]()
	var ids, names []string
	for i := range ops {
		if ops[i].ID != "" {
			ids = append(ids, ops[i].ID)
		}
		if n := ops[i].displayName(); n != "" {
			names = append(names, n)
		}
	}
	for _, q := range []struct {
		byName bool
		values []string
	}{{false, ids}, {true, names}} {
		if len(q.values) == 0 {
			continue
		}
		found, err := c.tx.GroupsBy(c.ctx, q.byName, q.values)
		if err != nil {
			return err
		}
		for _, gs := range found {
			for _, g := range gs {
				if c.byID[g.ID] == nil {
					c.byID[g.ID] = g
					c.byName[strings.ToLower(g.DisplayName)] = g
				}
			}
		}
	}
	if c.opts.OnMatch != MatchUpdate || len(c.byID) == 0 {
		return nil
	}
	existing := make([]string, 0, len(c.byID))
	for id := range c.byID {
		existing = append(existing, id)
	}
	var err error
	c.current, err = c.e.Store.Members(c.ctx, c.tenantID, existing)
	return err
}

func (c *restoreGroups) run(ops []RestoreGroup) ([]Result, error) {
	if err := c.load(ops); err != nil {
		return nil, err
	}
	results := make([]Result, len(ops))
	for i := range ops {
		results[i] = c.apply(&ops[i], i)
	}
	if err := c.write(results); err != nil {
		return nil, err
	}
	if err := c.writeMembers(results); err != nil {
		return nil, err
	}
	if err := reportFailures(c.ctx, c.tx, c.opts.ReportJob, results); err != nil {
		return nil, err
	}
	return results, nil
}

func (c *restoreGroups) apply(op *RestoreGroup, idx int) Result {
	name := op.displayName()
	fail := func(err error) Result { r := failed(op.Row, name, err); r.ID = op.ID; return r }
	target, create, settled := c.decide(groupRestore, c.opts, op.Row, op.ID, name,
		func(g *store.Group) string { return g.ID }, func(g *store.Group) string { return g.DisplayName }, fail)
	if settled != nil {
		return *settled
	}
	if create {
		attrs := op.Attrs
		if op.Prepared != nil {
			attrs = nil // insert the prepared group as is
		}
		g, err := c.e.restoredGroup(op, op.ID, attrs)
		if err != nil {
			return fail(err)
		}
		c.ins = append(c.ins, g)
		c.index(nil, "", g, g.ID, g.DisplayName)
		c.fills = append(c.fills, groupFill{res: idx, groupID: g.ID, members: op.Members})
		return Result{Row: op.Row, Outcome: Created, ID: g.ID, UserName: g.DisplayName}
	}
	attrs, err := op.attrs()
	if err != nil {
		return fail(err)
	}
	ng, err := c.e.restoredGroup(op, target.ID, attrs)
	if err != nil {
		return fail(err)
	}
	c.restoreInto(op.ID, target.ID)
	stored, err := target.AttrMap()
	if err != nil {
		return fail(err)
	}
	if sameAttrs(stored, ng.Attrs) && c.sameMembers(target.ID, op.Members) {
		return Result{Row: op.Row, Outcome: Unchanged, ID: target.ID, UserName: target.DisplayName}
	}
	ng.Version, ng.Created = target.Version, target.Created
	c.upd = append(c.upd, ng)
	c.index(target, target.DisplayName, ng, ng.ID, ng.DisplayName)
	c.fills = append(c.fills, groupFill{res: idx, groupID: ng.ID, replace: true, members: op.Members})
	return Result{Row: op.Row, Outcome: Updated, ID: ng.ID, UserName: ng.DisplayName}
}

// sameMembers reports whether the existing group has exactly the
// snapshot's members (mapped).
func (c *restoreGroups) sameMembers(groupID string, members []RestoreMember) bool {
	have := map[string]bool{}
	for _, m := range c.current[groupID] {
		have[m.Value] = true
	}
	want := map[string]bool{}
	for _, m := range members {
		want[c.resolve(m.Value)] = true
	}
	if len(have) != len(want) {
		return false
	}
	for v := range want {
		if !have[v] {
			return false
		}
	}
	return true
}

// write inserts and updates the chunk's groups (not their members).
func (c *restoreGroups) write(results []Result) error {
	batch := func(groups []*store.Group, do func(context.Context, []*store.Group) error) error {
		if len(groups) == 0 {
			return nil
		}
		err := do(c.ctx, groups)
		if errs := store.ItemErrors(err); errs != nil {
			if len(results) > 1 {
				return errReplay
			}
			for _, e := range errs {
				results[0] = failed(results[0].Row, results[0].UserName, e)
			}
			clear(c.maps)
			c.fills = nil
			return nil
		}
		return err
	}
	if err := batch(c.ins, c.tx.InsertGroups); err != nil {
		return err
	}
	return batch(c.upd, c.tx.UpdateGroups)
}

// writeMembers writes the member lists of the chunk's groups: one
// existence query for all of them, one AddMembers call.
func (c *restoreGroups) writeMembers(results []Result) error {
	if len(c.fills) == 0 {
		return nil
	}
	var values []string
	for _, f := range c.fills {
		for _, m := range f.members {
			values = append(values, c.resolve(m.Value))
		}
	}
	users, groups, err := c.tx.ExistingIDs(c.ctx, values)
	if err != nil {
		return err
	}
	var rows []store.Member
	for _, f := range c.fills {
		if f.replace {
			if err := c.tx.RemoveAllMembers(c.ctx, f.groupID); err != nil {
				return err
			}
		}
		seen := make(map[string]bool, len(f.members))
		var missing []string
		added := 0
		for _, m := range f.members {
			v := c.resolve(m.Value)
			if seen[v] || v == f.groupID {
				continue
			}
			seen[v] = true
			switch {
			case users[v]:
				rows = append(rows, store.Member{GroupID: f.groupID, Value: v, Type: store.MemberUser})
			case groups[v]:
				rows = append(rows, store.Member{GroupID: f.groupID, Value: v, Type: store.MemberGroup})
			case !strings.EqualFold(m.Type, store.MemberUser):
				// Perhaps a group later in the snapshot.
				c.deferred = append(c.deferred, restoreDeferral{row: results[f.res].Row, groupID: f.groupID, value: m.Value})
				continue
			default:
				missing = append(missing, m.Value)
				continue
			}
			added++
		}
		results[f.res].MembershipsAdded = added
		if len(missing) > 0 {
			r := &results[f.res]
			*r = Result{Row: r.Row, Outcome: Failed, ID: r.ID, UserName: r.UserName, MembershipsAdded: added,
				Err: missingMembers(string(r.Outcome), missing)}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	_, err = c.tx.AddMembers(c.ctx, rows)
	return err
}

// missingMembers is the failure of a group restored without some of its
// members.
func missingMembers(outcome string, missing []string) error {
	slices.Sort(missing)
	list := missing
	more := ""
	if len(list) > 10 {
		list, more = list[:10], fmt.Sprintf(" and %d more", len(missing)-10)
	}
	return rowErrorf("group %s, but %d of its members are neither users nor groups of this tenant: %s%s",
		outcome, len(missing), strings.Join(list, ", "), more)
}

// RestoreDeferred adds the members deferred by RestoreGroups (members
// naming a group that was not restored yet), now that every group is. It
// reports a Failed result per group whose deferred members still do not
// exist, and a result with an empty Outcome (only MembershipsAdded) per
// group that got members.
func (e *Engine) RestoreDeferred(ctx context.Context, tenantID int64, r *Restore, opts RestoreOptions, sink Sink) error {
	size := opts.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	for part := range slices.Chunk(r.deferred, size*5) {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := e.runChunk(ctx, tenantID, sink, func(tx store.Tx) ([]Result, ChunkInfo, error) {
			results, err := restoreDeferredChunk(ctx, tx, r.IDs, part)
			if err == nil {
				err = reportFailures(ctx, tx, opts.ReportJob, results)
			}
			return results, ChunkInfo{}, err
		})
		if err != nil {
			return err
		}
	}
	r.deferred = nil
	return nil
}

func restoreDeferredChunk(ctx context.Context, tx store.Tx, ids IDMap, part []restoreDeferral) ([]Result, error) {
	values := make([]string, len(part))
	for i, d := range part {
		values[i] = ids.Resolve(d.value)
	}
	users, groups, err := tx.ExistingIDs(ctx, values)
	if err != nil {
		return nil, err
	}
	type acc struct {
		row     int64
		added   int
		missing []string
	}
	byGroup := map[string]*acc{}
	var order []string
	var rows []store.Member
	for i, d := range part {
		a := byGroup[d.groupID]
		if a == nil {
			a = &acc{row: d.row}
			byGroup[d.groupID] = a
			order = append(order, d.groupID)
		}
		v := values[i]
		switch {
		case groups[v]:
			rows = append(rows, store.Member{GroupID: d.groupID, Value: v, Type: store.MemberGroup})
			a.added++
		case users[v]:
			rows = append(rows, store.Member{GroupID: d.groupID, Value: v, Type: store.MemberUser})
			a.added++
		default:
			a.missing = append(a.missing, d.value)
		}
	}
	if len(rows) > 0 {
		if _, err := tx.AddMembers(ctx, rows); err != nil {
			return nil, err
		}
	}
	results := make([]Result, 0, len(order))
	for _, gid := range order {
		a := byGroup[gid]
		res := Result{Row: a.row, ID: gid, MembershipsAdded: a.added}
		if len(a.missing) > 0 {
			res.Outcome, res.Err = Failed, missingMembers("restored", a.missing)
		}
		results = append(results, res)
	}
	return results, nil
}
