package bulk

import (
	"context"
	"errors"
	"strings"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

// RestoreUsers restores the users of a tenant snapshot from next in
// chunks, one transaction per chunk (see restore.go), reporting each
// committed chunk to sink. Ids of users matched by userName under another
// id are added to r.IDs once their chunk commits.
func (e *Engine) RestoreUsers(ctx context.Context, tenantID int64, r *Restore, next func() (RestoreUser, bool, error), opts RestoreOptions, sink Sink) error {
	size := opts.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	return chunked(ctx, size, next, func(ops []RestoreUser) error {
		return e.restoreUsersChunk(ctx, tenantID, r, ops, opts, sink)
	})
}

func (e *Engine) restoreUsersChunk(ctx context.Context, tenantID int64, r *Restore, ops []RestoreUser, opts RestoreOptions, sink Sink) error {
	var c *restoreUsers
	err := e.runChunk(ctx, tenantID, sink, func(tx store.Tx) ([]Result, ChunkInfo, error) {
		c = &restoreUsers{e: e, ctx: ctx, tx: tx, opts: opts}
		results, err := c.run(ops)
		return results, ChunkInfo{}, err
	})
	if errors.Is(err, errReplay) && len(ops) > 1 {
		e.Log.WarnContext(ctx, "bulk: restore chunk hit a write conflict; replaying it one record per transaction", "ops", len(ops))
		for i := range ops {
			if err := e.restoreUsersChunk(ctx, tenantID, r, ops[i:i+1], opts, sink); err != nil {
				return err
			}
		}
		return nil
	}
	if err == nil {
		for from, to := range c.maps {
			r.IDs[from] = to
		}
	}
	return err
}

type restoreUsers struct {
	e    *Engine
	ctx  context.Context
	tx   store.Tx
	opts RestoreOptions

	// users by id and lower-cased userName as the chunk leaves them, the
	// target ids it created or overwrote, and the snapshot id → target id
	// mappings committed with it
	restoreIndex[*store.User]
	ins []*store.User
	upd []*store.User
}

// load fetches the users the chunk may match: one query by id, one by
// userName.
func (c *restoreUsers) load(ops []RestoreUser) error {
	c.restoreIndex = newRestoreIndex[*store.User]()
	ids := make([]string, 0, len(ops))
	names := make([]string, 0, len(ops))
	for i := range ops {
		if ops[i].ID != "" {
			ids = append(ids, ops[i].ID)
		}
		if un := ops[i].userName(); un != "" {
			names = append(names, un)
		}
	}
	for _, q := range []struct {
		by     store.UserKey
		values []string
	}{{store.ByID, ids}, {store.ByUserName, names}} {
		if len(q.values) == 0 {
			continue
		}
		found, err := c.tx.UsersBy(c.ctx, q.by, q.values)
		if err != nil {
			return err
		}
		for _, us := range found {
			for _, u := range us {
				if c.byID[u.ID] == nil {
					c.byID[u.ID] = u
					c.byName[strings.ToLower(u.UserName)] = u
				}
			}
		}
	}
	return nil
}

func (c *restoreUsers) run(ops []RestoreUser) ([]Result, error) {
	if err := c.load(ops); err != nil {
		return nil, err
	}
	results := make([]Result, len(ops))
	for i := range ops {
		results[i] = c.apply(&ops[i])
	}
	if err := c.write(results); err != nil {
		return nil, err
	}
	if err := reportFailures(c.ctx, c.tx, c.opts.ReportJob, results); err != nil {
		return nil, err
	}
	return results, nil
}

func (c *restoreUsers) apply(op *RestoreUser) Result {
	un := op.userName()
	fail := func(err error) Result { r := failed(op.Row, un, err); r.ID = op.ID; return r }
	target, create, settled := c.decide(userRestore, c.opts, op.Row, op.ID, un,
		func(u *store.User) string { return u.ID }, func(u *store.User) string { return u.UserName }, fail)
	if settled != nil {
		return *settled
	}
	if create {
		attrs := op.Attrs
		if op.Prepared != nil {
			attrs = nil // insert the prepared user as is
		}
		u, err := c.e.restoredUser(op, op.ID, attrs)
		if err != nil {
			return fail(err)
		}
		c.ins = append(c.ins, u)
		c.index(nil, "", u, u.ID, u.UserName)
		return Result{Row: op.Row, Outcome: Created, ID: u.ID, UserName: u.UserName}
	}
	attrs, err := op.attrs()
	if err != nil {
		return fail(err)
	}
	nu, err := c.e.restoredUser(op, target.ID, keepUserUUID(attrs, target))
	if err != nil {
		return fail(err)
	}
	c.restoreInto(op.ID, target.ID)
	stored, err := target.AttrMap()
	if err != nil {
		return fail(err)
	}
	if nu.PasswordHash == target.PasswordHash && sameAttrs(stored, nu.Attrs) {
		return Result{Row: op.Row, Outcome: Unchanged, ID: target.ID, UserName: target.UserName}
	}
	nu.Version, nu.Created = target.Version, target.Created // UpdateUsers checks the version read
	c.upd = append(c.upd, nu)
	c.index(target, target.UserName, nu, nu.ID, nu.UserName)
	return Result{Row: op.Row, Outcome: Updated, ID: nu.ID, UserName: nu.UserName}
}

// keepUserUUID returns attrs with the SAP userUuid of target, when it has
// one: an overwritten user keeps its identity (its id and userUuid), which
// other systems refer to.
func keepUserUUID(attrs map[string]any, target *store.User) map[string]any {
	if target.UserUUID == "" {
		return attrs
	}
	stored, err := target.AttrMap()
	if err != nil {
		return attrs
	}
	sapStored, _ := stored[schemas.SAPUserURN].(map[string]any)
	uuid, _ := sapStored["userUuid"].(string)
	if uuid == "" {
		return attrs
	}
	out := make(map[string]any, len(attrs)+1)
	for k, v := range attrs {
		out[k] = v
	}
	sap := map[string]any{}
	for k, v := range attrs {
		if strings.EqualFold(k, schemas.SAPUserURN) {
			if m, ok := v.(map[string]any); ok {
				for k2, v2 := range m {
					if !strings.EqualFold(k2, "userUuid") {
						sap[k2] = v2
					}
				}
			}
			delete(out, k)
		}
	}
	sap["userUuid"] = uuid
	out[schemas.SAPUserURN] = sap
	return out
}

// write performs the chunk's batched writes. A per-item failure makes a
// chunk of several records replay one record per transaction; a single
// record fails with the item's error.
func (c *restoreUsers) write(results []Result) error {
	batch := func(users []*store.User, do func(context.Context, []*store.User) error) error {
		if len(users) == 0 {
			return nil
		}
		err := do(c.ctx, users)
		if errs := store.ItemErrors(err); errs != nil {
			if len(results) > 1 {
				return errReplay
			}
			for _, e := range errs {
				results[0] = failed(results[0].Row, results[0].UserName, e)
			}
			clear(c.maps)
			return nil
		}
		return err
	}
	if err := batch(c.ins, c.tx.InsertUsers); err != nil {
		return err
	}
	return batch(c.upd, c.tx.UpdateUsers)
}
