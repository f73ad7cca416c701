package sqlstore

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore/sqlfilter"
)

// BenchmarkKeysetPaging measures the store side of cursor paging:
// ListUsersPage for page 1 and page 900 (count 100) against ListUsers
// with OFFSET for the same pages, by id and by userName, on 100,000 users
// (SCIMD_BENCH_USERS overrides). Every call includes the exact total (a
// COUNT over the tenant), reported on its own as µs/count.
//
//	go test ./store/sqlstore -run '^$' -bench KeysetPaging -benchtime 200x
func BenchmarkKeysetPaging(b *testing.B) {
	if testing.Short() {
		b.Skip("keyset benchmark skipped in -short mode")
	}
	n := benchUsers(b)
	const count = 100
	deep := 900
	if n < deep*count {
		deep = max(2, n/count*9/10)
	}
	for _, kind := range testdb.Kinds() {
		b.Run(string(kind), func(b *testing.B) {
			ctx := context.Background()
			s, tenant := openBench(b, kind)
			for chunk := range slices.Chunk(genUsers(b, n), 5000) {
				if err := s.Tx(ctx, tenant, func(tx store.Tx) error { return tx.InsertUsers(ctx, chunk) }); err != nil {
					b.Fatal(err)
				}
			}
			// Statistics and (PostgreSQL) the visibility map, as a server
			// that has run for a while has them.
			s.optimizeAtOpen(ctx)
			if s.pg {
				if err := s.writer.Exec("VACUUM ANALYZE scim_users").Error; err != nil {
					b.Fatal(err)
				}
			}
			for _, sortBy := range []string{"", "userName"} {
				name := "by-id"
				if sortBy != "" {
					name = "by-" + sortBy
				}
				b.Run(name, func(b *testing.B) {
					// The position before page `deep`, from the whole list.
					all, _, err := s.ListUsers(ctx, tenant, store.Query{SortBy: sortBy, Count: -1})
					if err != nil {
						b.Fatal(err)
					}
					after := positionOf(b, s, tenant, sortBy, all[(deep-1)*count-1].ID)
					first := all[(deep-1)*count].ID
					all = nil
					calls := []struct {
						metric string
						fn     func() ([]store.User, error)
					}{
						{"count", func() ([]store.User, error) {
							_, _, err := s.ListUsers(ctx, tenant, store.Query{SortBy: sortBy, Count: 0})
							return nil, err
						}},
						{"keyset-p1", func() ([]store.User, error) {
							us, _, err := s.ListUsersPage(ctx, tenant, store.Query{SortBy: sortBy, Count: count})
							return us, err
						}},
						{fmt.Sprintf("keyset-p%d", deep), func() ([]store.User, error) {
							us, _, err := s.ListUsersPage(ctx, tenant, store.Query{SortBy: sortBy, Count: count, After: after})
							return us, err
						}},
						{"offset-p1", func() ([]store.User, error) {
							us, _, err := s.ListUsers(ctx, tenant, store.Query{SortBy: sortBy, Count: count})
							return us, err
						}},
						{fmt.Sprintf("offset-p%d", deep), func() ([]store.User, error) {
							us, _, err := s.ListUsers(ctx, tenant, store.Query{SortBy: sortBy, Count: count, Offset: (deep - 1) * count})
							return us, err
						}},
					}
					// Both ways return the same page.
					k, _ := calls[2].fn()
					o, _ := calls[4].fn()
					if len(k) != count || k[0].ID != o[0].ID || k[count-1].ID != o[count-1].ID || k[0].ID != first {
						b.Fatalf("page %d: keyset and offset pages differ", deep)
					}
					runtime.GC()
					took := make([]time.Duration, len(calls))
					for b.Loop() {
						for i, c := range calls {
							t0 := time.Now()
							if _, err := c.fn(); err != nil {
								b.Fatal(err)
							}
							took[i] += time.Since(t0)
						}
					}
					us := func(i int) float64 { return float64(took[i].Microseconds()) / float64(b.N) }
					for i, c := range calls {
						b.ReportMetric(us(i), "µs/"+c.metric)
					}
					b.ReportMetric(us(2)/us(1), fmt.Sprintf("keyset-p%d/p1", deep))
					b.ReportMetric(us(4)/us(3), fmt.Sprintf("offset-p%d/p1", deep))
				})
			}
		})
	}
}

// positionOf returns the keyset position of user id in the sortBy order:
// the Last of a one-user page filtered to that id.
func positionOf(b *testing.B, s *Store, tenant int64, sortBy, id string) *store.Position {
	b.Helper()
	k, err := s.sortKey(sqlfilter.Users, store.Query{SortBy: sortBy})
	if err != nil {
		b.Fatal(err)
	}
	pos := &store.Position{ID: id}
	if k.Expr != "" {
		if err := queryRow(s.reader, "SELECT "+k.Expr+" FROM scim_users r WHERE r.tenant_id = ? AND r.id = ?",
			append(append([]any{}, k.Args...), tenant, id), &pos.Key); err != nil {
			b.Fatal(err)
		}
		pos.Key = normKey(pos.Key)
	}
	return pos
}
