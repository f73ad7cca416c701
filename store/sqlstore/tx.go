package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/scimd/scimd/store"
)

// tx implements store.Tx: a write transaction bound to one tenant.
// Helpers that write use t.sql (database/sql) for prepared and multi-row
// statements and t.db (gorm) for the rest; both are the same transaction.
type tx struct {
	s      *Store
	db     *gorm.DB
	sql    *sql.Tx
	tenant int64
	pg     bool
	// emails holds the stored (lower-cased) e-mail set of users read or
	// updated in this transaction, so UpdateUsers can diff without
	// re-reading; rows are locked (or SQLite serialises writers), so the
	// sets stay true until the transaction ends.
	emails map[string][]string
	// stmts holds this transaction's instances of the store's prepared
	// SQLite statements.
	stmts map[*sql.Stmt]*sql.Stmt
	// conn is the connection the transaction runs on (PostgreSQL), for
	// COPY through pgx (see tryCopy).
	conn *sql.Conn
}

var (
	_ store.Tx    = (*tx)(nil)
	_ store.JobTx = (*tx)(nil)
)

// Tx runs fn in one write transaction bound to tenantID. On SQLite the
// single writer connection begins IMMEDIATE (the write lock is taken at
// BEGIN); on PostgreSQL look-ups lock rows FOR UPDATE. fn's error rolls
// back and is returned as is.
func (s *Store) Tx(ctx context.Context, tenantID int64, fn func(tx store.Tx) error) error {
	if !s.pg {
		fn, release := s.writerTurn(ctx, fn)
		err := s.runTx(ctx, s.writer.WithContext(ctx), nil, tenantID, fn)
		release()
		if perr := s.stmts.other.preparePending(context.WithoutCancel(ctx)); perr != nil {
			s.log.Warn("sqlstore: prepare statement", "err", perr)
		}
		return err
	}
	// On PostgreSQL the transaction runs on a connection of its own, so
	// that tryCopy can reach the pgx connection beneath it.
	return s.writer.WithContext(ctx).Connection(func(cdb *gorm.DB) error {
		conn, ok := cdb.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return fmt.Errorf("sqlstore: connection is %T", cdb.Statement.ConnPool)
		}
		return s.runTx(ctx, cdb, conn, tenantID, fn)
	})
}

// runTx begins a transaction on db, runs fn and commits.
func (s *Store) runTx(ctx context.Context, db *gorm.DB, conn *sql.Conn, tenantID int64, fn func(tx store.Tx) error) error {
	gtx := db.Begin()
	if err := gtx.Error; err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			gtx.Rollback()
		}
	}()
	st, err := sqlTx(gtx)
	if err != nil {
		return err
	}
	t := &tx{s: s, db: gtx, sql: st, tenant: tenantID, pg: s.pg, emails: map[string][]string{}, conn: conn}
	if err := fn(t); err != nil {
		return err
	}
	done = true
	if err := gtx.Commit().Error; err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// g returns the gorm transaction with ctx.
func (t *tx) g(ctx context.Context) *gorm.DB { return t.db.WithContext(ctx) }

// lockRows is the locking clause of look-ups (PostgreSQL; SQLite
// serialises writers).
func (t *tx) lockRows() string {
	if t.pg {
		return " FOR UPDATE OF r"
	}
	return ""
}

// stmt returns this transaction's instance of a prepared SQLite statement.
func (t *tx) stmt(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	if ts, ok := t.stmts[st]; ok {
		return ts
	}
	if t.stmts == nil {
		t.stmts = map[*sql.Stmt]*sql.Stmt{}
	}
	ts := t.sql.StmtContext(ctx, st)
	t.stmts[st] = ts
	return ts
}

// savepoint runs fn under a SAVEPOINT (PostgreSQL), rolling back to it
// when fn fails so that the transaction stays usable.
func (t *tx) savepoint(ctx context.Context, fn func() error) error {
	if _, err := t.sql.ExecContext(ctx, "SAVEPOINT scimd_sp"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rerr := t.sql.ExecContext(ctx, "ROLLBACK TO SAVEPOINT scimd_sp"); rerr != nil {
			return fmt.Errorf("rollback to savepoint: %w (after %w)", rerr, err)
		}
		if _, rerr := t.sql.ExecContext(ctx, "RELEASE SAVEPOINT scimd_sp"); rerr != nil {
			return fmt.Errorf("release savepoint: %w (after %w)", rerr, err)
		}
		return err
	}
	if _, err := t.sql.ExecContext(ctx, "RELEASE SAVEPOINT scimd_sp"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// queryIDs runs a query returning one text column and collects it.
func (t *tx) queryIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// existing returns which of ids exist in table for the tenant (one query
// per 1000 ids).
func (t *tx) existing(ctx context.Context, table string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for chunk := range slices.Chunk(distinct(ids), maxInList) {
		b := &binder{pg: t.pg}
		b.sql("SELECT id FROM " + table + " WHERE tenant_id = ").arg(t.tenant).sql(" AND id IN ")
		b.list(chunk)
		found, err := t.queryIDs(ctx, b.String(), b.args...)
		if err != nil {
			return nil, err
		}
		for _, id := range found {
			out[id] = true
		}
	}
	return out, nil
}

// missingErrs sets ErrVersionMismatch or ErrNotFound for the items whose
// versioned update touched no row.
func (t *tx) missingErrs(ctx context.Context, table, what string, ids map[int]string, errs map[int]error) error {
	if len(ids) == 0 {
		return nil
	}
	list := make([]string, 0, len(ids))
	for _, id := range ids {
		list = append(list, id)
	}
	found, err := t.existing(ctx, table, list)
	if err != nil {
		return err
	}
	for i, id := range ids {
		if found[id] {
			errs[i] = fmt.Errorf("%s %q: %w", what, id, store.ErrVersionMismatch)
		} else {
			errs[i] = notFound(what, id)
		}
	}
	return nil
}

// query runs a query of the transaction (on SQLite through sqliteStmt).
func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.pg {
		return t.sql.QueryContext(ctx, query, args...)
	}
	st, run, err := t.sqliteStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(run, args...)
}

// exec runs a statement of the transaction (on SQLite through sqliteStmt).
func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.pg {
		return t.sql.ExecContext(ctx, query, args...)
	}
	st, run, err := t.sqliteStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(run, args...)
}

// sqliteStmt returns query's statement in the transaction, from the
// writer's statement cache or, until the cache holds it, prepared for this
// transaction alone; and the context to run it with: ctx, checked here,
// without its cancellation (rows are read in Go; see rowsCtx).
func (t *tx) sqliteStmt(ctx context.Context, query string) (*sql.Stmt, context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	run := context.WithoutCancel(ctx)
	if st := t.s.stmts.other.lookup(query); st != nil {
		return t.stmt(ctx, st), run, nil
	}
	st, err := t.sql.PrepareContext(run, query)
	return st, run, err
}
