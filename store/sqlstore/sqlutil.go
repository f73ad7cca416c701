package sqlstore

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

const (
	// maxInList is the number of values per IN list; look-ups run one
	// query per chunk.
	maxInList = 1000
	// pgBatchRows is the number of rows per multi-row statement on
	// PostgreSQL (rows × columns stays far below 65535 parameters).
	pgBatchRows = 1000
)

// nullStr maps "" to NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullBool maps nil to NULL.
func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// fromMicros converts stored Unix microseconds to a UTC time.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// microsOr returns t as Unix microseconds, or def when t is zero.
func microsOr(t time.Time, def int64) int64 {
	if t.IsZero() {
		return def
	}
	return t.UnixMicro()
}

// lowerSet returns the distinct lower-cased values of vs, in order.
func lowerSet(vs []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		l := strings.ToLower(v)
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// distinct returns the distinct values of vs, in order.
func distinct(vs []string) []string {
	seen := make(map[string]bool, len(vs))
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// sqlTx returns the database/sql transaction behind a gorm transaction.
func sqlTx(db *gorm.DB) (*sql.Tx, error) {
	switch p := db.Statement.ConnPool.(type) {
	case *sql.Tx:
		return p, nil
	case *gorm.PreparedStmtTX:
		if t, ok := p.Tx.(*sql.Tx); ok {
			return t, nil
		}
	}
	return nil, fmt.Errorf("sqlstore: not in a database/sql transaction (%T)", db.Statement.ConnPool)
}

// binder builds SQL for database/sql directly, with the dialect's
// placeholders ('?' or '$n').
type binder struct {
	pg   bool
	sb   strings.Builder
	args []any
}

func (b *binder) reset() {
	b.sb.Reset()
	b.args = b.args[:0]
}

// sql writes SQL text.
func (b *binder) sql(s string) *binder {
	b.sb.WriteString(s)
	return b
}

// arg writes a placeholder for v.
func (b *binder) arg(v any) *binder {
	b.args = append(b.args, v)
	if b.pg {
		b.sb.WriteByte('$')
		b.sb.WriteString(strconv.Itoa(len(b.args)))
	} else {
		b.sb.WriteByte('?')
	}
	return b
}

// bind adds an argument without writing its placeholder (for ref).
func (b *binder) bind(v any) *binder {
	b.args = append(b.args, v)
	return b
}

// ref writes a placeholder for the n-th argument (1-based) already added,
// reusing it on PostgreSQL and repeating the value on SQLite.
func (b *binder) ref(n int) *binder {
	if b.pg {
		b.sb.WriteByte('$')
		b.sb.WriteString(strconv.Itoa(n))
		return b
	}
	return b.arg(b.args[n-1])
}

func (b *binder) String() string { return b.sb.String() }

// queryRow runs a query expected to return at most one row and scans it;
// no row is sql.ErrNoRows. Unlike gorm's Row() it never returns a nil row.
func queryRow(db *gorm.DB, query string, args []any, dest ...any) error {
	rows, err := db.Raw(query, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// list writes "(p1, p2, …)" for vs (non-empty).
func (b *binder) list(vs []string) *binder {
	b.sb.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.sb.WriteString(", ")
		}
		b.arg(v)
	}
	b.sb.WriteByte(')')
	return b
}

// rebind turns '?' placeholders into PostgreSQL's '$n' (the SQL must not
// contain '?' elsewhere).
func rebind(pg bool, query string) string {
	if !pg {
		return query
	}
	var sb strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(n))
			continue
		}
		sb.WriteByte(query[i])
	}
	return sb.String()
}

// tuple writes "(p, p, …)" for vs.
func (b *binder) tuple(vs ...any) *binder {
	b.sb.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.sb.WriteString(", ")
		}
		if r, ok := v.(argRef); ok {
			b.ref(int(r))
			continue
		}
		b.arg(v)
	}
	b.sb.WriteByte(')')
	return b
}

// argRef in a tuple refers to an argument already added (1-based).
type argRef int

// tenantRef is the tenant id, always the first argument of batch
// statements.
const tenantRef argRef = 1

// execCount returns the rows affected by an Exec.
func execCount(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
