package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// Batch writes shared by users and groups. Items are indexes into the
// caller's slice; per-item failures go to errs (keyed by index).

// col is a column of a batched PostgreSQL UPDATE's VALUES table.
type col struct{ name, cast string }

// insertSpec describes a batched INSERT of resources.
type insertSpec struct {
	table   string
	columns string            // column list, tenant_id first
	stmt    *sql.Stmt         // SQLite: the prepared one-row INSERT
	args    func(i int) []any // the row's values, tenant first
	id      func(i int) string
	uniq    func(i int, c constraint, cause error) error
	// classify (PostgreSQL) names the conflicts of rows not inserted.
	classify func(failed []int) error
}

// insertRows inserts items and returns the inserted ones. SQLite: one
// prepared one-row INSERT each (a failed statement does not abort the
// transaction). PostgreSQL: COPY per 10,000 rows (tryCopy); a part that
// collides, or is small, goes through multi-row INSERT … ON CONFLICT DO
// NOTHING RETURNING id instead, the rows not returned having collided.
func (t *tx) insertRows(ctx context.Context, sp insertSpec, items []int, errs map[int]error) ([]int, error) {
	ok := make([]int, 0, len(items))
	if !t.pg {
		ins := t.stmt(ctx, sp.stmt)
		for _, i := range items {
			if _, err := rowExec(ctx, ins, sp.args(i)...); err != nil {
				if c, isUnique := uniqueViolation(err); isUnique {
					errs[i] = sp.uniq(i, c, err)
					continue
				}
				return nil, err
			}
			ok = append(ok, i)
		}
		return ok, nil
	}
	var failed []int
	cols := columnList(sp.columns)
	for part := range slices.Chunk(items, copyChunkRows) {
		done, err := t.tryCopy(ctx, sp.table, cols, len(part), func(k int) []any { return sp.args(part[k]) })
		if err != nil {
			return nil, err
		}
		if done {
			ok = append(ok, part...)
			continue
		}
		if ok, failed, err = t.insertValuesPG(ctx, sp, part, ok, failed); err != nil {
			return nil, err
		}
	}
	if len(failed) > 0 {
		if err := sp.classify(failed); err != nil {
			return nil, err
		}
	}
	return ok, nil
}

// insertValuesPG inserts items with one multi-row INSERT … ON CONFLICT DO
// NOTHING RETURNING id per 1000 rows, appending the inserted items to ok
// and the others to failed.
func (t *tx) insertValuesPG(ctx context.Context, sp insertSpec, items, ok, failed []int) ([]int, []int, error) {
	b := &binder{pg: true}
	for chunk := range slices.Chunk(items, pgBatchRows) {
		b.reset()
		b.sql("INSERT INTO " + sp.table + " (" + sp.columns + ") VALUES ")
		b.bind(t.tenant) // $1, referenced by tenantRef
		for n, i := range chunk {
			if n > 0 {
				b.sql(", ")
			}
			args := sp.args(i)
			args[0] = tenantRef
			b.tuple(args...)
		}
		b.sql(" ON CONFLICT DO NOTHING RETURNING id")
		ids, err := t.queryIDs(ctx, b.String(), b.args...)
		if err != nil {
			return nil, nil, err
		}
		inserted := make(map[string]bool, len(ids))
		for _, id := range ids {
			inserted[id] = true
		}
		for _, i := range chunk {
			if inserted[sp.id(i)] {
				ok = append(ok, i)
			} else {
				failed = append(failed, i)
			}
		}
	}
	return ok, failed, nil
}

// updateSpec describes a batched, version-checked UPDATE of resources.
type updateSpec struct {
	table string
	what  string    // "user" or "group", for errors
	one   string    // one-row UPDATE ('?' placeholders)
	stmt  *sql.Stmt // SQLite: one prepared
	args  func(i int) []any
	// PostgreSQL batch: the SET list over VALUES alias v, and the VALUES
	// columns (id and version first) with their values per item.
	set  string
	cols []col
	vals func(i int) []any
	id   func(i int) string
	uniq func(i int, c constraint, cause error) error
}

