package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/scimd/scimd/store"
)

// groupUniqueness is the error of a group item that violated c.
func groupUniqueness(c constraint, g *store.Group, cause error) error {
	switch c {
	case cGroupName:
		return uniquenessError(c, g.DisplayName, cause)
	case cGroupID:
		return uniquenessError(c, g.ID, cause)
	}
	return uniquenessError(cUnknown, "", cause)
}

// GroupsBy returns the groups with the given ids, or displayNames
// (case-insensitive) when byName, locked until the transaction ends. One
// query per 1000 values.
func (t *tx) GroupsBy(ctx context.Context, byName bool, values []string) (map[string][]*store.Group, error) {
	col := "r.id"
	if byName {
		col = "r.display_name_ci"
	}
	given, keys := keyValues(values, byName)
	out := map[string][]*store.Group{}
	for chunk := range slices.Chunk(keys, maxInList) {
		b := &binder{pg: t.pg}
		if t.pg { // see UsersBy
			b.sql("SELECT " + col + ", " + groupCols + " FROM unnest(").arg(chunk).sql("::text[]) AS k(v)")
			b.sql(" JOIN scim_groups r ON r.tenant_id = ").arg(t.tenant).sql(" AND " + col + " = k.v")
			b.sql(" ORDER BY r.id" + t.lockRows())
		} else {
			b.sql("SELECT " + col + ", " + groupCols + " FROM scim_groups r WHERE r.tenant_id = ").arg(t.tenant)
			b.sql(" AND " + col + " IN ").list(chunk).sql(" ORDER BY +r.id")
		}
		rows, err := t.query(ctx, b.String(), b.args...)
		if err != nil {
			return nil, fmt.Errorf("groups by key: %w", err)
		}
		for rows.Next() {
			var k string
			g, err := scanGroup(rows, &k)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("groups by key: %w", err)
			}
			for _, v := range given[k] {
				out[v] = append(out[v], g)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("groups by key: %w", err)
		}
	}
	return out, nil
}

// InsertGroups inserts groups (without members); a displayName collision
// fails that item only.
func (t *tx) InsertGroups(ctx context.Context, groups []*store.Group) error {
	now := fromMicros(t.s.nowMicros())
	errs := map[int]error{}
	seen := make(map[string]bool, len(groups))
	todo := make([]int, 0, len(groups))
	for i, g := range groups {
		if g.Version == 0 {
			g.Version = 1
		}
		if g.Created.IsZero() {
			g.Created = now
		}
		if g.Modified.IsZero() {
			g.Modified = now
		}
		if seen[g.ID] {
			errs[i] = uniquenessError(cGroupID, g.ID, nil)
			continue
		}
		seen[g.ID] = true
		todo = append(todo, i)
	}
	sp := insertSpec{
		table:   "scim_groups",
		columns: groupColumns,
		args:    func(i int) []any { return groupInsertArgs(t.tenant, groups[i]) },
		id:      func(i int) string { return groups[i].ID },
		uniq:    func(i int, c constraint, cause error) error { return groupUniqueness(c, groups[i], cause) },
		classify: func(failed []int) error {
			return t.classifyGroupConflicts(ctx, groups, failed, errs)
		},
	}
	if !t.pg {
		sp.stmt = t.s.stmts.insertGroup
	}
	if _, err := t.insertRows(ctx, sp, todo, errs); err != nil {
		return fmt.Errorf("insert groups: %w", err)
	}
	return batchErr(errs)
}

// classifyGroupConflicts names the constraint of groups that INSERT … ON
// CONFLICT DO NOTHING did not insert (one query per 1000).
func (t *tx) classifyGroupConflicts(ctx context.Context, groups []*store.Group, failed []int, errs map[int]error) error {
	for chunk := range slices.Chunk(failed, maxInList) {
		names, ids := make([]string, len(chunk)), make([]string, len(chunk))
		for n, i := range chunk {
			names[n], ids[n] = strings.ToLower(groups[i].DisplayName), groups[i].ID
		}
		b := &binder{pg: t.pg}
		b.sql("SELECT id, display_name_ci FROM scim_groups WHERE tenant_id = ").arg(t.tenant)
		b.sql(" AND (display_name_ci IN ").list(names).sql(" OR id IN ").list(ids).sql(")")
		rows, err := t.query(ctx, b.String(), b.args...)
		if err != nil {
			return fmt.Errorf("find conflicts: %w", err)
		}
		takenName, takenID := map[string]bool{}, map[string]bool{}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return fmt.Errorf("find conflicts: %w", err)
			}
			takenID[id], takenName[name] = true, true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("find conflicts: %w", err)
		}
		for _, i := range chunk {
			g := groups[i]
			c := cUnknown
			switch {
			case takenName[strings.ToLower(g.DisplayName)]:
				c = cGroupName
			case takenID[g.ID]:
				c = cGroupID
			}
			errs[i] = groupUniqueness(c, g, fmt.Errorf("group %q not inserted", g.ID))
		}
	}
	return nil
}

