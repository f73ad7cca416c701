package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/scimd/scimd/store"
)

// userUniqueness is the error of a user item that violated c.
func userUniqueness(c constraint, u *store.User, cause error) error {
	switch c {
	case cUserName:
		return uniquenessError(c, u.UserName, cause)
	case cUserUUID:
		return uniquenessError(c, u.UserUUID, cause)
	case cUserID:
		return uniquenessError(c, u.ID, cause)
	}
	return uniquenessError(cUnknown, "", cause)
}

// InsertUsers inserts users; collisions fail their item only (see
// insertRows for the statements per dialect). E-mail rows follow for the
// inserted users (see insertEmails).
func (t *tx) InsertUsers(ctx context.Context, users []*store.User) error {
	now := fromMicros(t.s.nowMicros())
	errs := map[int]error{}
	seen := make(map[string]bool, len(users))
	todo := make([]int, 0, len(users))
	for i, u := range users {
		if u.Version == 0 {
			u.Version = 1
		}
		if u.Created.IsZero() {
			u.Created = now
		}
		if u.Modified.IsZero() {
			u.Modified = now
		}
		if seen[u.ID] {
			errs[i] = uniquenessError(cUserID, u.ID, nil)
			continue
		}
		seen[u.ID] = true
		todo = append(todo, i)
	}
	sp := insertSpec{
		table:   "scim_users",
		columns: userColumns,
		args:    func(i int) []any { return userInsertArgs(t.tenant, users[i]) },
		id:      func(i int) string { return users[i].ID },
		uniq:    func(i int, c constraint, cause error) error { return userUniqueness(c, users[i], cause) },
		classify: func(failed []int) error {
			return t.classifyUserConflicts(ctx, users, failed, errs)
		},
	}
	if !t.pg {
		sp.stmt = t.s.stmts.insertUser
	}
	ok, err := t.insertRows(ctx, sp, todo, errs)
	if err != nil {
		return fmt.Errorf("insert users: %w", err)
	}
	var emails []emailRow
	for _, i := range ok {
		emails = emailRows(emails, users[i].ID, lowerSet(users[i].Emails))
	}
	// In key order, consecutive rows land on the same index pages.
	slices.SortFunc(emails, func(a, b emailRow) int {
		if c := strings.Compare(a.value, b.value); c != 0 {
			return c
		}
		return strings.Compare(a.user, b.user)
	})
	if err := t.insertEmails(ctx, emails); err != nil {
		return fmt.Errorf("insert users: %w", err)
	}
	return batchErr(errs)
}

// classifyUserConflicts finds, for users whose INSERT … ON CONFLICT DO
// NOTHING inserted nothing, the constraint they collided with (one query
// per 1000 users).
func (t *tx) classifyUserConflicts(ctx context.Context, users []*store.User, failed []int, errs map[int]error) error {
	for chunk := range slices.Chunk(failed, maxInList) {
		var names, uuids, ids []string
		for _, i := range chunk {
			u := users[i]
			names = append(names, strings.ToLower(u.UserName))
			if u.UserUUID != "" {
				uuids = append(uuids, strings.ToLower(u.UserUUID))
			}
			ids = append(ids, u.ID)
		}
		b := &binder{pg: t.pg}
		b.sql("SELECT id, user_name_ci, COALESCE(user_uuid_ci, '') FROM scim_users WHERE tenant_id = ").arg(t.tenant)
		b.sql(" AND (user_name_ci IN ").list(names).sql(" OR id IN ").list(ids)
		if len(uuids) > 0 {
			b.sql(" OR user_uuid_ci IN ").list(uuids)
		}
		b.sql(")")
		rows, err := t.query(ctx, b.String(), b.args...)
		if err != nil {
			return fmt.Errorf("find conflicts: %w", err)
		}
		takenName, takenUUID, takenID := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for rows.Next() {
			var id, name, uuid string
			if err := rows.Scan(&id, &name, &uuid); err != nil {
				rows.Close()
				return fmt.Errorf("find conflicts: %w", err)
			}
			takenID[id], takenName[name] = true, true
			if uuid != "" {
				takenUUID[uuid] = true
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("find conflicts: %w", err)
		}
		for _, i := range chunk {
			u := users[i]
			c := cUnknown
			switch {
			case takenName[strings.ToLower(u.UserName)]:
				c = cUserName
			case u.UserUUID != "" && takenUUID[strings.ToLower(u.UserUUID)]:
				c = cUserUUID
			case takenID[u.ID]:
				c = cUserID
			}
			errs[i] = userUniqueness(c, u, fmt.Errorf("user %q not inserted", u.ID))
		}
	}
	return nil
}

// UpdateUsers writes users read in this transaction with a version check
// (WHERE … AND version = read version), storing Version+1 (see updateRows
// for the statements per dialect). E-mail rows change by difference
// against the stored set.
func (t *tx) UpdateUsers(ctx context.Context, users []*store.User) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	old, err := t.storedEmails(ctx, ids)
	if err != nil {
		return fmt.Errorf("update users: %w", err)
	}
	now := fromMicros(t.s.nowMicros())
	mod := now.UnixMicro()
	errs := map[int]error{}
	missing := map[int]string{} // no row matched id and version
	items := make([]int, len(users))
	for i := range users {
		items[i] = i
	}
	sp := updateSpec{
		table: "scim_users",
		what:  "user",
		one:   updateUserSQL,
		args:  func(i int) []any { return userUpdateArgs(t.tenant, users[i], mod) },
		set: `user_name = v.user_name, user_name_ci = v.user_name_ci, external_id = v.external_id,
  display_name = v.display_name, display_name_ci = v.display_name_ci, active = v.active,
  user_uuid_ci = v.user_uuid_ci, attrs = v.attrs, password_hash = v.password_hash,
  version = v.version + 1, modified_at = v.modified_at`,
		cols: pgUserValues,
		vals: func(i int) []any {
			a := userUpdateArgs(t.tenant, users[i], mod)
			return []any{a[12], a[13], a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]}
		},
		id:   func(i int) string { return users[i].ID },
		uniq: func(i int, c constraint, cause error) error { return userUniqueness(c, users[i], cause) },
	}
	if !t.pg {
		sp.stmt = t.s.stmts.updateUser
	}
	ok, err := t.updateRows(ctx, sp, items, errs, missing)
	if err != nil {
		return fmt.Errorf("update users: %w", err)
	}
	var del, ins []emailRow
	for _, i := range ok {
		u := users[i]
		set := lowerSet(u.Emails)
		del, ins = emailDiff(del, ins, u.ID, old[u.ID], set)
		old[u.ID] = set
		t.emails[u.ID] = set
		u.Version++
		u.Modified = now
	}
	if err := t.deleteEmails(ctx, del); err != nil {
		return fmt.Errorf("update users: %w", err)
	}
	if err := t.insertEmails(ctx, ins); err != nil {
		return fmt.Errorf("update users: %w", err)
	}
	if err := t.missingErrs(ctx, "scim_users", "user", missing, errs); err != nil {
		return fmt.Errorf("update users: %w", err)
	}
	return batchErr(errs)
}

// pgUserValues are the columns of the VALUES table of the batched
// PostgreSQL update, with the casts of their parameters.
var pgUserValues = []col{
	{"id", "text"}, {"version", "bigint"}, {"user_name", "text"}, {"user_name_ci", "text"},
	{"external_id", "text"}, {"display_name", "text"}, {"display_name_ci", "text"},
	{"active", "boolean"}, {"user_uuid_ci", "text"}, {"attrs", "jsonb"},
	{"password_hash", "text"}, {"modified_at", "bigint"},
}
