package sqlstore

import (
	"context"
	"fmt"

	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore/sqlfilter"
)

// Keyset (cursor) paging. A page is
//
//	SELECT <sort key>, <columns> FROM <table> r
//	WHERE r.tenant_id = ? AND (<filter>) AND <after q.After>
//	ORDER BY <sort key> [NULLS LAST], r.id LIMIT <count+1>
//
// (sqlfilter.SortKey.After has the predicate). The extra row tells
// whether more follow; the last returned row's key and id are the next
// page's q.After. By id (the default order) the predicate is r.id > ?,
// a range on the primary key (tenant_id, id): page 900 reads what page 1
// does.

// sortKey translates the sort key; by id needs no translator.
func (s *Store) sortKey(res sqlfilter.Resource, q store.Query) (sqlfilter.SortKey, error) {
	if q.SortBy == "" {
		return sqlfilter.SortKey{}, nil
	}
	k, err := s.tr.SortKey(res, q.SortBy)
	if err != nil {
		return k, fmt.Errorf("sortBy: %w", err)
	}
	return k, nil
}

// ListUsersPage returns one keyset page of matching users.
func (s *Store) ListUsersPage(ctx context.Context, tenantID int64, q store.Query) ([]store.User, store.Page, error) {
	var out []store.User
	page, err := s.keysetPage(ctx, sqlfilter.Users, tenantID, q, func(r scanner, extra ...any) (string, error) {
		u, err := scanUserLean(r, q.Lean, extra...)
		if err != nil {
			return "", err
		}
		out = append(out, *u)
		return u.ID, nil
	})
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("list users: %w", err)
	}
	return out, page, nil
}

// ListGroupsPage returns one keyset page of matching groups.
func (s *Store) ListGroupsPage(ctx context.Context, tenantID int64, q store.Query) ([]store.Group, store.Page, error) {
	var out []store.Group
	page, err := s.keysetPage(ctx, sqlfilter.Groups, tenantID, q, func(r scanner, extra ...any) (string, error) {
		g, err := scanGroup(r, extra...)
		if err != nil {
			return "", err
		}
		out = append(out, *g)
		return g.ID, nil
	})
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("list groups: %w", err)
	}
	return out, page, nil
}

// keysetPage calls scan for every row of the page after q.After and
// counts the matches; scan reads the row (after the extra destinations)
// and returns its id. As in list, a first page that holds every match
// needs no COUNT.
func (s *Store) keysetPage(ctx context.Context, res sqlfilter.Resource, tenantID int64, q store.Query,
	scan func(r scanner, extra ...any) (string, error)) (store.Page, error) {
	var page store.Page
	where, wargs, err := s.where(res, tenantID, q.Filter)
	if err != nil {
		return page, err
	}
	key, err := s.sortKey(res, q)
	if err != nil {
		return page, err
	}
	lq := q
	if q.Count >= 0 {
		lq.Count = q.Count + 1 // one more: are there more?
	}
	query, args, err := s.selectPage(res, tenantID, lq, where, wargs, true)
	if err != nil {
		return page, err
	}
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return page, err
		}
		if q.Count >= 0 && n == q.Count {
			page.More = true
			break
		}
		var k any
		var extra []any
		if key.Expr != "" {
			extra = []any{&k}
		}
		id, err := scan(rows, extra...)
		if err != nil {
			return page, err
		}
		n++
		page.Last = &store.Position{Key: normKey(k), ID: id}
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	rows.Close() // the connection goes back before the count takes one
	if q.After == nil && !page.More {
		page.Total = n
		return page, nil
	}
	if q.NoTotal {
		page.Total = -1
		return page, nil
	}
	total, err := s.countMatches(ctx, res, tenantID, q.Filter == nil, where, wargs)
	if err != nil {
		return page, err
	}
	page.Total = total
	return page, nil
}

// normKey maps a sort key as a driver returned it to the types of
// store.Position.Key.
func normKey(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}
