package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore/sqlfilter"
)

// userCols are the scim_users columns read into a store.User (table
// aliased r), in scanUser's order.
const userCols = "r.id, r.user_name, r.external_id, r.display_name, r.active, r.attrs, " +
	"r.password_hash, r.version, r.created_at, r.modified_at"

// scanUser scans userCols, preceded by extra destinations.
func scanUser(r scanner, extra ...any) (*store.User, error) {
	return scanUserLean(r, false, extra...)
}

// scanUserLean is scanUser; lean skips the derived fields (Query.Lean).
func scanUserLean(r scanner, lean bool, extra ...any) (*store.User, error) {
	u := &store.User{}
	if err := scanUserInto(r, u, lean, extra...); err != nil {
		return nil, err
	}
	return u, nil
}

// scanUserInto is scanUserLean into a given record.
func scanUserInto(r scanner, u *store.User, lean bool, extra ...any) error {
	var ext, disp, pw sql.NullString
	var active sql.NullBool
	var attrs []byte
	var created, modified int64
	dest := append(extra, &u.ID, &u.UserName, &ext, &disp, &active, &attrs, &pw,
		&u.Version, &created, &modified)
	if err := r.Scan(dest...); err != nil {
		return err
	}
	u.ExternalID, u.DisplayName, u.PasswordHash = ext.String, disp.String, pw.String
	if active.Valid {
		b := active.Bool
		u.Active = &b
	}
	u.Attrs = attrs
	u.Created, u.Modified = fromMicros(created), fromMicros(modified)
	if !lean {
		u.Emails, u.UserUUID = derivedUserAttrs(attrs)
	}
	return nil
}

// derivedUserAttrs returns the e-mail values and the SAP userUuid of a
// stored attribute object: the copies that store.User.SetAttrs derives and
// that are not kept as readable columns.
func derivedUserAttrs(raw []byte) (emails []string, userUUID string) {
	if emails, userUUID, ok := skimUserAttrs(raw); ok {
		return emails, userUUID
	}
	var d struct {
		Emails []struct {
			Value string `json:"value"`
		} `json:"emails"`
		SAP struct {
			UserUUID string `json:"userUuid"`
		} `json:"urn:ietf:params:scim:schemas:extension:sap:2.0:User"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return derivedUserAttrsSlow(raw)
	}
	for _, e := range d.Emails {
		if e.Value != "" {
			emails = append(emails, e.Value)
		}
	}
	return emails, d.SAP.UserUUID
}

// derivedUserAttrsSlow handles attribute objects of unexpected shape the
// way SetAttrs does.
func derivedUserAttrsSlow(raw []byte) (emails []string, userUUID string) {
	m, err := store.DecodeAttrs(raw)
	if err != nil {
		return nil, ""
	}
	var u store.User
	// SetAttrs only re-derives; the re-encoded Attrs is discarded.
	if err := u.SetAttrs(m); err != nil {
		return nil, ""
	}
	return u.Emails, u.UserUUID
}

// GetUser returns one user of the tenant.
func (s *Store) GetUser(ctx context.Context, tenantID int64, id string) (store.User, error) {
	rows, err := s.query(ctx, "SELECT "+userCols+" FROM scim_users r WHERE r.tenant_id = ? AND r.id = ?", tenantID, id)
	if err != nil {
		return store.User{}, fmt.Errorf("get user: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.User{}, fmt.Errorf("get user: %w", err)
		}
		return store.User{}, notFound("user", id)
	}
	u, err := scanUser(rows)
	if err != nil {
		return store.User{}, fmt.Errorf("get user: %w", err)
	}
	return *u, nil
}

// ListUsers returns one page of matching users and the number of matches.
func (s *Store) ListUsers(ctx context.Context, tenantID int64, q store.Query) ([]store.User, int, error) {
	var out []store.User
	if q.Filter == nil && q.Count > 0 {
		out = make([]store.User, 0, min(q.Count, 1000)) // most pages are full
	}
	total, err := s.list(ctx, sqlfilter.Users, tenantID, q, func(r scanner) error {
		out = append(out, store.User{})
		return scanUserInto(r, &out[len(out)-1], q.Lean)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return out, total, nil
}

// ScanUsers streams the matching users in query order.
func (s *Store) ScanUsers(ctx context.Context, tenantID int64, q store.Query, fn func(*store.User) error) error {
	return scanRows(ctx, s, sqlfilter.Users, tenantID, q, func(r scanner) (*store.User, error) { return scanUserLean(r, q.Lean) }, fn)
}
