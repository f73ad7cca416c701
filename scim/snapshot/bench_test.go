package snapshot_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/scim/snapshot"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

// BenchmarkSnapshot runs export and import in process (no HTTP), per
// database kind and chunk size, for profiling the engine side:
//
//	go test ./scim/snapshot/ -run '^$' -bench Snapshot -benchtime 1x -cpuprofile /tmp/snap.pprof
//
// The end-to-end figures (server RSS, HTTP) are BenchmarkTenantSnapshot
// in package test.
func BenchmarkSnapshot(b *testing.B) {
	const n = 100_000
	for _, kind := range testdb.Kinds() {
		for _, chunk := range []int{1000} {
			b.Run(fmt.Sprintf("%s/users=%d/chunk=%d", kind, n, chunk), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					benchSnapshotOnce(b, kind, n, chunk)
				}
			})
		}
	}
}

func benchSnapshotOnce(b *testing.B, kind testdb.Kind, n, chunk int) {
	ctx := context.Background()
	reg, err := schemas.Load("")
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: testdb.DSN(b, kind), Registry: reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	svc := &resource.Service{Reg: reg, NewID: func() string { return uuid.Must(uuid.NewV7()).String() }, Now: now,
		Hash: func(string) (string, error) { return "", fmt.Errorf("no hashing") }}
	ta, _ := st.CreateTenant(ctx, "a")
	tb, _ := st.CreateTenant(ctx, "b")
	const hash = "$argon2id$v=19$m=19456,t=2,p=1$dcXoi9wN/u05uSbVnfSQVQ$WhuozhXZtH3eggMxA7twavbtbDy6tHKe2cN0y0so2ng"
	err = st.Tx(ctx, ta.ID, func(tx store.Tx) error {
		batch := make([]*store.User, 0, 10_000)
		for lo := 0; lo < n; lo += cap(batch) {
			batch = batch[:0]
			for i := lo; i < min(lo+cap(batch), n); i++ {
				name := "user" + strconv.Itoa(i) + "@example.com"
				u, err := svc.NewUserWithHash(map[string]any{
					"userName": name, "externalId": "ext-" + strconv.Itoa(i), "displayName": "User " + strconv.Itoa(i),
					"name":   map[string]any{"givenName": "Given", "familyName": "Family" + strconv.Itoa(i)},
					"active": true, "title": "Engineer",
					"emails":              []any{map[string]any{"value": name, "type": "work", "primary": true}},
					schemas.EnterpriseURN: map[string]any{"employeeNumber": strconv.Itoa(i), "department": "R&D"},
				}, "", hash)
				if err != nil {
					return err
				}
				batch = append(batch, u)
			}
			if err := tx.InsertUsers(ctx, batch); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), "snap.json")
	f, _ := os.Create(file)
	w := bufio.NewWriterSize(f, 256<<10)
	b.ResetTimer()
	start := time.Now()
	x := &snapshot.Exporter{Store: st, Reg: reg, Now: now}
	if _, err := x.Export(ctx, ta, w, w.Flush); err != nil {
		b.Fatal(err)
	}
	f.Close()
	exp := time.Since(start)

	im := &snapshot.Importer{Engine: &bulk.Engine{Store: st, Svc: svc, Reg: reg, Log: slog.New(slog.DiscardHandler)}, ChunkSize: chunk}
	in, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	start = time.Now()
	res, err := im.Import(ctx, tb.ID, in, snapshot.ImportOptions{Mode: snapshot.ModeFail})
	if err != nil {
		b.Fatal(err)
	}
	imp := time.Since(start)
	b.StopTimer()
	if res.Counts.Created != int64(n) {
		b.Fatalf("created %d", res.Counts.Created)
	}
	b.ReportMetric(float64(n)/exp.Seconds(), "export-rec/s")
	b.ReportMetric(float64(n)/imp.Seconds(), "import-rec/s")
}
