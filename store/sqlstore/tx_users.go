package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/scimd/scimd/store"
)

// userKeyCol is the column matched by a key (ByEmail joins user_emails
// aliased e) and whether values are lower-cased first.
func userKeyCol(key store.UserKey) (col string, fold bool, err error) {
	switch key {
	case store.ByID:
		return "r.id", false, nil
	case store.ByUserName:
		return "r.user_name_ci", true, nil
	case store.ByExternalID:
		return "r.external_id", false, nil
	case store.ByEmail:
		return "e.value_ci", true, nil
	case store.ByUserUUID:
		return "r.user_uuid_ci", true, nil
	}
	return "", false, fmt.Errorf("unknown user key %d", key)
}

// keyValues maps each look-up value (lower-cased when fold) to the given
// values it stands for, and lists the distinct look-up values.
func keyValues(values []string, fold bool) (map[string][]string, []string) {
	given := make(map[string][]string, len(values))
	var keys []string
	for _, v := range values {
		k := v
		if fold {
			k = strings.ToLower(v)
		}
		prev, ok := given[k]
		if !ok {
			keys = append(keys, k)
		}
		if !slices.Contains(prev, v) {
			given[k] = append(prev, v)
		}
	}
	return given, keys
}

// UsersBy returns the users matching each value, locked until the
// transaction ends. One query per 1000 values.
func (t *tx) UsersBy(ctx context.Context, key store.UserKey, values []string) (map[string][]*store.User, error) {
	col, fold, err := userKeyCol(key)
	if err != nil {
		return nil, err
	}
	out := map[string][]*store.User{}
	given, keys := keyValues(values, fold)
	from := " FROM scim_users r"
	if key == store.ByEmail {
		from = " FROM user_emails e JOIN scim_users r ON r.tenant_id = e.tenant_id AND r.id = e.user_id"
	}
	tenantCol := strings.SplitN(col, ".", 2)[0] + ".tenant_id"
	byID := map[string]*store.User{}
	for chunk := range slices.Chunk(keys, maxInList) {
		b := &binder{pg: t.pg}
		if t.pg {
			// Driven from the value list, so that the plan is an index
			// look-up per value even when the table's statistics lag
			// behind a large import; ORDER BY r.id locks in a fixed order.
			b.sql("SELECT " + col + ", " + userCols + " FROM unnest(").arg(chunk).sql("::text[]) AS k(v)")
			if key == store.ByEmail {
				b.sql(" JOIN user_emails e ON e.tenant_id = ").arg(t.tenant).sql(" AND e.value_ci = k.v")
				b.sql(" JOIN scim_users r ON r.tenant_id = e.tenant_id AND r.id = e.user_id")
			} else {
				b.sql(" JOIN scim_users r ON r.tenant_id = ").arg(t.tenant).sql(" AND " + col + " = k.v")
			}
			b.sql(" ORDER BY r.id" + t.lockRows())
		} else {
			// "+r.id": ordering must not make SQLite walk the primary key
			// of the whole tenant instead of the identifier's index.
			b.sql("SELECT " + col + ", " + userCols + from + " WHERE " + tenantCol + " = ").arg(t.tenant)
			b.sql(" AND " + col + " IN ").list(chunk).sql(" ORDER BY +r.id")
		}
		rows, err := t.query(ctx, b.String(), b.args...)
		if err != nil {
			return nil, fmt.Errorf("users by key: %w", err)
		}
		for rows.Next() {
			var k string
			u, err := scanUser(rows, &k)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("users by key: %w", err)
			}
			if prev, ok := byID[u.ID]; ok {
				u = prev
			} else {
				byID[u.ID] = u
				t.emails[u.ID] = lowerSet(u.Emails)
			}
			for _, v := range given[k] {
				out[v] = append(out[v], u)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("users by key: %w", err)
		}
	}
	return out, nil
}

// DeleteUsers deletes users, their e-mail rows and their memberships, and
// bumps the version of every group that lost a member.
func (t *tx) DeleteUsers(ctx context.Context, ids []string) error {
	uniq := distinct(ids)
	deleted := make(map[string]bool, len(uniq))
	var touched []string
	for chunk := range slices.Chunk(uniq, maxInList) {
		// The user rows go first: a concurrent transaction adding one of
		// these users to a group holds a key-share lock on the user row, so
		// this DELETE waits for it, and the membership DELETE below (a new
		// statement) then sees and removes the membership it added.
		b := &binder{pg: t.pg}
		b.sql("DELETE FROM scim_users WHERE tenant_id = ").arg(t.tenant).sql(" AND id IN ").list(chunk)
		b.sql(" RETURNING id, attrs")
		rows, err := t.query(ctx, b.String(), b.args...)
		if err != nil {
			return fmt.Errorf("delete users: %w", err)
		}
		var emails []emailRow
		for rows.Next() {
			var id string
			var attrs []byte
			if err := rows.Scan(&id, &attrs); err != nil {
				rows.Close()
				return fmt.Errorf("delete users: %w", err)
			}
			deleted[id] = true
			set, ok := t.emails[id]
			if !ok {
				list, _ := derivedUserAttrs(attrs)
				set = lowerSet(list)
			}
			delete(t.emails, id)
			emails = emailRows(emails, id, set)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("delete users: %w", err)
		}
		if err := t.deleteEmails(ctx, emails); err != nil {
			return fmt.Errorf("delete users: %w", err)
		}
		groups, err := t.deleteMemberships(ctx, "member_id", chunk)
		if err != nil {
			return fmt.Errorf("delete users: %w", err)
		}
		touched = append(touched, groups...)
	}
	if err := t.TouchGroups(ctx, touched); err != nil {
		return fmt.Errorf("delete users: %w", err)
	}
	errs := map[int]error{}
	for i, id := range ids {
		if !deleted[id] {
			errs[i] = notFound("user", id)
		}
	}
	return batchErr(errs)
}

// deleteMemberships deletes the membership rows whose col ("member_id" or
// "group_id") is in ids and returns the distinct groups that lost them.
func (t *tx) deleteMemberships(ctx context.Context, col string, ids []string) ([]string, error) {
	b := &binder{pg: t.pg}
	b.sql("DELETE FROM group_members WHERE tenant_id = ").arg(t.tenant).sql(" AND " + col + " IN ").list(ids)
	b.sql(" RETURNING group_id")
	groups, err := t.queryIDs(ctx, b.String(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("delete memberships: %w", err)
	}
	return distinct(groups), nil
}
