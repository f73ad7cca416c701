package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore/sqlfilter"
)

// tableOf returns the table of a resource.
func tableOf(res sqlfilter.Resource) string {
	if res == sqlfilter.Groups {
		return "scim_groups"
	}
	return "scim_users"
}

// colsOf returns the columns read for a resource.
func colsOf(res sqlfilter.Resource) string {
	if res == sqlfilter.Groups {
		return groupCols
	}
	return userCols
}

// where translates the filter; a nil filter selects everything without
// the translator.
func (s *Store) where(res sqlfilter.Resource, tenantID int64, filter any) (string, []any, error) {
	if filter == nil {
		return "1=1", nil, nil
	}
	w, args, err := s.tr.Where(res, tenantID, filter)
	if err != nil {
		return "", nil, fmt.Errorf("filter: %w", err)
	}
	return w, args, nil
}

// orderBy translates the sort; by id needs no translator.
func (s *Store) orderBy(res sqlfilter.Resource, q store.Query) (string, []any, error) {
	if q.SortBy == "" {
		if q.Descending {
			return "r.id DESC", nil, nil
		}
		return "r.id", nil, nil
	}
	o, args, err := s.tr.OrderBy(res, q.SortBy, q.Descending)
	if err != nil {
		return "", nil, fmt.Errorf("sortBy: %w", err)
	}
	return o, args, nil
}

// pageSQL builds the SELECT of one page (all pages when q.Count < 0).
func (s *Store) pageSQL(res sqlfilter.Resource, tenantID int64, q store.Query, where string, wargs []any) (string, []any, error) {
	return s.selectPage(res, tenantID, q, where, wargs, false)
}

// selectPage is pageSQL; it starts after q.After when set (keyset.go),
// and withKey selects the sort key before the columns when the order has
// one.
func (s *Store) selectPage(res sqlfilter.Resource, tenantID int64, q store.Query, where string, wargs []any, withKey bool) (string, []any, error) {
	order, oargs, err := s.orderBy(res, q)
	if err != nil {
		return "", nil, err
	}
	cols := colsOf(res)
	args := make([]any, 0, 8+len(wargs)+len(oargs))
	var key sqlfilter.SortKey
	if withKey || q.After != nil {
		if key, err = s.sortKey(res, q); err != nil {
			return "", nil, err
		}
		if withKey && key.Expr != "" {
			cols = key.Expr + ", " + cols
			args = append(args, key.Args...)
		}
	}
	offset := max(q.Offset, 0)
	if offset > 0 && q.Count > 0 && q.SortBy == "" && q.After == nil {
		return s.deferredPage(res, tenantID, q, cols, args, where, wargs, order)
	}
	query := "SELECT " + cols + " FROM " + tableOf(res) + " r WHERE r.tenant_id = ? AND (" + where + ")"
	args = append(append(args, tenantID), wargs...)
	if q.After != nil {
		if q.Offset > 0 {
			return "", nil, errors.New("sqlstore: Query.After and Query.Offset cannot be combined")
		}
		cond, cargs := key.After(q.Descending, q.After.Key, q.After.ID)
		query += " AND " + cond
		args = append(args, cargs...)
	}
	query += " ORDER BY " + order
	args = append(args, oargs...)
	switch {
	case q.Count >= 0:
		query += " LIMIT " + strconv.Itoa(q.Count)
	case !s.pg && offset > 0:
		query += " LIMIT -1"
	}
	switch {
	case offset > 0:
		query, args = s.offsetClause(query, args, offset)
	}
	return query, args, nil
}

// offsetClause appends OFFSET offset to query, as a parameter, not a
// literal: the prepared-statement caches (SQLite's readers', pgx's per
// connection) are keyed by SQL text, and paging through startIndex values
// would otherwise prepare a new statement per page (on PostgreSQL one
// more round trip and a parse per page) and evict the hot ones.
func (s *Store) offsetClause(query string, args []any, offset int) (string, []any) {
	return query + " OFFSET ?", append(args, offset)
}

