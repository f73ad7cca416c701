package bulk

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/scimd/scimd/store"
)

// postUsers runs a batch of POST /Users operations (see batchable): one
// transaction, one InsertUsers call. Results are recorded in order until
// failOnErrors is reached; operations after that stay pending (not run),
// and a batch that inserted any of them is rolled back and rerun without
// them.
func (x *run) postUsers(batch []int) {
	type item struct {
		u   *store.User
		err error
	}
	items := make([]item, len(batch))
	for k, i := range batch {
		items[k].u, items[k].err = x.buildUser(i)
	}
	limit := len(batch)
	for {
		var (
			users []*store.User
			at    []int // users[j] is items[at[j]]
		)
		for k := 0; k < limit; k++ {
			if items[k].err == nil {
				users = append(users, items[k].u)
				at = append(at, k)
			}
		}
		insErr := map[int]error{}
		var err error
		if len(users) > 0 {
			err = x.tx(func(tx store.Tx) error {
				clear(insErr)
				berr := tx.InsertUsers(x.ctx, users)
				if errs := store.ItemErrors(berr); errs != nil {
					for j, e := range errs {
						insErr[at[j]] = e
					}
				} else if berr != nil {
					return berr
				}
				if x.opts.FailOnErrors <= 0 {
					return nil
				}
				// Where does failOnErrors stop this batch? If any operation
				// after that point was inserted, roll back and rerun the
				// batch up to it.
				errs := x.errs
				for stop := 0; stop < limit; stop++ {
					if errs >= x.opts.FailOnErrors {
						for k := stop; k < limit; k++ {
							if items[k].err == nil && insErr[k] == nil {
								limit = stop
								return errShrink
							}
						}
						break
					}
					if items[stop].err != nil || insErr[stop] != nil {
						errs++
					}
				}
				return nil
			})
			if errors.Is(err, errShrink) {
				continue
			}
		}
		for k := 0; k < limit; k++ {
			if x.stopped() {
				return
			}
			i := batch[k]
			e := items[k].err
			if e == nil {
				e = err
			}
			if e == nil {
				e = insErr[k]
			}
			if e != nil {
				x.fail(i, e)
				continue
			}
			x.succeed(i, http.StatusCreated, items[k].u.ID, items[k].u.Version)
		}
		return
	}
}

// buildUser checks and builds the user of a POST /Users operation.
func (x *run) buildUser(i int) (*store.User, error) {
	p := &x.plans[i]
	if err := x.authorize(p); err != nil {
		return nil, err
	}
	if err := x.prepare(i, nil); err != nil {
		return nil, err
	}
	attrs, err := x.attrs(i)
	if err != nil {
		return nil, err
	}
	return x.r.e.Svc.NewUser(attrs)
}

