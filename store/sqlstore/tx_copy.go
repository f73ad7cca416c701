package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// COPY on PostgreSQL: batches of fewer than copyMinRows rows use
// multi-row statements (COPY costs extra round trips); larger ones are
// copied in parts of copyChunkRows, so that a collision sends only its
// part to the slower INSERT … ON CONFLICT path.
const (
	copyMinRows   = 200
	copyChunkRows = 10_000
)

// columnList splits a column list constant.
func columnList(cols string) []string {
	out := strings.Split(cols, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// tryCopy writes n rows into table with COPY (PostgreSQL; pgx CopyFrom on
// the transaction's connection) under a SAVEPOINT. A uniqueness violation
// rolls back to the savepoint and reports done == false, so that the
// caller can fall back to INSERT … ON CONFLICT, which names the colliding
// rows; other errors are returned.
func (t *tx) tryCopy(ctx context.Context, table string, cols []string, n int, row func(k int) []any) (done bool, err error) {
	if !t.pg || t.conn == nil || n < copyMinRows {
		return false, nil
	}
	err = t.savepoint(ctx, func() error {
		return t.conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("driver connection is %T, not pgx", dc)
			}
			_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols,
				pgx.CopyFromSlice(n, func(k int) ([]any, error) { return row(k), nil }))
			return err
		})
	})
	if err == nil {
		return true, nil
	}
	if _, isUnique := uniqueViolation(err); isUnique {
		return false, nil
	}
	return false, fmt.Errorf("copy into %s: %w", table, err)
}
