package bulk_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

// benchUsers is the number of users per run (SCIMD_BENCH_USERS overrides).
func benchUsers(b *testing.B) int {
	if v := os.Getenv("SCIMD_BENCH_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("SCIMD_BENCH_USERS=%q", v)
		}
		return n
	}
	return 100_000
}

// benchAttrs is the attribute map of user i: the same shape as the store's
// own insert benchmark (store/sqlstore/bench_test.go genUsers).
func benchAttrs(i int) map[string]any {
	mails := []any{map[string]any{"value": fmt.Sprintf("User.%d@Example.com", i), "type": "work", "primary": true}}
	if i%3 == 0 {
		mails = append(mails, map[string]any{"value": fmt.Sprintf("u%d@home.example.org", i), "type": "home"})
	}
	return map[string]any{
		"schemas":     []any{schemas.UserURN, schemas.EnterpriseURN},
		"userName":    fmt.Sprintf("user.%d@example.com", i),
		"externalId":  fmt.Sprintf("ext-%d", i),
		"displayName": fmt.Sprintf("User Number %d", i),
		"active":      i%10 != 0,
		"name":        map[string]any{"givenName": "User", "familyName": fmt.Sprintf("Number %d", i)},
		"emails":      mails,
		schemas.EnterpriseURN: map[string]any{
			"employeeNumber": strconv.Itoa(100000 + i), "department": "Sales",
		},
	}
}

// BenchmarkImportUsers measures the in-process engine creating users
// (Engine.ImportUsers with create-only UserUpsert operations: look-up of
// the chunk's userNames, the resource rules, batched InsertUsers, one
// transaction per chunk) against a bare batched insert of the same rows
// into a fresh database of the same kind in the same run: on SQLite one
// transaction of prepared one-row INSERTs (scim_users and user_emails),
// on PostgreSQL pgx COPY of both tables in one transaction — the
// baselines of store/sqlstore/bench_test.go. The bare rows are built by
// the same resource.Service beforehand (not timed).
//
// Run with -benchtime=1x: one run is 100,000 users per side
// (SCIMD_BENCH_USERS overrides). Sub-benchmarks: the dialect and the
// engine's chunk size (operations per transaction).
func BenchmarkImportUsers(b *testing.B) {
	n := benchUsers(b)
	for _, kind := range testdb.Kinds() {
		for _, chunk := range []int{bulk.DefaultChunkSize, 10_000} {
			b.Run(fmt.Sprintf("%s/chunk=%d", kind, chunk), func(b *testing.B) {
				var bare, eng time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					e1, e2 := newEnv(b, kind), newEnv(b, kind)
					rows := bareRows(b, e1, n)
					attrs := make([]map[string]any, n)
					for k := range attrs {
						attrs[k] = benchAttrs(k)
					}
					b.StartTimer()
					// Alternate the order: the second writer may pay for
					// the first one's checkpoints.
					if i%2 == 0 {
						bare += timeBare(b, e1, rows)
						eng += timeEngine(b, e2, attrs, chunk)
					} else {
						eng += timeEngine(b, e2, attrs, chunk)
						bare += timeBare(b, e1, rows)
					}
				}
				total := float64(n * b.N)
				bareRate, engRate := total/bare.Seconds(), total/eng.Seconds()
				b.ReportMetric(bareRate, "bare_rows/s")
				b.ReportMetric(engRate, "engine_rows/s")
				b.ReportMetric(engRate/bareRate, "ratio")
			})
		}
	}
}

// timeEngine creates a user per attribute map through Engine.ImportUsers.
// The maps are built beforehand, as the CSV mapper hands them over (its
// Create returns the row's map).
func timeEngine(b *testing.B, e *env, attrs []map[string]any, chunk int) time.Duration {
	ctx := context.Background()
	n := len(attrs)
	i := 0
	next := func() (bulk.UserUpsert, bool, error) {
		if i == n {
			return bulk.UserUpsert{}, false, nil
		}
		m := attrs[i]
		i++
		return bulk.UserUpsert{
			Row:      int64(i),
			UserName: m["userName"].(string),
			Create:   func() map[string]any { return m },
		}, true, nil
	}
	var counts bulk.Counts
	sink := countSink{&counts}
	start := time.Now()
	if err := e.eng.ImportUsers(ctx, e.tenant, next, bulk.UsersOptions{ChunkSize: chunk}, sink); err != nil {
		b.Fatalf("ImportUsers: %v", err)
	}
	d := time.Since(start)
	if counts.Created != int64(n) {
		b.Fatalf("created %d of %d (failed %d)", counts.Created, n, counts.Failed)
	}
	return d
}

// countSink counts outcomes and writes no checkpoint.
type countSink struct{ c *bulk.Counts }

func (s countSink) Prepare([]bulk.Result, bulk.ChunkInfo) *bulk.Checkpoint { return nil }
func (s countSink) Committed(rs []bulk.Result, _ bulk.ChunkInfo)           { s.c.Add(rs) }