// runCycle runs the POST operations of a reference cycle together in one
// transaction. References that are group members are deferred: every
// resource of the cycle is created first, then the members are added.
// The other references must leave no cycle (they are needed to build a
// resource); if they do, every operation fails with errCycle.
func (x *run) runCycle(unit []int) {
	in := make(map[int]bool, len(unit))
	for _, i := range unit {
		in[i] = true
	}
	for _, i := range unit {
		if p := &x.plans[i]; p.err != nil || p.method != http.MethodPost {
			// Cannot happen: only POSTs are referenced, and a malformed
			// operation references nothing.
			x.failUnit(unit, i, fmt.Errorf("bulk: operation %d in a reference cycle is not a valid POST", i+1))
			return
		}
	}
	order, ok := x.hardOrder(unit, in)
	if !ok {
		err := errCycle(unit)
		for _, i := range unit {
			x.fail(i, err)
		}
		return
	}

	type built struct {
		i        int
		u        *store.User
		g        *store.Group
		members  []store.Member
		deferred []deferredMember
	}
	ids := map[string]string{} // bulkId -> id, for the cycle's resources built so far
	var bs []*built
	for _, i := range order {
		p := &x.plans[i]
		if err := x.authorize(p); err != nil {
			x.failUnit(unit, i, err)
			return
		}
		deferred := map[string]bool{}
		err := x.prepare(i, func(ref string) (string, bool, error) {
			if !in[x.defs[ref]] {
				id, err := x.refID(ref)
				return id, err == nil, err
			}
			if slices.Contains(p.hard, ref) {
				return ids[ref], true, nil // built earlier (hardOrder)
			}
			deferred[ref] = true
			return "", false, nil
		})
		if err != nil {
			x.failUnit(unit, i, err)
			return
		}
		attrs, err := x.attrs(i)
		if err != nil {
			x.failUnit(unit, i, err)
			return
		}
		b := &built{i: i}
		switch p.kind.res {
		case Users:
			if b.u, err = x.r.e.Svc.NewUser(attrs); err == nil {
				ids[x.ops[i].BulkID] = b.u.ID
			}
		case Groups:
			b.deferred = takeDeferred(attrs, deferred)
			if b.g, b.members, err = x.r.e.Svc.NewGroup(attrs); err == nil {
				ids[x.ops[i].BulkID] = b.g.ID
			}
		}
		if err != nil {
			x.failUnit(unit, i, err)
			return
		}
		bs = append(bs, b)
	}

	failedAt, opErr := -1, error(nil)
	err := x.tx(func(tx store.Tx) error {
		var users []*store.User
		var groups []*store.Group
		var uAt, gAt []int
		for _, b := range bs {
			if b.u != nil {
				users, uAt = append(users, b.u), append(uAt, b.i)
			} else {
				groups, gAt = append(groups, b.g), append(gAt, b.i)
			}
		}
		itemFail := func(err error, at []int) error {
			errs := store.ItemErrors(err)
			if errs == nil {
				return err
			}
			for j, e := range errs {
				if failedAt < 0 || at[j] < failedAt {
					failedAt, opErr = at[j], e
				}
			}
			return errRollback
		}
		if len(users) > 0 {
			if err := tx.InsertUsers(x.ctx, users); err != nil {
				return itemFail(err, uAt)
			}
		}
		if len(groups) > 0 {
			if err := tx.InsertGroups(x.ctx, groups); err != nil {
				return itemFail(err, gAt)
			}
		}
		for _, b := range bs {
			if b.g == nil {
				continue
			}
			ms := b.members
			for _, d := range b.deferred {
				ms = append(ms, store.Member{Value: ids[d.ref], Type: d.typ})
			}
			if err := ResolveMembers(x.ctx, tx, b.g.ID, ms); err != nil {
				failedAt, opErr = b.i, err
				return errRollback
			}
			if _, err := tx.AddMembers(x.ctx, ms); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errRollback):
		x.failUnit(unit, failedAt, opErr)
	case err != nil:
		for _, i := range unit {
			x.fail(i, err)
		}
	default:
		for _, b := range bs {
			if b.u != nil {
				x.succeed(b.i, http.StatusCreated, b.u.ID, b.u.Version)
			} else {
				x.succeed(b.i, http.StatusCreated, b.g.ID, b.g.Version)
			}
		}
	}
}

// errRollback rolls back a cycle's transaction after one of its
// operations failed.
var errRollback = errors.New("bulk: an operation of the cycle failed")

// failUnit fails operation i of a cycle with err and the cycle's other
// operations because they depend on it.
func (x *run) failUnit(unit []int, i int, err error) {
	x.fail(i, err)
	for _, j := range unit {
		if j != i {
			x.fail(j, invalidValue("operation %d failed, and this operation is in a bulkId reference cycle with it (a cycle's operations succeed or fail together)", i+1))
		}
	}
}

// hardOrder orders a cycle's operations so that every operation comes
// after those it references other than as a group member. ok is false
// when those references alone still form a cycle.
func (x *run) hardOrder(unit []int, in map[int]bool) ([]int, bool) {
	deps := map[int][]int{}
	for _, i := range unit {
		for _, ref := range x.plans[i].hard {
			if d := x.defs[ref]; in[d] {
				deps[i] = append(deps[i], d)
			}
		}
	}
	done := map[int]bool{}
	order := make([]int, 0, len(unit))
	for len(order) < len(unit) {
		progress := false
		for _, i := range unit { // request order among the ready ones
			if done[i] {
				continue
			}
			ready := true
			for _, d := range deps[i] {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				done[i] = true
				order = append(order, i)
				progress = true
			}
		}
		if !progress {
			return nil, false
		}
	}
	return order, true
}

// deferredMember is a group member that references a resource of the
// same cycle; it is added once every resource of the cycle exists.
type deferredMember struct {
	ref string // the bulkId
	typ string // "User", "Group" or "" as sent
}

// takeDeferred removes from validated group attributes the members whose
// value references one of refs and returns them.
func takeDeferred(attrs map[string]any, refs map[string]bool) []deferredMember {
	if len(refs) == 0 {
		return nil
	}
	list, ok := attrs["members"].([]any)
	if !ok {
		return nil
	}
	var out []deferredMember
	kept := list[:0:0]
	for _, el := range list {
		m, ok := el.(map[string]any)
		if !ok {
			kept = append(kept, el)
			continue
		}
		v, _ := m["value"].(string)
		if ref, isRef := strings.CutPrefix(v, refPrefix); isRef && refs[ref] {
			typ, _ := m["type"].(string)
			switch {
			case typ == "":
			case strings.EqualFold(typ, store.MemberUser):
				typ = store.MemberUser
			case strings.EqualFold(typ, store.MemberGroup):
				typ = store.MemberGroup
			default:
				kept = append(kept, el) // NewGroup reports the bad type
				continue
			}
			out = append(out, deferredMember{ref: ref, typ: typ})
			continue
		}
		kept = append(kept, el)
	}
	if len(kept) == 0 {
		delete(attrs, "members")
	} else {
		attrs["members"] = kept
	}
	return out
}
