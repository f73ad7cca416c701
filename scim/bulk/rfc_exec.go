package bulk

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/store"
)

// refID returns the id created by the POST that declares ref, or why the
// reference cannot be resolved.
func (x *run) refID(ref string) (string, error) {
	d := x.defs[ref]
	switch x.state[d] {
	case succeeded:
		return x.res[d].ID, nil
	case failedOp:
		return "", invalidValue("bulkId %q cannot be resolved: operation %d, which declares it, failed", ref, d+1)
	}
	return "", invalidValue("bulkId %q cannot be resolved: operation %d, which declares it, did not run", ref, d+1)
}

// prepare resolves operation i's references (all of them, or those for
// which known returns an id) in its path and data.
func (x *run) prepare(i int, known func(ref string) (string, bool, error)) error {
	p := &x.plans[i]
	if len(p.refs) == 0 {
		return nil
	}
	ids := make(map[string]string, len(p.refs))
	for _, ref := range p.refs {
		if known != nil {
			id, ok, err := known(ref)
			if err != nil {
				return err
			}
			if ok {
				ids[ref] = id
			}
			continue
		}
		id, err := x.refID(ref)
		if err != nil {
			return err
		}
		ids[ref] = id
	}
	if p.idRef != "" {
		p.id = ids[p.idRef]
		x.res[i].ID = p.id
	}
	if p.decoded {
		p.data = substitute(p.data, func(ref string) (string, bool) {
			id, ok := ids[ref]
			return id, ok
		})
	}
	return nil
}

// body returns operation i's data decoded (POST and PUT).
func (x *run) body(i int) (any, error) {
	p := &x.plans[i]
	if !p.decoded {
		v, err := decodeJSON(x.ops[i].Data)
		if err != nil {
			return nil, resourceError(resource.InvalidSyntax, "data is not valid JSON: %v", err)
		}
		p.data, p.decoded = v, true
	}
	return p.data, nil
}

// attrs returns operation i's data validated as the HTTP endpoints
// validate a POST or PUT body.
func (x *run) attrs(i int) (map[string]any, error) {
	if x.r.Precheck != nil {
		if err := x.r.Precheck(x.plans[i].kind.rt, x.ops[i].Data); err != nil {
			return nil, err
		}
	}
	v, err := x.body(i)
	if err != nil {
		return nil, err
	}
	return x.plans[i].kind.validate(v)
}

