package sqlstore

import (
	"context"
	"database/sql"
)

// rowsCtx is the context a read query whose rows are iterated in Go runs
// with. mattn/go-sqlite3 steps every Rows.Next in a new goroutine when the
// context can be cancelled (so that it can interrupt a long step), which
// costs about 2 µs per row: a fifth of listing 100 users, and a goroutine
// per member when reading a large group. On SQLite these queries therefore
// run without ctx's cancellation (its values are kept) and the callers
// check ctx.Err() between rows instead; a single long step (an OFFSET far
// into a large tenant, a filter that matches few rows) is then not
// interrupted when the client goes away. COUNT queries keep ctx.
// PostgreSQL (pgx) honours ctx without that cost.
func (s *Store) rowsCtx(ctx context.Context) context.Context {
	if s.pg {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// rowExec runs a prepared one-row statement of a SQLite loop. Given a
// cancellable context, mattn's driver runs each statement on a goroutine of
// its own (so that it can interrupt it): a goroutine and channel hand-offs
// per row, about a sixth of an import's CPU. A one-row statement is short,
// so rowExec checks ctx between rows and gives the driver a context that
// is never cancelled.
func rowExec(ctx context.Context, st *sql.Stmt, args ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return st.ExecContext(context.WithoutCancel(ctx), args...)
}

// query runs a read whose rows are iterated in Go. On SQLite it runs from
// the reader pool's statement cache, without gorm (whose statement
// building and callbacks were a tenth of a GET by id) and without ctx's
// cancellation (see rowsCtx); ctx is checked first. Arguments must be
// scalars: list expansion ("IN ?") is gorm's, so such queries use binder.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.pg {
		return s.reader.WithContext(ctx).Raw(query, args...).Rows()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := s.stmts.reads.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.reader.WithContext(s.rowsCtx(ctx)).Raw(query, args...).Rows()
	}
	return st.QueryContext(context.WithoutCancel(ctx), args...)
}
