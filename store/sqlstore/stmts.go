package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/scimd/scimd/store"
)

// One-row write statements ('?' placeholders; rebind for PostgreSQL). On
// SQLite they are prepared once on the writer connection.
const (
	userColumns   = "tenant_id, id, user_name, user_name_ci, external_id, display_name, display_name_ci, active, user_uuid_ci, attrs, password_hash, version, created_at, modified_at"
	insertUserSQL = "INSERT INTO scim_users (" + userColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	updateUserSQL = `UPDATE scim_users SET user_name = ?, user_name_ci = ?, external_id = ?, display_name = ?,
  display_name_ci = ?, active = ?, user_uuid_ci = ?, attrs = ?, password_hash = ?, modified_at = ?, version = ?
WHERE tenant_id = ? AND id = ? AND version = ?`
	insertEmailSQL = "INSERT INTO user_emails (tenant_id, value_ci, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
	deleteEmailSQL = "DELETE FROM user_emails WHERE tenant_id = ? AND value_ci = ? AND user_id = ?"

	groupColumns   = "tenant_id, id, display_name, display_name_ci, external_id, attrs, version, created_at, modified_at"
	insertGroupSQL = "INSERT INTO scim_groups (" + groupColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	updateGroupSQL = `UPDATE scim_groups SET display_name = ?, display_name_ci = ?, external_id = ?, attrs = ?,
  modified_at = ?, version = ?
WHERE tenant_id = ? AND id = ? AND version = ?`

	insertMemberSQL = "INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
	deleteMemberSQL = "DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND member_id = ?"

	reportColumns   = "tenant_id, job_id, row, status, resource_id, user_name, error"
	insertReportSQL = "INSERT INTO job_report (" + reportColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
	saveProgressSQL = `UPDATE jobs SET total = ?, processed = ?, created = ?, updated = ?, unchanged = ?, skipped = ?,
  failed = ?, truncated = ?, memberships_added = ?, checkpoint = ?, phase = ?, heartbeat_at = ?
WHERE tenant_id = ? AND id = ? AND claimed_by = ? AND status = 'running'`
)

// sqliteStmts are the SQLite writer's prepared statements.
type sqliteStmts struct {
	insertUser, updateUser, insertEmail, deleteEmail     *sql.Stmt
	insertGroup, updateGroup, insertMember, deleteMember *sql.Stmt
	insertReport, saveProgress                           *sql.Stmt

	// other holds the writer's other statements (look-ups by key lists,
	// batch deletes …) by SQL text: preparing one costs about as much as
	// running it (a PATCH's look-up spent a fifth of its time there). A
	// statement can only be prepared while the single writer connection
	// is free, so a text first seen inside a transaction runs unprepared
	// there and is prepared once the transaction has ended (Store.Tx).
	other *stmtCache
	// reads holds the reader pool's statements of hot reads (Store.query).
	reads *stmtCache
}

func (s *Store) prepareSQLite(ctx context.Context) error {
	db, err := s.writer.DB()
	if err != nil {
		return err
	}
	rdb, err := s.reader.DB()
	if err != nil {
		return err
	}
	st := &sqliteStmts{other: newStmtCache(db), reads: newStmtCache(rdb)}
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&st.insertUser, insertUserSQL}, {&st.updateUser, updateUserSQL},
		{&st.insertEmail, insertEmailSQL}, {&st.deleteEmail, deleteEmailSQL},
		{&st.insertGroup, insertGroupSQL}, {&st.updateGroup, updateGroupSQL},
		{&st.insertMember, insertMemberSQL}, {&st.deleteMember, deleteMemberSQL},
		{&st.insertReport, insertReportSQL}, {&st.saveProgress, saveProgressSQL},
	} {
		if *p.dst, err = db.PrepareContext(ctx, p.sql); err != nil {
			st.close()
			return fmt.Errorf("sqlstore: prepare %q: %w", p.sql, err)
		}
	}
	s.stmts = st
	return nil
}

func (st *sqliteStmts) close() error {
	if st == nil {
		return nil
	}
	var errs []error
	for _, p := range []*sql.Stmt{st.insertUser, st.updateUser, st.insertEmail, st.deleteEmail,
		st.insertGroup, st.updateGroup, st.insertMember, st.deleteMember, st.insertReport, st.saveProgress} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	errs = append(errs, st.other.close(), st.reads.close())
	return errors.Join(errs...)
}

// userInsertArgs are insertUserSQL's arguments.
func userInsertArgs(tenant int64, u *store.User) []any {
	return []any{tenant, u.ID, u.UserName, strings.ToLower(u.UserName), nullStr(u.ExternalID),
		nullStr(u.DisplayName), nullStr(strings.ToLower(u.DisplayName)), nullBool(u.Active),
		nullStr(strings.ToLower(u.UserUUID)), attrsArg(u.Attrs), nullStr(u.PasswordHash),
		u.Version, u.Created.UnixMicro(), u.Modified.UnixMicro()}
}

// userUpdateArgs are updateUserSQL's arguments; u.Version is the version
// read.
func userUpdateArgs(tenant int64, u *store.User, modified int64) []any {
	return []any{u.UserName, strings.ToLower(u.UserName), nullStr(u.ExternalID),
		nullStr(u.DisplayName), nullStr(strings.ToLower(u.DisplayName)), nullBool(u.Active),
		nullStr(strings.ToLower(u.UserUUID)), attrsArg(u.Attrs), nullStr(u.PasswordHash),
		modified, u.Version + 1, tenant, u.ID, u.Version}
}

// groupInsertArgs are insertGroupSQL's arguments.
func groupInsertArgs(tenant int64, g *store.Group) []any {
	return []any{tenant, g.ID, g.DisplayName, strings.ToLower(g.DisplayName), nullStr(g.ExternalID),
		attrsArg(g.Attrs), g.Version, g.Created.UnixMicro(), g.Modified.UnixMicro()}
}

// groupUpdateArgs are updateGroupSQL's arguments.
func groupUpdateArgs(tenant int64, g *store.Group, modified int64) []any {
	return []any{g.DisplayName, strings.ToLower(g.DisplayName), nullStr(g.ExternalID), attrsArg(g.Attrs),
		modified, g.Version + 1, tenant, g.ID, g.Version}
}

// attrsArg is the attrs column value: JSON text (a BLOB would not be JSON
// to SQLite's json functions), "{}" when empty.
func attrsArg(raw []byte) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}
