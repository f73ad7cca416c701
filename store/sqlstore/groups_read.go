package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore/sqlfilter"
)

// groupCols are the scim_groups columns read into a store.Group (table
// aliased r), in scanGroup's order.
const groupCols = "r.id, r.display_name, r.external_id, r.attrs, r.version, r.created_at, r.modified_at"

// scanGroup scans groupCols, preceded by extra destinations.
func scanGroup(r scanner, extra ...any) (*store.Group, error) {
	g := &store.Group{}
	var ext sql.NullString
	var attrs []byte
	var created, modified int64
	dest := append(extra, &g.ID, &g.DisplayName, &ext, &attrs, &g.Version, &created, &modified)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	g.ExternalID = ext.String
	g.Attrs = attrs
	g.Created, g.Modified = fromMicros(created), fromMicros(modified)
	return g, nil
}

// GetGroup returns one group of the tenant (without members).
func (s *Store) GetGroup(ctx context.Context, tenantID int64, id string) (store.Group, error) {
	rows, err := s.reader.WithContext(ctx).
		Raw("SELECT "+groupCols+" FROM scim_groups r WHERE r.tenant_id = ? AND r.id = ?", tenantID, id).Rows()
	if err != nil {
		return store.Group{}, fmt.Errorf("get group: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Group{}, fmt.Errorf("get group: %w", err)
		}
		return store.Group{}, notFound("group", id)
	}
	g, err := scanGroup(rows)
	if err != nil {
		return store.Group{}, fmt.Errorf("get group: %w", err)
	}
	return *g, nil
}

// ListGroups returns one page of matching groups and the number of
// matches.
func (s *Store) ListGroups(ctx context.Context, tenantID int64, q store.Query) ([]store.Group, int, error) {
	var out []store.Group
	total, err := s.list(ctx, sqlfilter.Groups, tenantID, q, func(r scanner) error {
		g, err := scanGroup(r)
		if err != nil {
			return err
		}
		out = append(out, *g)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list groups: %w", err)
	}
	return out, total, nil
}

// ScanGroups streams the matching groups in query order.
func (s *Store) ScanGroups(ctx context.Context, tenantID int64, q store.Query, fn func(*store.Group) error) error {
	return scanRows(ctx, s, sqlfilter.Groups, tenantID, q, func(r scanner) (*store.Group, error) { return scanGroup(r) }, fn)
}
