package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/scimd/scimd/store"
)

// AddMembers inserts membership rows, ignoring existing ones, and returns
// how many were new. SQLite: prepared one-row INSERTs; PostgreSQL: COPY
// for large batches of new rows (tryCopy), else (or when a row exists)
// multi-row INSERT … ON CONFLICT DO NOTHING.
func (t *tx) AddMembers(ctx context.Context, members []store.Member) (int, error) {
	var added int64
	if len(members) > 1 {
		// In primary-key order, consecutive rows land on the same B-tree
		// pages (an import adds each user to a few groups).
		members = slices.Clone(members)
		slices.SortFunc(members, func(a, b store.Member) int {
			if c := strings.Compare(a.GroupID, b.GroupID); c != 0 {
				return c
			}
			return strings.Compare(a.Value, b.Value)
		})
	}
	if !t.pg {
		ins := t.stmt(ctx, t.s.stmts.insertMember)
		for _, m := range members {
			n, err := execCount(rowExec(ctx, ins, t.tenant, m.GroupID, m.Value, memberType(m)))
			if err != nil {
				return 0, fmt.Errorf("add members: %w", err)
			}
			added += n
		}
		return int(added), nil
	}
	cols := []string{"tenant_id", "group_id", "member_id", "member_type"}
	b := &binder{pg: true}
	for part := range slices.Chunk(members, copyChunkRows) {
		done, err := t.tryCopy(ctx, "group_members", cols, len(part), func(k int) []any {
			return []any{t.tenant, part[k].GroupID, part[k].Value, memberType(part[k])}
		})
		if err != nil {
			return 0, fmt.Errorf("add members: %w", err)
		}
		if done {
			added += int64(len(part))
			continue
		}
		for chunk := range slices.Chunk(part, 5*pgBatchRows) {
			b.reset()
			b.sql("INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES ")
			b.bind(t.tenant) // $1, referenced by tenantRef
			for i, m := range chunk {
				if i > 0 {
					b.sql(", ")
				}
				b.tuple(tenantRef, m.GroupID, m.Value, memberType(m))
			}
			b.sql(" ON CONFLICT DO NOTHING")
			n, err := execCount(t.exec(ctx, b.String(), b.args...))
			if err != nil {
				return 0, fmt.Errorf("add members: %w", err)
			}
			added += n
		}
	}
	return int(added), nil
}

// memberType defaults an empty Type to a user member.
func memberType(m store.Member) string {
	if m.Type == "" {
		return store.MemberUser
	}
	return m.Type
}

// RemoveMembers deletes membership rows by primary key and returns how
// many existed.
func (t *tx) RemoveMembers(ctx context.Context, members []store.Member) (int, error) {
	var removed int64
	if !t.pg {
		del := t.stmt(ctx, t.s.stmts.deleteMember)
		for _, m := range members {
			n, err := execCount(rowExec(ctx, del, t.tenant, m.GroupID, m.Value))
			if err != nil {
				return 0, fmt.Errorf("remove members: %w", err)
			}
			removed += n
		}
		return int(removed), nil
	}
	b := &binder{pg: true}
	for chunk := range slices.Chunk(members, 5*pgBatchRows) {
		b.reset()
		b.sql("DELETE FROM group_members WHERE tenant_id = ").arg(t.tenant).sql(" AND (group_id, member_id) IN (")
		for i, m := range chunk {
			if i > 0 {
				b.sql(", ")
			}
			b.tuple(m.GroupID, m.Value)
		}
		b.sql(")")
		n, err := execCount(t.exec(ctx, b.String(), b.args...))
		if err != nil {
			return 0, fmt.Errorf("remove members: %w", err)
		}
		removed += n
	}
	return int(removed), nil
}

// RemoveAllMembers deletes every member row of a group.
func (t *tx) RemoveAllMembers(ctx context.Context, groupID string) error {
	b := &binder{pg: t.pg}
	b.sql("DELETE FROM group_members WHERE tenant_id = ").arg(t.tenant).sql(" AND group_id = ").arg(groupID)
	if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
		return fmt.Errorf("remove all members: %w", err)
	}
	return nil
}

// ExistingIDs returns which ids are users and which are groups, one query
// per 1000 ids. On PostgreSQL the rows are locked FOR KEY SHARE: they
// cannot be deleted before the transaction ends.
func (t *tx) ExistingIDs(ctx context.Context, ids []string) (users, groups map[string]bool, err error) {
	users, groups = map[string]bool{}, map[string]bool{}
	lock := ""
	if t.pg {
		lock = " FOR KEY SHARE"
	}
	for chunk := range slices.Chunk(distinct(ids), maxInList) {
		b := &binder{pg: t.pg}
		b.sql("SELECT id, 'U' FROM (SELECT id FROM scim_users WHERE tenant_id = ").arg(t.tenant)
		b.sql(" AND id IN ").list(chunk).sql(lock + ") u UNION ALL ")
		b.sql("SELECT id, 'G' FROM (SELECT id FROM scim_groups WHERE tenant_id = ").ref(1)
		b.sql(" AND id IN ").list(chunk).sql(lock + ") g")
		rows, err := t.query(ctx, b.String(), b.args...)
		if err != nil {
			return nil, nil, fmt.Errorf("existing ids: %w", err)
		}
		for rows.Next() {
			var id, kind string
			if err := rows.Scan(&id, &kind); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("existing ids: %w", err)
			}
			if kind == "U" {
				users[id] = true
			} else {
				groups[id] = true
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("existing ids: %w", err)
		}
	}
	return users, groups, nil
}

// TouchGroups bumps version and lastModified of the given groups (unknown
// ids are ignored). One statement per 1000 ids.
func (t *tx) TouchGroups(ctx context.Context, ids []string) error {
	now := t.s.nowMicros()
	for chunk := range slices.Chunk(distinct(ids), maxInList) {
		b := &binder{pg: t.pg}
		b.sql("UPDATE scim_groups SET version = version + 1, modified_at = ").arg(now)
		b.sql(" WHERE tenant_id = ").arg(t.tenant).sql(" AND id IN ").list(chunk)
		if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
			return fmt.Errorf("touch groups: %w", err)
		}
	}
	return nil
}