// updateRows updates items with a version check and returns the updated
// items; items whose row did not match go to missing.
func (t *tx) updateRows(ctx context.Context, sp updateSpec, items []int, errs map[int]error, missing map[int]string) ([]int, error) {
	if !t.pg {
		upd := t.stmt(ctx, sp.stmt)
		return t.updateEach(ctx, sp, items, errs, missing, func(i int) (int64, error) {
			return execCount(upd.ExecContext(ctx, sp.args(i)...))
		})
	}
	// An id given twice is updated in a later round (its second version
	// check then fails, as on SQLite).
	var rounds [][]int
	count := map[string]int{}
	for _, i := range items {
		id := sp.id(i)
		r := count[id]
		count[id]++
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], i)
	}
	var ok []int
	for _, round := range rounds {
		for chunk := range slices.Chunk(round, pgBatchRows) {
			done, err := t.updateChunkPG(ctx, sp, chunk, errs, missing)
			if err != nil {
				return nil, err
			}
			ok = append(ok, done...)
		}
	}
	return ok, nil
}

// updateEach runs one UPDATE per item; exec returns the rows affected.
func (t *tx) updateEach(ctx context.Context, sp updateSpec, items []int, errs map[int]error, missing map[int]string, exec func(i int) (int64, error)) ([]int, error) {
	ok := make([]int, 0, len(items))
	for _, i := range items {
		n, err := exec(i)
		if err != nil {
			if c, isUnique := uniqueViolation(err); isUnique {
				errs[i] = sp.uniq(i, c, err)
				continue
			}
			return nil, fmt.Errorf("%s %q: %w", sp.what, sp.id(i), err)
		}
		if n == 0 {
			missing[i] = sp.id(i)
			continue
		}
		ok = append(ok, i)
	}
	return ok, nil
}

// updateChunkPG runs UPDATE … FROM (VALUES …) RETURNING id under a
// SAVEPOINT; if a uniqueness violation aborts it, the chunk is retried row
// by row, each under its own SAVEPOINT, so that only colliding items fail.
func (t *tx) updateChunkPG(ctx context.Context, sp updateSpec, chunk []int, errs map[int]error, missing map[int]string) ([]int, error) {
	if len(chunk) > 1 {
		b := &binder{pg: true}
		b.sql("UPDATE " + sp.table + " AS r SET " + sp.set + " FROM (VALUES ")
		b.bind(t.tenant) // $1, used in WHERE
		for n, i := range chunk {
			if n > 0 {
				b.sql(", ")
			}
			b.sql("(")
			for k, v := range sp.vals(i) {
				if k > 0 {
					b.sql(", ")
				}
				b.arg(v).sql("::" + sp.cols[k].cast)
			}
			b.sql(")")
		}
		names := make([]string, len(sp.cols))
		for k, c := range sp.cols {
			names[k] = c.name
		}
		b.sql(") AS v(" + strings.Join(names, ", ") + ")")
		b.sql(" WHERE r.tenant_id = $1 AND r.id = v.id AND r.version = v.version RETURNING r.id")
		var ids []string
		err := t.savepoint(ctx, func() error {
			var err error
			ids, err = t.queryIDs(ctx, b.String(), b.args...)
			return err
		})
		if err == nil {
			updated := make(map[string]bool, len(ids))
			for _, id := range ids {
				updated[id] = true
			}
			ok := make([]int, 0, len(chunk))
			for _, i := range chunk {
				if updated[sp.id(i)] {
					ok = append(ok, i)
				} else {
					missing[i] = sp.id(i)
				}
			}
			return ok, nil
		}
		if _, isUnique := uniqueViolation(err); !isUnique {
			return nil, err
		}
	}
	q := rebind(true, sp.one)
	return t.updateEach(ctx, sp, chunk, errs, missing, func(i int) (int64, error) {
		var n int64
		err := t.savepoint(ctx, func() error {
			var err error
			n, err = execCount(t.sql.ExecContext(ctx, q, sp.args(i)...))
			return err
		})
		return n, err
	})
}