// patchOps decodes operation i's data as a PatchOp body with the shared
// decoder.
func (x *run) patchOps(i int) ([]resource.Op, error) {
	p := &x.plans[i]
	raw := []byte(x.ops[i].Data)
	if p.decoded {
		b, err := json.Marshal(p.data)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	return p.kind.patch.Decode(raw)
}

// runOne runs one operation in its own transaction.
func (x *run) runOne(i int) {
	p := &x.plans[i]
	if p.err != nil {
		x.fail(i, p.err)
		return
	}
	if err := x.authorize(p); err != nil {
		x.fail(i, err)
		return
	}
	if err := x.prepare(i, nil); err != nil {
		x.fail(i, err)
		return
	}
	var (
		status  int
		id      string
		version int64
		err     error
	)
	switch p.kind.res {
	case Users:
		status, id, version, err = x.user(i)
	case Groups:
		status, id, version, err = x.group(i)
	}
	if err != nil {
		x.fail(i, err)
		return
	}
	x.succeed(i, status, id, version)
}

func (x *run) tx(fn func(tx store.Tx) error) error {
	return x.r.e.Store.Tx(x.ctx, x.tenant, fn)
}

// user runs a User operation.
func (x *run) user(i int) (int, string, int64, error) {
	p := &x.plans[i]
	ctx, svc := x.ctx, x.r.e.Svc
	switch p.method {
	case http.MethodPost:
		attrs, err := x.attrs(i)
		if err != nil {
			return 0, "", 0, err
		}
		u, err := svc.NewUser(attrs)
		if err != nil {
			return 0, "", 0, err
		}
		if err := x.tx(func(tx store.Tx) error {
			return single(tx.InsertUsers(ctx, []*store.User{u}))
		}); err != nil {
			return 0, "", 0, err
		}
		return http.StatusCreated, u.ID, u.Version, nil
	case http.MethodPut:
		attrs, err := x.attrs(i)
		if err != nil {
			return 0, "", 0, err
		}
		var out *store.User
		err = x.tx(func(tx store.Tx) error {
			old, err := x.lockUser(tx, i)
			if err != nil {
				return err
			}
			if out, err = svc.ReplaceUser(old, attrs); err != nil {
				return err
			}
			return single(tx.UpdateUsers(ctx, []*store.User{out}))
		})
		if err != nil {
			return 0, "", 0, err
		}
		return http.StatusOK, out.ID, out.Version, nil
	case http.MethodPatch:
		ops, err := x.patchOps(i)
		if err != nil {
			return 0, "", 0, err
		}
		var out *store.User
		err = x.tx(func(tx store.Tx) error {
			old, err := x.lockUser(tx, i)
			if err != nil {
				return err
			}
			nu, changed, err := svc.PatchUser(old, ops)
			if err != nil {
				return err
			}
			if !changed {
				out = old
				return nil
			}
			out = nu
			return single(tx.UpdateUsers(ctx, []*store.User{nu}))
		})
		if err != nil {
			return 0, "", 0, err
		}
		return http.StatusOK, out.ID, out.Version, nil
	default: // DELETE
		return x.delete(i, func(tx store.Tx) error {
			if x.ops[i].Version != "" {
				if _, err := x.lockUser(tx, i); err != nil {
					return err
				}
			}
			return single(tx.DeleteUsers(ctx, []string{p.id}))
		})
	}
}

// delete runs operation i's DELETE transaction.
func (x *run) delete(i int, fn func(tx store.Tx) error) (int, string, int64, error) {
	if err := x.tx(fn); err != nil {
		return 0, "", 0, err
	}
	return http.StatusNoContent, x.plans[i].id, 0, nil
}

// lockUser reads operation i's user for update and checks its version.
func (x *run) lockUser(tx store.Tx, i int) (*store.User, error) {
	return lockOne(x, i, func(id string) (map[string][]*store.User, error) {
		return tx.UsersBy(x.ctx, store.ByID, []string{id})
	}, func(u *store.User) int64 { return u.Version })
}

// lockOne reads operation i's resource for update through get and checks
// its version (the operation's If-Match).
func lockOne[T any](x *run, i int, get func(id string) (map[string][]T, error), version func(T) int64) (T, error) {
	var zero T
	p := &x.plans[i]
	m, err := get(p.id)
	if err != nil {
		return zero, err
	}
	found := m[p.id]
	if len(found) == 0 {
		return zero, errNotFound(p.kind, p.id)
	}
	if err := checkVersion(x.ops[i].Version, version(found[0])); err != nil {
		return zero, err
	}
	return found[0], nil
}

// group runs a Group operation.
func (x *run) group(i int) (int, string, int64, error) {
	p := &x.plans[i]
	ctx, svc := x.ctx, x.r.e.Svc
	switch p.method {
	case http.MethodPost:
		attrs, err := x.attrs(i)
		if err != nil {
			return 0, "", 0, err
		}
		g, members, err := svc.NewGroup(attrs)
		if err != nil {
			return 0, "", 0, err
		}
		err = x.tx(func(tx store.Tx) error {
			if err := ResolveMembers(ctx, tx, g.ID, members); err != nil {
				return err
			}
			if err := single(tx.InsertGroups(ctx, []*store.Group{g})); err != nil {
				return err
			}
			_, err := tx.AddMembers(ctx, members)
			return err
		})
		if err != nil {
			return 0, "", 0, err
		}
		return http.StatusCreated, g.ID, g.Version, nil
	case http.MethodPut:
		attrs, err := x.attrs(i)
		if err != nil {
			return 0, "", 0, err
		}
		var out *store.Group
		err = x.tx(func(tx store.Tx) error {
			old, err := x.lockGroup(tx, i)
			if err != nil {
				return err
			}
			g, delta, err := svc.ReplaceGroup(old, attrs)
			if err != nil {
				return err
			}
			if _, err := ApplyDelta(ctx, tx, g.ID, delta); err != nil {
				return err
			}
			out = g
			return single(tx.UpdateGroups(ctx, []*store.Group{g}))
		})
		if err != nil {
			return 0, "", 0, err
		}
		return http.StatusOK, out.ID, out.Version, nil
	case http.MethodPatch:
		ops, err := x.patchOps(i)
		if err != nil {
			return 0, "", 0, err
		}
		var out *store.Group
		err = x.tx(func(tx store.Tx) error {
			old, err := x.lockGroup(tx, i)
			if err != nil {
				return err
			}
			loader := func() ([]store.Member, error) {
				mm, err := x.r.e.Store.Members(ctx, x.tenant, []string{old.ID})
				return mm[old.ID], err
			}
			g, delta, changed, err := svc.PatchGroup(old, ops, loader)
			if err != nil {
				return err
			}
			membersChanged, err := ApplyDelta(ctx, tx, old.ID, delta)
			if err != nil {
				return err
			}
			switch {
			case changed:
				out = g
				return single(tx.UpdateGroups(ctx, []*store.Group{g}))
			case membersChanged:
				if err := tx.TouchGroups(ctx, []string{old.ID}); err != nil {
					return err
				}
				touched := *old
				touched.Version++
				out = &touched
			default:
				out = old
			}
			return nil
		})
		if err != nil {
			return 0, "", 0, err
		}
		return http.StatusOK, out.ID, out.Version, nil
	default: // DELETE
		return x.delete(i, func(tx store.Tx) error {
			if x.ops[i].Version != "" {
				if _, err := x.lockGroup(tx, i); err != nil {
					return err
				}
			}
			return single(tx.DeleteGroups(ctx, []string{p.id}))
		})
	}
}

// lockGroup reads operation i's group for update and checks its version.
func (x *run) lockGroup(tx store.Tx, i int) (*store.Group, error) {
	return lockOne(x, i, func(id string) (map[string][]*store.Group, error) {
		return tx.GroupsBy(x.ctx, false, []string{id})
	}, func(g *store.Group) int64 { return g.Version })
}

// checkVersion applies an operation's version like If-Match: a list of
// entity tags (weak or strong, quoted or not) or "*"; no match is
// store.ErrVersionMismatch (412).
func checkVersion(want string, version int64) error {
	if strings.TrimSpace(want) == "" {
		return nil
	}
	v := strconv.FormatInt(version, 10)
	for _, t := range strings.Split(want, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return nil
		}
		t = strings.TrimPrefix(t, "W/")
		if strings.Trim(t, `"`) == v {
			return nil
		}
	}
	return store.ErrVersionMismatch
}