// bareRows builds the rows the bare insert writes.
func bareRows(b *testing.B, e *env, n int) []*store.User {
	users := make([]*store.User, n)
	for i := range users {
		u, err := e.eng.Svc.NewUser(benchAttrs(i))
		if err != nil {
			b.Fatal(err)
		}
		u.Version = 1
		users[i] = u
	}
	return users
}

func timeBare(b *testing.B, e *env, users []*store.User) time.Duration {
	start := time.Now()
	if err := bareInsert(e.st, e.tenant, users); err != nil {
		b.Fatalf("bare insert: %v", err)
	}
	return time.Since(start)
}

// userColumns mirrors the scim_users columns written by sqlstore.
const userColumns = "tenant_id, id, user_name, user_name_ci, external_id, display_name, display_name_ci, active, user_uuid_ci, attrs, password_hash, version, created_at, modified_at"

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func userArgs(tenant int64, u *store.User) []any {
	var active any
	if u.Active != nil {
		active = *u.Active
	}
	return []any{tenant, u.ID, u.UserName, strings.ToLower(u.UserName), nullStr(u.ExternalID),
		nullStr(u.DisplayName), nullStr(strings.ToLower(u.DisplayName)), active,
		nullStr(strings.ToLower(u.UserUUID)), string(u.Attrs), nullStr(u.PasswordHash),
		u.Version, u.Created.UnixMicro(), u.Modified.UnixMicro()}
}

func lowerEmails(u *store.User) []string {
	var out []string
	for _, m := range u.Emails {
		l := strings.ToLower(m)
		dup := false
		for _, o := range out {
			dup = dup || o == l
		}
		if !dup {
			out = append(out, l)
		}
	}
	return out
}

// bareInsert writes the users' rows without the store's logic.
func bareInsert(s *sqlstore.Store, tenant int64, users []*store.User) error {
	ctx := context.Background()
	db, err := s.DB().DB()
	if err != nil {
		return err
	}
	if s.Dialect() == sqlstore.DialectPostgres {
		return bareCopy(ctx, db, tenant, users)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, "INSERT INTO scim_users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	insEmail, err := tx.PrepareContext(ctx, "INSERT INTO user_emails (tenant_id, value_ci, user_id) VALUES (?, ?, ?)")
	if err != nil {
		return err
	}
	for _, u := range users {
		if _, err := ins.ExecContext(ctx, userArgs(tenant, u)...); err != nil {
			return err
		}
		for _, m := range lowerEmails(u) {
			if _, err := insEmail.ExecContext(ctx, tenant, m, u.ID); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// bareCopy writes the rows with pgx COPY in one transaction.
func bareCopy(ctx context.Context, db *sql.DB, tenant int64, users []*store.User) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		cols := strings.Split(strings.ReplaceAll(userColumns, " ", ""), ",")
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"scim_users"}, cols,
			pgx.CopyFromSlice(len(users), func(i int) ([]any, error) {
				return userArgs(tenant, users[i]), nil
			})); err != nil {
			return err
		}
		var emails [][]any
		for _, u := range users {
			for _, m := range lowerEmails(u) {
				emails = append(emails, []any{tenant, m, u.ID})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"user_emails"}, []string{"tenant_id", "value_ci", "user_id"},
			pgx.CopyFromRows(emails)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

// BenchmarkRunPostUsers measures the RFC 7644 path in process: Runner.Run
// with 1,000 POST /Users operations (JSON data, schema validation,
// batched insert), the work of one /Bulk request without HTTP.
func BenchmarkRunPostUsers(b *testing.B) {
	const n = 1000
	for _, kind := range testdb.Kinds() {
		b.Run(string(kind), func(b *testing.B) {
			e := newEnv(b, kind)
			b.ResetTimer()
			var d time.Duration
			for it := 0; it < b.N; it++ {
				b.StopTimer()
				ops := make([]bulk.Op, n)
				for i := range ops {
					ops[i] = op("POST", "/Users", strconv.Itoa(i), userJSON(fmt.Sprintf("r%d.u%d@example.com", it, i),
						fmt.Sprintf(`"displayName":"User %d","emails":[{"value":"r%d.u%d@example.com","type":"work","primary":true}]`, i, it, i),
						fmt.Sprintf(`"name":{"givenName":"User","familyName":"Number %d"},"active":true`, i)))
				}
				b.StartTimer()
				start := time.Now()
				rs := e.run.Run(e.ctx, e.tenant, ops, bulk.RunOptions{})
				d += time.Since(start)
				for i, r := range rs {
					if r.Status != 201 {
						b.Fatalf("operation %d: %s %v", i, outcome(r), r.Err)
					}
				}
			}
			b.ReportMetric(float64(n*b.N)/d.Seconds(), "rows/s")
		})
	}
}
