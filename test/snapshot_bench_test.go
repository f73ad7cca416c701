package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/password"
	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/store"
)

// BenchmarkTenantSnapshot: a tenant of 100,000 users (each with an
// argon2id password hash and the attributes of loadUserAttrs) and 100
// groups of 1,000 members each is exported with GET /scim/v2/.export
// into a file, and the file imported with POST /scim/v2/.import into an
// empty tenant of the same server, on each database kind:
//
//	go test ./test/ -run '^$' -bench TenantSnapshot -benchtime 1x
//	SCIMD_TEST_POSTGRES_DSN=… go test ./test/ -run '^$' -bench TenantSnapshot -benchtime 1x
//
// SCIMD_BENCH_SNAPSHOT_USERS=<n> changes the number of users (e.g. to
// see that peak RSS does not grow with the tenant).
//
// Metrics: export and import records/s (users + groups per second of the
// request), the server's peak RSS (VmHWM, reset before each request)
// during each, and the snapshot size. The import includes its check pass
// and the upload (client and server share the machine). The restored
// tenant's export must equal the source's but for "tenant" and
// "exportedAt".
func BenchmarkTenantSnapshot(b *testing.B) {
	if testing.Short() {
		b.Skip("snapshot benchmark skipped in -short mode")
	}
	const groups, perGroup = 100, 1_000
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("SCIMD_BENCH_SNAPSHOT_USERS")); err == nil && v >= perGroup {
		n = v
	}
	for _, kind := range testdb.Kinds() {
		b.Run(fmt.Sprintf("%s/users=%d", kind, n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				dsn := testdb.DSN(b, kind)
				seedSnapshotBench(b, dsn, n, groups, perGroup)
				s := startBenchServer(b, kind, dsn)
				records := float64(n + groups)
				dir := b.TempDir()

				idle := s.peakRSS()
				s.resetPeakRSS()
				fileA := filepath.Join(dir, "a.json")
				exp := s.benchExportTo(b, s.Token, fileA)
				expRSS := s.peakRSS()

				tokB := s.newTenant(b, "restored")
				s.resetPeakRSS()
				imp := s.benchImportFrom(b, tokB, fileA)
				impRSS := s.peakRSS()

				fileB := filepath.Join(dir, "b.json")
				s.benchExportTo(b, tokB, fileB)
				if err := sameSnapshotBody(fileA, fileB); err != nil {
					b.Errorf("restored tenant's snapshot differs: %v", err)
				}
				st, _ := os.Stat(fileA)
				b.ReportMetric(records/exp.Seconds(), "export-rec/s")
				b.ReportMetric(records/imp.Seconds(), "import-rec/s")
				b.ReportMetric(exp.Seconds(), "export-s")
				b.ReportMetric(imp.Seconds(), "import-s")
				b.ReportMetric(float64(expRSS)/(1<<20), "export-peakRSS-MB")
				b.ReportMetric(float64(impRSS)/(1<<20), "import-peakRSS-MB")
				b.ReportMetric(float64(idle)/(1<<20), "start-peakRSS-MB")
				b.ReportMetric(float64(st.Size())/(1<<20), "snapshot-MB")
				s.stop()
			}
		})
	}
}

// seedSnapshotBench fills tenant "default" of dsn before any server runs.
func seedSnapshotBench(tb testing.TB, dsn string, n, groups, perGroup int) {
	tb.Helper()
	ctx := context.Background()
	st, tid := openBenchStore(tb, dsn)
	defer st.Close()
	svc := benchService(tb)
	hash, err := password.Hasher{P: password.Default}.Hash(snapPW)
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	ids := make([]string, 0, n)
	err = st.Tx(ctx, tid, func(tx store.Tx) error {
		batch := make([]*store.User, 0, 10_000)
		for lo := 0; lo < n; lo += cap(batch) {
			batch = batch[:0]
			for i := lo; i < min(lo+cap(batch), n); i++ {
				u, err := svc.NewUserWithHash(loadUserAttrs(i), "", hash)
				if err != nil {
					return err
				}
				batch = append(batch, u)
				ids = append(ids, u.ID)
			}
			if err := tx.InsertUsers(ctx, batch); err != nil {
				return err
			}
		}
		for gi := 0; gi < groups; gi++ {
			g, _, err := svc.NewGroup(map[string]any{"displayName": fmt.Sprintf("Group %03d", gi)})
			if err != nil {
				return err
			}
			if err := tx.InsertGroups(ctx, []*store.Group{g}); err != nil {
				return err
			}
			ms := make([]store.Member, 0, perGroup)
			for k := 0; k < perGroup; k++ {
				ms = append(ms, store.Member{GroupID: g.ID, Value: ids[(gi*perGroup+k)%n], Type: store.MemberUser})
			}
			if _, err := tx.AddMembers(ctx, ms); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
	tb.Logf("seeded %d users and %d groups in %v", n, groups, time.Since(start).Round(time.Millisecond))
}

// benchExportTo streams GET /.export of token's tenant into file and
// returns the request's duration.
func (s *server) benchExportTo(tb testing.TB, token, file string) time.Duration {
	tb.Helper()
	f, err := os.Create(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	req, _ := http.NewRequest("GET", s.URL+"/scim/v2/.export", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		tb.Fatalf("export: %d %s", resp.StatusCode, raw)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		tb.Fatal(err)
	}
	return time.Since(start)
}

// benchImportFrom POSTs file to /.import of token's tenant and returns the
// request's duration.
func (s *server) benchImportFrom(tb testing.TB, token, file string) time.Duration {
	tb.Helper()
	f, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	req, _ := http.NewRequest("POST", s.URL+"/scim/v2/.import?mode=fail", f)
	req.ContentLength = st.Size()
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != http.StatusNoContent {
		raw, _ := io.ReadAll(resp.Body)
		tb.Fatalf("import: %d %s\n%s", resp.StatusCode, raw, s.logTail(20))
	}
	r := s.doToken(tb, token, "GET", "/scim/v2/Jobs/"+resp.Header.Get("X-Scimd-Job"), nil)
	var j map[string]any
	_ = json.Unmarshal(r.Body, &j)
	if j["failed"] != float64(0) || j["status"] != "succeeded" {
		tb.Errorf("import job %s", r.Body)
	}
	return d
}

// sameSnapshotBody compares two snapshot files after their header line
// (which holds "tenant" and "exportedAt").
func sameSnapshotBody(a, b string) error {
	fa, err := os.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	ra, rb := bufio.NewReaderSize(fa, 1<<20), bufio.NewReaderSize(fb, 1<<20)
	for line := 1; ; line++ {
		la, ea := ra.ReadBytes('\n')
		lb, eb := rb.ReadBytes('\n')
		if line > 1 && !bytes.Equal(la, lb) {
			return fmt.Errorf("line %d differs:\n%.300s\n%.300s", line, la, lb)
		}
		if ea != nil || eb != nil {
			if ea != eb {
				return fmt.Errorf("lengths differ at line %d", line)
			}
			return nil
		}
	}
}
