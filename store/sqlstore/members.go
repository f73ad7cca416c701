package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/scimd/scimd/store"
)

// Members returns the members of each given group with Display filled:
// the user's displayName or userName, or the member group's displayName.
// One query per 1000 group ids.
func (s *Store) Members(ctx context.Context, tenantID int64, groupIDs []string) (map[string][]store.Member, error) {
	const q = `SELECT m.group_id, m.member_id, m.member_type,
  COALESCE(u.display_name, u.user_name, g.display_name, '')
FROM group_members m
LEFT JOIN scim_users u ON m.member_type = 'User' AND u.tenant_id = m.tenant_id AND u.id = m.member_id
LEFT JOIN scim_groups g ON m.member_type = 'Group' AND g.tenant_id = m.tenant_id AND g.id = m.member_id
WHERE m.tenant_id = ? AND m.group_id IN `
	out := map[string][]store.Member{}
	b := &binder{}
	for ids := range slices.Chunk(distinct(groupIDs), maxInList) {
		b.reset()
		b.sql(q).list(ids).sql(" ORDER BY m.group_id, m.member_id")
		rows, err := s.query(ctx, b.String(), append([]any{tenantID}, b.args...)...)
		if err != nil {
			return nil, fmt.Errorf("members: %w", err)
		}
		for rows.Next() {
			if err := ctx.Err(); err != nil {
				rows.Close()
				return nil, fmt.Errorf("members: %w", err)
			}
			var m store.Member
			if err := rows.Scan(&m.GroupID, &m.Value, &m.Type, &m.Display); err != nil {
				rows.Close()
				return nil, fmt.Errorf("members: %w", err)
			}
			out[m.GroupID] = append(out[m.GroupID], m)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("members: %w", err)
		}
	}
	return out, nil
}

// GroupsOfUsers returns the direct groups of each given user, Display
// being the group's displayName. One query per 1000 user ids.
func (s *Store) GroupsOfUsers(ctx context.Context, tenantID int64, userIDs []string) (map[string][]store.GroupRef, error) {
	const q = `SELECT m.member_id, m.group_id, g.display_name
FROM group_members m
JOIN scim_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
WHERE m.tenant_id = ? AND m.member_id IN `
	out := map[string][]store.GroupRef{}
	b := &binder{}
	for ids := range slices.Chunk(distinct(userIDs), maxInList) {
		b.reset()
		b.sql(q).list(ids).sql(" ORDER BY m.member_id, m.group_id")
		rows, err := s.query(ctx, b.String(), append([]any{tenantID}, b.args...)...)
		if err != nil {
			return nil, fmt.Errorf("groups of users: %w", err)
		}
		for rows.Next() {
			if err := ctx.Err(); err != nil {
				rows.Close()
				return nil, fmt.Errorf("groups of users: %w", err)
			}
			var r store.GroupRef
			if err := rows.Scan(&r.UserID, &r.GroupID, &r.Display); err != nil {
				rows.Close()
				return nil, fmt.Errorf("groups of users: %w", err)
			}
			out[r.UserID] = append(out[r.UserID], r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("groups of users: %w", err)
		}
	}
	return out, nil
}
