package sqlstore

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/scim2/filter-parser/v2"
	"gorm.io/gorm"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore/sqlfilter"
	"github.com/scimd/scimd/store/storetest"
)

// openDSN opens a store on dsn, closed at cleanup.
func openDSN(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{DSN: dsn})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newJobID() string { return uuid.Must(uuid.NewV7()).String() }

// TestClaimJobTwoStores runs claimers on two stores opened on one
// database, as two server processes: every job is claimed exactly once.
func TestClaimJobTwoStores(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			dsn := testdb.DSN(t, kind)
			s1, s2 := openDSN(t, dsn), openDSN(t, dsn)
			ctx := t.Context()
			tn, err := s1.CreateTenant(ctx, "a")
			if err != nil {
				t.Fatal(err)
			}
			const jobs = 120
			base := time.Now().Add(-time.Hour)
			for i := range jobs {
				j := &store.Job{ID: newJobID(), TenantID: tn.ID, Type: store.JobUsersImport,
					CreatedAt: base.Add(time.Duration(i%7) * time.Second)}
				if err := s1.CreateJob(ctx, j, strings.NewReader("userName\nu\n")); err != nil {
					t.Fatal(err)
				}
			}
			claimed := storetest.ClaimAll(t, ctx, []store.JobStore{s1, s2}, 6)
			if len(claimed) != jobs {
				t.Fatalf("%d jobs claimed, want %d", len(claimed), jobs)
			}
			per := map[string]int{}
			for _, w := range claimed {
				per[w[:len("store0")]]++
			}
			t.Logf("claims per store: %v", per)
		})
	}
}

// genReader yields n pseudo-random bytes, hashing what it yields.
type genReader struct {
	r    *rand.ChaCha8
	left int64
	h    hash.Hash
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n, _ := g.r.Read(p)
	g.h.Write(p[:n])
	g.left -= int64(n)
	return n, nil
}

// heapPeak samples the live heap until stop is closed and returns the
// highest value seen.
func heapPeak(stop <-chan struct{}) func() uint64 {
	var peak atomic.Uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	return func() uint64 { wg.Wait(); return peak.Load() }
}

// TestJobFileMemory streams a 256 MiB upload in and out: the heap stays
// at a few chunks, far below the file size.
func TestJobFileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("256 MiB round trip")
	}
	const size = 256 << 20
	const budget = 48 << 20
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			s := openDSN(t, testdb.DSN(t, kind))
			ctx := t.Context()
			tn, err := s.CreateTenant(ctx, "a")
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc

			in := &genReader{r: rand.NewChaCha8([32]byte{1}), left: size, h: sha256.New()}
			j := &store.Job{ID: newJobID(), TenantID: tn.ID, Type: store.JobUsersImport}
			stop := make(chan struct{})
			peak := heapPeak(stop)
			start := time.Now()
			err = s.CreateJob(ctx, j, in)
			close(stop)
			if err != nil {
				t.Fatal(err)
			}
			up := time.Since(start)
			upPeak := peak()
			if upPeak > base+budget {
				t.Errorf("upload: heap peaked at %d MiB over a %d MiB base", (upPeak-base)>>20, base>>20)
			}

			r, err := s.OpenJobFile(ctx, tn.ID, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			out := sha256.New()
			stop = make(chan struct{})
			peak = heapPeak(stop)
			start = time.Now()
			n, err := io.Copy(out, r)
			close(stop)
			if err != nil {
				t.Fatal(err)
			}
			down := time.Since(start)
			downPeak := peak()
			if downPeak > base+budget {
				t.Errorf("download: heap peaked at %d MiB over a %d MiB base", (downPeak-base)>>20, base>>20)
			}
			if n != size || string(out.Sum(nil)) != string(in.h.Sum(nil)) {
				t.Fatalf("read back %d bytes, different from the %d uploaded", n, size)
			}
			t.Logf("%d MiB: upload %v (%.0f MiB/s, heap peak +%d MiB), download %v (%.0f MiB/s, heap peak +%d MiB)",
				size>>20, up.Round(time.Millisecond), float64(size>>20)/up.Seconds(), int64(upPeak-base)>>20,
				down.Round(time.Millisecond), float64(size>>20)/down.Seconds(), int64(downPeak-base)>>20)

			start = time.Now()
			c, err := s.ClaimJob(ctx, "w", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			c.Status = store.JobSucceeded
			if err := s.FinishJob(ctx, &c); err != nil {
				t.Fatal(err)
			}
			t.Logf("finish (deletes the file): %v", time.Since(start).Round(time.Millisecond))
			if got := countRows(t, s, "job_files", tn.ID); got != 0 {
				t.Errorf("%d chunks left after FinishJob", got)
			}
		})
	}
}