// deferredPage is selectPage for a page at an offset in id order (a list
// with startIndex and no sortBy): the rows to skip are walked in the
// (tenant_id, id) primary-key index alone, and only the page's rows are
// read from the table. A plain OFFSET reads every skipped row (SQLite: a
// list of 100 at startIndex 5,000 of 10,000 cost ~2.5× the first page).
// cols and args are selectPage's column list and the arguments it needs.
func (s *Store) deferredPage(res sqlfilter.Resource, tenantID int64, q store.Query, cols string, args []any,
	where string, wargs []any, order string) (string, []any, error) {
	table := tableOf(res)
	inner := "SELECT r.id FROM " + table + " r WHERE r.tenant_id = ? AND (" + where + ") ORDER BY " + order +
		" LIMIT " + strconv.Itoa(q.Count)
	args = append(args, tenantID, tenantID)
	args = append(args, wargs...)
	inner, args = s.offsetClause(inner, args, q.Offset)
	return "SELECT " + cols + " FROM " + table + " r WHERE r.tenant_id = ? AND r.id IN (" + inner + ") ORDER BY " + order, args, nil
}

// countMatches counts the tenant's resources matching where. Without a
// filter (all is set) SQLite reads the count its triggers keep
// (migrations/sqlite/0007_resource_counts.sql) instead of walking the
// tenant's index entries.
func (s *Store) countMatches(ctx context.Context, res sqlfilter.Resource, tenantID int64, all bool, where string, wargs []any) (int, error) {
	db := s.reader.WithContext(ctx)
	var total int64
	if all && !s.pg {
		resource := "users"
		if res == sqlfilter.Groups {
			resource = "groups"
		}
		err := queryRow(db, "SELECT COALESCE((SELECT n FROM resource_counts WHERE tenant_id = ? AND resource = ?), 0)",
			[]any{tenantID, resource}, &total)
		return int(total), err
	}
	countSQL := "SELECT COUNT(*) FROM " + tableOf(res) + " r WHERE r.tenant_id = ? AND (" + where + ")"
	err := queryRow(db, countSQL, append([]any{tenantID}, wargs...), &total)
	return int(total), err
}

// list counts the matches and calls each for every row of the page. The
// page is read first: when it is not full (a look-up by userName, the
// last page) the total is known without a COUNT query.
func (s *Store) list(ctx context.Context, res sqlfilter.Resource, tenantID int64, q store.Query, each func(scanner) error) (int, error) {
	where, wargs, err := s.where(res, tenantID, q.Filter)
	if err != nil {
		return 0, err
	}
	count := func() (int, error) { return s.countMatches(ctx, res, tenantID, q.Filter == nil, where, wargs) }
	if q.Count == 0 {
		total, err := count()
		if err != nil {
			return 0, err
		}
		// Still validate the sort so that a bad sortBy is reported.
		_, _, err = s.orderBy(res, q)
		return total, err
	}
	query, args, err := s.pageSQL(res, tenantID, q, where, wargs)
	if err != nil {
		return 0, err
	}
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := each(rows); err != nil {
			return 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	rows.Close() // the connection goes back before count takes one
	offset := max(q.Offset, 0)
	if q.After == nil && (n > 0 || offset == 0) && (q.Count < 0 || n < q.Count) {
		return offset + n, nil // (after a keyset position the rows before it are unknown)
	}
	return count()
}

// scanRows streams the matching rows, decoded, to fn. It stops at fn's
// first error (returned as is) and when ctx is done.
func scanRows[T any](ctx context.Context, s *Store, res sqlfilter.Resource, tenantID int64, q store.Query,
	decode func(scanner) (T, error), fn func(T) error) error {
	op := "scan " + tableOf(res)
	where, wargs, err := s.where(res, tenantID, q.Filter)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	query, args, err := s.pageSQL(res, tenantID, q, where, wargs)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if q.Count == 0 {
		return nil
	}
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		v, err := decode(rows)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
