package test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// BenchmarkImportWhileServing measures what an IdP sees while an
// administrator imports a file: the mixed load of BenchmarkMixedLoad (10,000
// users, 2 closed-loop clients) runs for as long as a 100,000-row import
// (BenchmarkImportUsers' file, other users) is in progress on the same
// server. On SQLite every write waits for the import's chunk in progress
// (one writer; --import-chunk rows, ~0.1 s at the default), reads do not.
//
//	go test ./test -run '^$' -bench ImportWhileServing -benchtime 1x -count 3
//
// Reported: the import's rows/s and, for the mix, req/s and p50/p99 per
// operation in ms.
func BenchmarkImportWhileServing(b *testing.B) {
	if testing.Short() {
		b.Skip("import benchmark skipped in -short mode")
	}
	const rows = 100_000
	file := filepath.Join(b.TempDir(), "users.csv")
	writeBenchImportRows(b, file, loadUsers, rows) // not the load's users
	for _, kind := range testdb.Kinds() {
		b.Run(string(kind), func(b *testing.B) {
			dsn := testdb.DSN(b, kind)
			ids := seedStore(b, dsn, loadUsers, loadUserAttrs)
			s := startBenchServer(b, kind, dsn)
			clients := newLoadClients(2)
			defer closeLoadClients(clients)
			mixed := mixedRequests(ids)

			id := uploadBenchImport(b, s, file, "groups=create")
			all := loadResult{lat: map[string][]time.Duration{}}
			done := waitBenchImport(b, s, id, func() {
				r := runLoad(b, s, clients, 200, s.Token, mixed, status200)
				all.n += r.n
				all.elapsed += r.elapsed
				for op, l := range r.lat {
					all.lat[op] = append(all.lat[op], l...)
				}
			})
			if done.Status != "succeeded" || done.Created != rows || done.Failed != 0 {
				b.Fatalf("import: %s %q %s", done.Status, done.Error, done.counts())
			}
			for _, l := range all.lat {
				slices.Sort(l)
			}
			job := jobDuration(b, done)
			b.ReportMetric(float64(rows)/job.Seconds(), "import-rows/s")
			b.ReportMetric(all.rate(), "req/s")
			for _, op := range []string{"filter", "get", "list", "patch"} {
				b.ReportMetric(all.pct(op, 50), op+"-p50-ms")
				b.ReportMetric(all.pct(op, 99), op+"-p99-ms")
			}
			b.Logf("%s: import %.0f rows/s over %v; meanwhile %d requests, %s", kind, float64(rows)/job.Seconds(),
				job.Round(time.Millisecond), all.n, fmt.Sprintf("patch p50 %.1f ms p99 %.1f ms", all.pct("patch", 50), all.pct("patch", 99)))
		})
	}
}