// countRows counts a tenant's rows of a table.
func countRows(t testing.TB, s *Store, table string, tenant int64) int64 {
	t.Helper()
	var n int64
	if err := queryRow(s.writer, "SELECT COUNT(*) FROM "+table+" WHERE tenant_id = ?", []any{tenant}, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestJobRowsGone checks at the table level that DeleteTenant, FinishJob,
// RequestCancel, a failed upload and PurgeJobs leave no job rows behind.
func TestJobRowsGone(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			s := openDSN(t, testdb.DSN(t, kind))
			ctx := t.Context()
			a, _ := s.CreateTenant(ctx, "a")
			b, _ := s.CreateTenant(ctx, "b")
			mk := func(tenant int64) *store.Job {
				j := &store.Job{ID: newJobID(), TenantID: tenant, Type: store.JobUsersImport}
				if err := s.CreateJob(ctx, j, io.LimitReader(rand.NewChaCha8([32]byte{2}), 3<<20+5)); err != nil {
					t.Fatal(err)
				}
				err := s.Tx(ctx, tenant, func(tx store.Tx) error {
					return tx.AppendReport(ctx, j.ID, []store.ReportLine{{Row: 1, Status: "created"}, {Row: 2, Status: "failed"}})
				})
				if err != nil {
					t.Fatal(err)
				}
				return j
			}
			mk(a.ID)
			mk(b.ID)
			if err := s.DeleteTenant(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"jobs", "job_files", "job_report"} {
				if n := countRows(t, s, table, b.ID); n != 0 {
					t.Errorf("DeleteTenant left %d rows in %s", n, table)
				}
			}
			if n := countRows(t, s, "job_files", a.ID); n != 4 {
				t.Errorf("tenant a has %d chunks, want 4", n)
			}

			// A cancelled queued job loses its file at once.
			if _, err := s.RequestCancel(ctx, a.ID, mustOneJob(t, s, a.ID)); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, s, "job_files", a.ID); n != 0 {
				t.Errorf("RequestCancel left %d chunks", n)
			}

			// An upload cut short leaves nothing.
			bad := &store.Job{ID: newJobID(), TenantID: a.ID, Type: store.JobUsersImport}
			err := s.CreateJob(ctx, bad, io.MultiReader(io.LimitReader(rand.NewChaCha8([32]byte{3}), 2<<20+1), errReader{}))
			if err == nil {
				t.Fatal("CreateJob with a failing reader succeeded")
			}
			if n := countRows(t, s, "job_files", a.ID); n != 0 {
				t.Errorf("a failed upload left %d chunks", n)
			}

			// Leftovers of a crash: a stale 'uploading' job with chunks, and
			// chunks of a finished job whose deletion was interrupted.
			crashed := &store.Job{ID: newJobID(), TenantID: a.ID, Type: store.JobUsersImport,
				CreatedAt: time.Now().Add(-48 * time.Hour)}
			if err := s.insertJob(ctx, crashed, jobUploading); err != nil {
				t.Fatal(err)
			}
			if _, err := s.writeFile(ctx, a.ID, crashed.ID, strings.NewReader("userName\n")); err != nil {
				t.Fatal(err)
			}
			fin := mk(a.ID)
			c, err := s.ClaimJob(ctx, "w", time.Hour)
			if err != nil || c.ID != fin.ID {
				t.Fatalf("claim: %v %s", err, c.ID)
			}
			c.Status = store.JobSucceeded
			if err := s.FinishJob(ctx, &c); err != nil {
				t.Fatal(err)
			}
			if _, err := s.writeFile(ctx, a.ID, fin.ID, strings.NewReader("leftover")); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, s, "job_files", a.ID); n != 2 {
				t.Fatalf("%d leftover chunks, want 2", n)
			}
			far := time.Now().Add(-10 * 365 * 24 * time.Hour)
			if err := s.PurgeJobs(ctx, far, far); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, s, "job_files", a.ID); n != 0 {
				t.Errorf("PurgeJobs left %d chunks", n)
			}
			if n := countRows(t, s, "jobs", a.ID); n != 2 {
				t.Errorf("PurgeJobs left %d jobs, want the cancelled and the finished one", n)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("connection reset") }

// mustOneJob returns the id of the tenant's only job.
func mustOneJob(t testing.TB, s *Store, tenant int64) string {
	t.Helper()
	jobs, _, err := s.ListJobs(t.Context(), tenant, nil, 0, -1)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("ListJobs: %d jobs, %v", len(jobs), err)
	}
	return jobs[0].ID
}

// explainSQLite returns SQLite's plan lines for a query on db.
func explainSQLite(t testing.TB, db *gorm.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Raw("EXPLAIN QUERY PLAN "+query, args...).Rows()
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "; ")
}

