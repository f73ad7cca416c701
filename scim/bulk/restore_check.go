package bulk

import (
	"context"
	"strings"

	"github.com/scimd/scimd/store"
)

// UserConflicts returns the snapshot users among keys that match an
// existing user of the tenant by id or by userName (the mode=fail
// pre-pass; it writes nothing). One query by id and one by userName.
func (e *Engine) UserConflicts(ctx context.Context, tenantID int64, keys []RecordKey) ([]Conflict, error) {
	var out []Conflict
	err := e.Store.Tx(ctx, tenantID, func(tx store.Tx) error {
		ids, names := keyValues(keys)
		byID, err := tx.UsersBy(ctx, store.ByID, ids)
		if err != nil {
			return err
		}
		byName, err := tx.UsersBy(ctx, store.ByUserName, names)
		if err != nil {
			return err
		}
		names2 := lowerIndex(byName, func(u *store.User) string { return u.ID })
		for _, k := range keys {
			if us := byID[k.ID]; len(us) > 0 {
				out = append(out, Conflict{Row: k.Row, Resource: "User", ID: k.ID, Name: k.Name, By: "id", ExistingID: us[0].ID})
			} else if id := names2[strings.ToLower(k.Name)]; id != "" {
				out = append(out, Conflict{Row: k.Row, Resource: "User", ID: k.ID, Name: k.Name, By: "userName", ExistingID: id})
			}
		}
		return nil
	})
	return out, err
}

// GroupConflicts does the same for groups, by id or displayName.
func (e *Engine) GroupConflicts(ctx context.Context, tenantID int64, keys []RecordKey) ([]Conflict, error) {
	var out []Conflict
	err := e.Store.Tx(ctx, tenantID, func(tx store.Tx) error {
		ids, names := keyValues(keys)
		byID, err := tx.GroupsBy(ctx, false, ids)
		if err != nil {
			return err
		}
		byName, err := tx.GroupsBy(ctx, true, names)
		if err != nil {
			return err
		}
		names2 := lowerIndex(byName, func(g *store.Group) string { return g.ID })
		for _, k := range keys {
			if gs := byID[k.ID]; len(gs) > 0 {
				out = append(out, Conflict{Row: k.Row, Resource: "Group", ID: k.ID, Name: k.Name, By: "id", ExistingID: gs[0].ID})
			} else if id := names2[strings.ToLower(k.Name)]; id != "" {
				out = append(out, Conflict{Row: k.Row, Resource: "Group", ID: k.ID, Name: k.Name, By: "displayName", ExistingID: id})
			}
		}
		return nil
	})
	return out, err
}

func keyValues(keys []RecordKey) (ids, names []string) {
	for _, k := range keys {
		if k.ID != "" {
			ids = append(ids, k.ID)
		}
		if k.Name != "" {
			names = append(names, k.Name)
		}
	}
	return ids, names
}

// lowerIndex maps the lower-cased given values of a look-up result to the
// id of the (first) resource found.
func lowerIndex[T any](found map[string][]T, id func(T) string) map[string]string {
	out := make(map[string]string, len(found))
	for v, rs := range found {
		if len(rs) > 0 {
			out[strings.ToLower(v)] = id(rs[0])
		}
	}
	return out
}
