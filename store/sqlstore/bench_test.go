package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
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

// genUsers builds n users the way the service layer does (SetAttrs), with
// time-ordered ids.
func genUsers(b *testing.B, n int) []*store.User {
	users := make([]*store.User, n)
	for i := range users {
		u := &store.User{ID: uuid.Must(uuid.NewV7()).String()}
		mails := []any{map[string]any{"value": fmt.Sprintf("User.%d@Example.com", i), "type": "work", "primary": true}}
		if i%3 == 0 {
			mails = append(mails, map[string]any{"value": fmt.Sprintf("u%d@home.example.org", i), "type": "home"})
		}
		err := u.SetAttrs(map[string]any{
			"userName":    fmt.Sprintf("user.%d@example.com", i),
			"externalId":  fmt.Sprintf("ext-%d", i),
			"displayName": fmt.Sprintf("User Number %d", i),
			"active":      i%10 != 0,
			"name":        map[string]any{"givenName": "User", "familyName": fmt.Sprintf("Number %d", i)},
			"emails":      mails,
			schemas.EnterpriseURN: map[string]any{
				"employeeNumber": strconv.Itoa(100000 + i), "department": "Sales",
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		users[i] = u
	}
	return users
}

// openBench opens a store on a fresh database and creates one tenant.
func openBench(b *testing.B, kind testdb.Kind) (*Store, int64) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DSN: testdb.DSN(b, kind)})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	t, err := s.CreateTenant(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return s, t.ID
}

// BenchmarkInsertUsers compares Tx.InsertUsers of 100,000 users in one
// transaction with the bare limit on the same kind of database: prepared
// one-row INSERTs of the same column values into scim_users and
// user_emails in one transaction on SQLite, pgx COPY of both tables in
// one transaction on PostgreSQL. Each side gets a fresh database. Run with
// -benchtime=1x (one run is 100,000 rows per side).
//
// Sub-benchmarks: the dialect, and the size of each InsertUsers call
// within the one transaction (all at once, or 1,000 per call as the Bulk
// engine does).
func BenchmarkInsertUsers(b *testing.B) {
	n := benchUsers(b)
	for _, kind := range testdb.Kinds() {
		for _, chunk := range []int{n, 1000} {
			b.Run(fmt.Sprintf("%s/chunk=%d", kind, chunk), func(b *testing.B) {
				users := genUsers(b, n)
				var bare, mine time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					s1, t1 := openBench(b, kind)
					s2, t2 := openBench(b, kind)
					b.StartTimer()
					// Alternate the order: the second writer may pay for
					// the first one's checkpoints.
					if i%2 == 0 {
						bare += timeBare(b, s1, t1, users)
						mine += timeStore(b, s2, t2, users, chunk)
					} else {
						mine += timeStore(b, s2, t2, users, chunk)
						bare += timeBare(b, s1, t1, users)
					}
				}
				rows := float64(n * b.N)
				bareRate, storeRate := rows/bare.Seconds(), rows/mine.Seconds()
				b.ReportMetric(bareRate, "bare_rows/s")
				b.ReportMetric(storeRate, "store_rows/s")
				b.ReportMetric(storeRate/bareRate, "ratio")
			})
		}
	}
}

func resetMeta(users []*store.User) {
	for _, u := range users {
		u.Version, u.Created, u.Modified = 0, time.Time{}, time.Time{}
	}
}

// timeBare times bareInsert.
func timeBare(b *testing.B, s *Store, tenant int64, users []*store.User) time.Duration {
	resetMeta(users)
	start := time.Now()
	if err := bareInsert(s, tenant, users); err != nil {
		b.Fatalf("bare insert: %v", err)
	}
	return time.Since(start)
}

// timeStore times one transaction of InsertUsers calls of chunk users.
func timeStore(b *testing.B, s *Store, tenant int64, users []*store.User, chunk int) time.Duration {
	resetMeta(users)
	ctx := context.Background()
	start := time.Now()
	err := s.Tx(ctx, tenant, func(tx store.Tx) error {
		for lo := 0; lo < len(users); lo += chunk {
			if err := tx.InsertUsers(ctx, users[lo:min(lo+chunk, len(users))]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("Tx.InsertUsers: %v", err)
	}
	return time.Since(start)
}

// bareInsert writes the users' rows without the store's logic.
func bareInsert(s *Store, tenant int64, users []*store.User) error {
	ctx := context.Background()
	db, err := s.DB().DB()
	if err != nil {
		return err
	}
	for _, u := range users {
		u.Version, u.Created, u.Modified = 1, time.Now(), time.Now()
	}
	if s.Dialect() == DialectPostgres {
		return bareCopy(ctx, db, tenant, users)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, insertUserSQL)
	if err != nil {
		return err
	}
	insEmail, err := tx.PrepareContext(ctx, "INSERT INTO user_emails (tenant_id, value_ci, user_id) VALUES (?, ?, ?)")
	if err != nil {
		return err
	}
	for _, u := range users {
		if _, err := ins.ExecContext(ctx, userInsertArgs(tenant, u)...); err != nil {
			return err
		}
		for _, e := range lowerSet(u.Emails) {
			if _, err := insEmail.ExecContext(ctx, tenant, e, u.ID); err != nil {
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
				return userInsertArgs(tenant, users[i]), nil
			})); err != nil {
			return err
		}
		var emails [][]any
		for _, u := range users {
			for _, e := range lowerSet(u.Emails) {
				emails = append(emails, []any{tenant, e, u.ID})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"user_emails"}, []string{"tenant_id", "value_ci", "user_id"},
			pgx.CopyFromRows(emails)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}
