package scim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/scimd/scimd/bulkcsv"
	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

// BenchmarkExportHandler runs the users export handler in-process (no
// HTTP client, no server process) over a SQLite tenant, for CPU profiles:
//
//	go test ./scim -run '^$' -bench ExportHandler -benchtime 3x -cpuprofile cpu.out
//
// SCIMD_BENCH_USERS sets the tenant size (default 100000). The end-to-end
// figures (rows/s, peak RSS of the server) come from test/export_bench_test.go.
func BenchmarkExportHandler(b *testing.B) {
	if testing.Short() {
		b.Skip("skipped in -short mode")
	}
	n := 100_000
	if v := os.Getenv("SCIMD_BENCH_USERS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	reg, err := schemas.Load("")
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: filepath.Join(b.TempDir(), "bench.db"), Registry: reg})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tenant, err := st.CreateTenant(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]*store.User, 0, 5000)
	for i := 0; i < n; i++ {
		u := &store.User{ID: NewID()}
		if err := u.SetAttrs(benchAttrs(i)); err != nil {
			b.Fatal(err)
		}
		batch = append(batch, u)
		if len(batch) == cap(batch) || i == n-1 {
			if err := st.Tx(ctx, tenant.ID, func(tx store.Tx) error { return tx.InsertUsers(ctx, batch) }); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	a, err := New(Config{}, Deps{Store: st, Registry: reg, HashPassword: func(s string) (string, error) { return s, nil }})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, query string }{{"default", ""}, {"all", "?attributes=*"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/scim/v2/Users/.export"+c.query, nil)
				rctx := reqctx.WithTenant(req.Context(), reqctx.Tenant{ID: tenant.ID, Name: tenant.Name})
				rctx = reqctx.WithScopes(rctx, AllScopes)
				req = req.WithContext(rctx)
				rec := &discardWriter{h: http.Header{}}
				ec := a.echo.NewContext(req, rec)
				if err := a.exportUsers(ec); err != nil {
					b.Fatal(err)
				}
				if rec.status != http.StatusOK {
					b.Fatalf("status %d", rec.status)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func benchAttrs(i int) map[string]any {
	return map[string]any{
		"userName":            fmt.Sprintf("user%07d@example.com", i),
		"displayName":         fmt.Sprintf("User %07d", i),
		"name":                map[string]any{"givenName": "Given" + strconv.Itoa(i), "familyName": "Family" + strconv.Itoa(i)},
		"active":              i%10 != 0,
		"userType":            "employee",
		"title":               "Engineer",
		"emails":              []any{map[string]any{"value": fmt.Sprintf("user%07d@example.com", i), "type": "work", "primary": true}, map[string]any{"value": fmt.Sprintf("u%07d@home.example", i), "type": "home"}},
		"phoneNumbers":        []any{map[string]any{"value": "+49 30 " + strconv.Itoa(1000000+i), "type": "work"}},
		schemas.EnterpriseURN: map[string]any{"employeeNumber": strconv.Itoa(i), "department": "R&D", "costCenter": "CC" + strconv.Itoa(i%100)},
		schemas.SAPUserURN:    map[string]any{"validFrom": "20240101000000Z", "mailVerified": true},
		schemas.SAPCustomURN: map[string]any{"attributes": []any{
			map[string]any{"name": "customAttribute1", "value": "a" + strconv.Itoa(i)},
			map[string]any{"name": "customAttribute2", "value": "=formula"},
			map[string]any{"name": "customAttribute3", "value": "c"},
		}},
	}
}

// discardWriter is a ResponseWriter that counts and drops the body.
type discardWriter struct {
	h      http.Header
	status int
	n      int64
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }
func (d *discardWriter) Flush()                      {}
func (d *discardWriter) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }

// BenchmarkExportRow is the per-user CPU cost of the export's own work
// (decode the stored attributes, format one CSV row), without the
// database: the part of an export this package controls.
func BenchmarkExportRow(b *testing.B) {
	reg, err := schemas.Load("")
	if err != nil {
		b.Fatal(err)
	}
	var u store.User
	if err := u.SetAttrs(benchAttrs(12345)); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cols func() ([]bulkcsv.Column, error)
	}{
		{"default", func() ([]bulkcsv.Column, error) { return bulkcsv.ExportColumns(reg, nil) }},
		{"all", func() ([]bulkcsv.Column, error) { return bulkcsv.Columns(reg), nil }},
	} {
		cols, err := c.cols()
		if err != nil {
			b.Fatal(err)
		}
		for _, dec := range []string{"attrDecoder", "store.DecodeAttrs"} {
			b.Run(c.name+"/"+dec, func(b *testing.B) {
				w, err := bulkcsv.NewWriter(io.Discard, cols, bulkcsv.WriterOptions{})
				if err != nil {
					b.Fatal(err)
				}
				d := newAttrDecoder(cols)
				b.ReportAllocs()
				for b.Loop() {
					var m map[string]any
					if dec == "attrDecoder" {
						m, err = d.decode(u.Attrs)
					} else {
						m, err = store.DecodeAttrs(u.Attrs)
					}
					if err != nil {
						b.Fatal(err)
					}
					m["id"] = "01a1fcd5-ff50-7a89-b28d-f49221bb8015"
					if _, err := w.Write(m, []string{"Engineering", "Sales"}); err != nil {
						b.Fatal(err)
					}
				}
				_ = w.Flush()
			})
		}
	}
}
