package test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/store/sqlstore"
)

// Cursor versus index paging against the real server.
//
//	go test ./test -run '^$' -bench CursorPaging -benchtime 30x -timeout 30m
//
// The tenant holds SCIMD_BENCH_USERS users (default 100,000, generated
// like the export benchmark's); with SCIMD_TEST_POSTGRES_DSN set it runs
// on PostgreSQL too. Each iteration GETs page 1 and page 900 (count=100)
// both ways: with cursors (page 900 through the nextCursor of page 899,
// obtained untimed) and with startIndex. Reported: µs per page for each,
// and the deep/first ratios: about 1 for cursors, growing with the depth
// for startIndex (OFFSET reads and drops the rows before the page).
// Every response also pays an exact totalResults (a COUNT over the
// tenant), the same for all pages; on PostgreSQL it is most of a cursor
// page's time. PostgreSQL is VACUUM ANALYZEd after seeding, as autovacuum
// would. -short skips it.
func BenchmarkCursorPaging(b *testing.B) {
	if testing.Short() {
		b.Skip("cursor benchmark skipped in -short mode")
	}
	n := benchUsers(b)
	const count = 100
	deep := 900
	if n < deep*count {
		deep = max(2, n/count*9/10)
	}
	for _, kind := range testdb.Kinds() {
		b.Run(string(kind), func(b *testing.B) {
			dsn := testdb.DSN(b, kind)
			start := time.Now()
			seedUsersDirect(b, dsn, n, benchUserAttrs)
			b.Logf("seeded %d users in %v", n, time.Since(start).Round(time.Millisecond))
			if kind == testdb.Postgres {
				// The visibility map and statistics autovacuum would
				// provide after a bulk load.
				st, err := sqlstore.Open(context.Background(), sqlstore.Config{DSN: dsn})
				if err != nil {
					b.Fatal(err)
				}
				err = st.DB().Exec("VACUUM ANALYZE scim_users").Error
				st.Close()
				if err != nil {
					b.Fatal(err)
				}
			}
			s := startServer(b, serverOpts{kind: kind, dsn: dsn})
			for _, order := range []struct{ name, query string }{
				{"by-id", ""},
				{"by-userName", "&sortBy=userName"},
			} {
				b.Run(order.name, func(b *testing.B) {
					base := "/scim/v2/Users?count=" + strconv.Itoa(count) + order.query
					deepCursor := s.cursorAt(b, "/scim/v2/Users?x=1"+order.query, (deep-1)*count)
					deepIndex := strconv.Itoa((deep-1)*count + 1)
					// The same static set: both ways reach the same page.
					c := s.pageIDs(b, base+"&cursor="+deepCursor)
					i := s.pageIDs(b, base+"&startIndex="+deepIndex)
					if len(c) != count || fmt.Sprint(c) != fmt.Sprint(i) {
						b.Fatalf("page %d differs: cursor %d ids from %v, index %d from %v", deep, len(c), c[:1], len(i), i[:1])
					}
					reqs := []struct {
						metric, path string
					}{
						{"cursor-p1", base + "&cursor="},
						{fmt.Sprintf("cursor-p%d", deep), base + "&cursor=" + deepCursor},
						{"index-p1", base + "&startIndex=1"},
						{fmt.Sprintf("index-p%d", deep), base + "&startIndex=" + deepIndex},
					}
					for _, r := range reqs { // warm the caches
						s.must(b, http.StatusOK, "GET", r.path, nil)
					}
					took := make([]time.Duration, len(reqs))
					for b.Loop() {
						for k, r := range reqs {
							t0 := time.Now()
							if resp := s.do(b, "GET", r.path, nil); resp.Status != http.StatusOK {
								b.Fatalf("%s: %d %s", r.path, resp.Status, resp.Body)
							}
							took[k] += time.Since(t0)
						}
					}
					us := func(k int) float64 { return float64(took[k].Microseconds()) / float64(b.N) }
					for k, r := range reqs {
						b.ReportMetric(us(k), "µs/"+r.metric)
					}
					b.ReportMetric(us(1)/us(0), fmt.Sprintf("cursor-p%d/p1", deep))
					b.ReportMetric(us(3)/us(2), fmt.Sprintf("index-p%d/p1", deep))
					b.ReportMetric(us(3)/us(1), fmt.Sprintf("index/cursor-p%d", deep))
				})
			}
		})
	}
}

// cursorAt returns the cursor positioned after the first skip resources
// of the list path (a query string without count and cursor): it walks in
// pages of up to 1,000 (a cursor does not depend on count).
func (s *server) cursorAt(tb testing.TB, path string, skip int) string {
	tb.Helper()
	cursor := ""
	for skip > 0 {
		step := min(skip, 1000)
		p, err := decodePage(s.do(tb, "GET", path+"&attributes=id&count="+strconv.Itoa(step)+"&cursor="+cursor, nil))
		if err != nil {
			tb.Fatal(err)
		}
		if len(p.Resources) != step || p.NextCursor == nil {
			tb.Fatalf("walk ended early: %d resources, nextCursor %v", len(p.Resources), p.NextCursor)
		}
		cursor, skip = *p.NextCursor, skip-step
	}
	return cursor
}

// pageIDs GETs a list page and returns its ids.
func (s *server) pageIDs(tb testing.TB, path string) []string {
	tb.Helper()
	return resourceIDs(s.list(tb, path))
}