// TestJobQueriesUseIndexes checks the SQLite plans of the cross-tenant job
// queries.
func TestJobQueriesUseIndexes(t *testing.T) {
	s := openDSN(t, testdb.DSN(t, testdb.SQLite))
	for _, c := range []struct{ query, want string }{
		{claimSQLite, "jobs_claim"},
		{"SELECT tenant_id, id FROM jobs WHERE has_report AND finished_at < ? LIMIT ?", "jobs_reports"},
		{"SELECT tenant_id, id FROM jobs WHERE status IN " + finalStatuses + " AND created_at < ? AND finished_at < ? LIMIT ?", "jobs_claim"},
		{"SELECT " + jobCols + " FROM jobs WHERE tenant_id = ? AND " + visibleJob + " ORDER BY created_at DESC, id DESC LIMIT 10", "jobs_tenant_created"},
	} {
		args := make([]any, strings.Count(c.query, "?"))
		for i := range args {
			args[i] = int64(1)
		}
		plan := explainSQLite(t, s.writer, c.query, args...)
		if !strings.Contains(plan, c.want) || strings.Contains(plan, "SCAN jobs") && !strings.Contains(plan, "USING") {
			t.Errorf("%s\nplan: %s\nwant index %s", c.query, plan, c.want)
		}
	}
}

// TestOptimize checks that Optimize gives SQLite the statistics that make
// an e-mail look-up sorted by userName use the e-mail index instead of
// walking the tenant in userName order, on the reader pool; that Open
// analyzes a database holding data and leaves an empty one alone.
func TestOptimize(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			dsn := testdb.DSN(t, kind)
			s := openDSN(t, dsn)
			ctx := t.Context()
			if kind == testdb.Postgres {
				if err := s.Optimize(ctx); err != nil {
					t.Fatal(err)
				}
				return
			}
			if hasStats(t, s) {
				t.Errorf("Open of an empty database wrote statistics")
			}
			tn, _ := s.CreateTenant(ctx, "a")
			seedUsers(t, s, tn.ID, 3000)
			expr, err := filter.ParseFilter([]byte(`emails.value eq "user42@example.com"`))
			if err != nil {
				t.Fatal(err)
			}
			q := store.Query{Filter: expr, SortBy: "userName", Count: 100}
			where, wargs, err := s.where(sqlfilter.Users, tn.ID, q.Filter)
			if err != nil {
				t.Fatal(err)
			}
			query, args, err := s.pageSQL(sqlfilter.Users, tn.ID, q, where, wargs)
			if err != nil {
				t.Fatal(err)
			}
			const lookup = "SEARCH ue USING PRIMARY KEY (tenant_id=? AND value_ci=?)"
			t.Logf("without statistics: %s", explainReal(t, s, query, args...))
			start := time.Now()
			if err := s.Optimize(ctx); err != nil {
				t.Fatal(err)
			}
			t.Logf("Optimize: %v", time.Since(start))
			if plan := explainReal(t, s, query, args...); !strings.Contains(plan, lookup) {
				t.Errorf("after Optimize the reader plan is %s, want %s", plan, lookup)
			}

			// Open of a database with data analyzes it (fresh statistics).
			if err := s.writer.Exec("DELETE FROM sqlite_stat1").Error; err != nil {
				t.Fatal(err)
			}
			start = time.Now()
			s2 := openDSN(t, dsn)
			t.Logf("Open with data: %v", time.Since(start))
			if !hasStats(t, s2) {
				t.Errorf("Open of a database with data wrote no statistics")
			}
			if plan := explainReal(t, s2, query, args...); !strings.Contains(plan, lookup) {
				t.Errorf("after reopening the reader plan is %s, want %s", plan, lookup)
			}
		})
	}
}

// explainReal runs a query on a reader connection first (so that it
// loads the current schema and statistics), then explains it there.
func explainReal(t testing.TB, s *Store, query string, args ...any) string {
	t.Helper()
	var plan string
	err := s.reader.Connection(func(c *gorm.DB) error {
		rows, err := c.Raw(query, args...).Rows()
		if err != nil {
			return err
		}
		rows.Close()
		plan = explainSQLite(t, c, query, args...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func hasStats(t testing.TB, s *Store) bool {
	t.Helper()
	var n int64
	err := queryRow(s.writer, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'", nil, &n)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		return false
	}
	if err := queryRow(s.writer, "SELECT COUNT(*) FROM sqlite_stat1", nil, &n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// seedUsers inserts n users with one e-mail each.
func seedUsers(t testing.TB, s *Store, tenant int64, n int) {
	t.Helper()
	users := make([]*store.User, n)
	for i := range users {
		u := &store.User{ID: newJobID()}
		err := u.SetAttrs(map[string]any{"userName": fmt.Sprintf("user%d", i),
			"emails": []any{map[string]any{"value": fmt.Sprintf("user%d@example.com", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		users[i] = u
	}
	err := s.Tx(t.Context(), tenant, func(tx store.Tx) error { return tx.InsertUsers(t.Context(), users) })
	if err != nil {
		t.Fatal(err)
	}
}