// pgGroupValues is the VALUES table of the batched PostgreSQL update.
var pgGroupValues = []col{
	{"id", "text"}, {"version", "bigint"}, {"display_name", "text"}, {"display_name_ci", "text"},
	{"external_id", "text"}, {"attrs", "jsonb"}, {"modified_at", "bigint"},
}

// UpdateGroups writes groups read in this transaction with a version
// check, storing Version+1 (members are rows of their own and untouched).
func (t *tx) UpdateGroups(ctx context.Context, groups []*store.Group) error {
	if len(groups) == 0 {
		return nil
	}
	now := fromMicros(t.s.nowMicros())
	mod := now.UnixMicro()
	errs := map[int]error{}
	missing := map[int]string{}
	items := make([]int, len(groups))
	for i := range groups {
		items[i] = i
	}
	sp := updateSpec{
		table: "scim_groups",
		what:  "group",
		one:   updateGroupSQL,
		args:  func(i int) []any { return groupUpdateArgs(t.tenant, groups[i], mod) },
		set: `display_name = v.display_name, display_name_ci = v.display_name_ci,
  external_id = v.external_id, attrs = v.attrs, version = v.version + 1, modified_at = v.modified_at`,
		cols: pgGroupValues,
		vals: func(i int) []any {
			a := groupUpdateArgs(t.tenant, groups[i], mod)
			return []any{a[7], a[8], a[0], a[1], a[2], a[3], a[4]}
		},
		id:   func(i int) string { return groups[i].ID },
		uniq: func(i int, c constraint, cause error) error { return groupUniqueness(c, groups[i], cause) },
	}
	if !t.pg {
		sp.stmt = t.s.stmts.updateGroup
	}
	ok, err := t.updateRows(ctx, sp, items, errs, missing)
	if err != nil {
		return fmt.Errorf("update groups: %w", err)
	}
	for _, i := range ok {
		groups[i].Version++
		groups[i].Modified = now
	}
	if err := t.missingErrs(ctx, "scim_groups", "group", missing, errs); err != nil {
		return fmt.Errorf("update groups: %w", err)
	}
	return batchErr(errs)
}

// DeleteGroups deletes groups, their member rows and their memberships in
// other groups (whose version is bumped).
func (t *tx) DeleteGroups(ctx context.Context, ids []string) error {
	uniq := distinct(ids)
	gone := make(map[string]bool, len(uniq))
	for _, id := range uniq {
		gone[id] = true
	}
	deleted := make(map[string]bool, len(uniq))
	var touched []string
	for chunk := range slices.Chunk(uniq, maxInList) {
		// The group rows go first (see DeleteUsers): a concurrent member
		// change holds the group row lock, so this waits for it and the
		// member DELETEs below then see what it added.
		b := &binder{pg: t.pg}
		b.sql("DELETE FROM scim_groups WHERE tenant_id = ").arg(t.tenant).sql(" AND id IN ").list(chunk)
		b.sql(" RETURNING id")
		got, err := t.queryIDs(ctx, b.String(), b.args...)
		if err != nil {
			return fmt.Errorf("delete groups: %w", err)
		}
		for _, id := range got {
			deleted[id] = true
		}
		b = &binder{pg: t.pg}
		b.sql("DELETE FROM group_members WHERE tenant_id = ").arg(t.tenant).sql(" AND group_id IN ").list(chunk)
		if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
			return fmt.Errorf("delete groups: members: %w", err)
		}
		containers, err := t.deleteMemberships(ctx, "member_id", chunk)
		if err != nil {
			return fmt.Errorf("delete groups: %w", err)
		}
		for _, g := range containers {
			if !gone[g] {
				touched = append(touched, g)
			}
		}
	}
	if err := t.TouchGroups(ctx, distinct(touched)); err != nil {
		return fmt.Errorf("delete groups: %w", err)
	}
	errs := map[int]error{}
	for i, id := range ids {
		if !deleted[id] {
			errs[i] = notFound("group", id)
		}
	}
	return batchErr(errs)
}
