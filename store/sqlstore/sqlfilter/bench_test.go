package sqlfilter

import (
	"testing"
	"time"
)

var benchFilters = []struct{ name, filter string }{
	{"simple", `userName eq "bjensen@example.com"`},
	{"entra-email", `emails[type eq "work" and value eq "bjensen@example.com"]`},
	{"complex", `(emails[type eq "work" and value co "@example.com"] or title pr) and not (` + ent +
		`manager.value eq "2819c223") and meta.lastModified gt "2024-01-01T00:00:00Z" and name.givenName sw "Ba"`},
}

// BenchmarkWhere measures translation alone (parsing is done once).
func BenchmarkWhere(b *testing.B) {
	reg := testRegistry(b)
	for _, d := range []struct {
		name string
		d    Dialect
	}{{"sqlite", SQLite}, {"postgres", Postgres}} {
		for _, f := range benchFilters {
			b.Run(d.name+"/"+f.name, func(b *testing.B) {
				expr := parse(b, f.filter)
				tr := Translator{Dialect: d.d, Reg: reg}
				b.ReportAllocs()
				start := time.Now()
				for b.Loop() {
					if _, _, err := tr.Where(Users, 1, expr); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "filters/s")
			})
		}
	}
}

func BenchmarkOrderBy(b *testing.B) {
	reg := testRegistry(b)
	for _, s := range []string{"userName", "name.familyName", "emails"} {
		b.Run(s, func(b *testing.B) {
			tr := Translator{Dialect: SQLite, Reg: reg}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := tr.OrderBy(Users, s, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
