package test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	scimfilter "github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

// The cost of a userName eq look-up must not grow with the tenant.
//
//	go test ./test -run '^$' -bench UserNameLookup -benchtime 20000x -count 3
//	SCIMD_BENCH_LARGE=1 go test ./test -run '^$' -bench UserNameLookup -benchtime 20000x -timeout 1h
//
// BenchmarkUserNameLookup seeds two tenants in two databases, 10,000 users
// and 100,000 (1,000,000 with SCIMD_BENCH_LARGE=1), straight through the
// store (one transaction, not timed). Each iteration looks up one random
// existing userName in each of them, alternately, so that both sizes see
// the same machine load: "store" calls store.ListUsers with the parsed
// filter (no HTTP), "http" sends GET /Users?filter=userName eq "…" to a
// server per database, one request at a time over a keep-alive
// connection. Reported: µs per look-up at each size and their ratio
// (large/small; 1.0 means the cost does not grow).

func lookupSizes() (small, large int) {
	if os.Getenv("SCIMD_BENCH_LARGE") != "" {
		return 10_000, 1_000_000
	}
	return 10_000, 100_000
}

func BenchmarkUserNameLookup(b *testing.B) {
	small, large := lookupSizes()
	sizes := []int{small, large}
	for _, kind := range testdb.Kinds() {
		b.Run(string(kind), func(b *testing.B) {
			dsns := make([]string, len(sizes))
			for i, n := range sizes {
				dsns[i] = testdb.DSN(b, kind)
				seedStore(b, dsns[i], n, lookupUserAttrs)
			}
			name := fmt.Sprintf("%dvs%d", small, large)
			b.Run(name+"/store", func(b *testing.B) {
				ctx := context.Background()
				var stores []*sqlstore.Store
				var tids []int64
				for _, dsn := range dsns {
					st, tid := openBenchStore(b, dsn)
					defer st.Close()
					stores, tids = append(stores, st), append(tids, tid)
				}
				lookup := func(i int, r *rand.Rand) {
					f, err := scimfilter.Parse(`userName eq "` + loadUserName(r.IntN(sizes[i])) + `"`)
					if err != nil {
						b.Fatal(err)
					}
					us, total, err := stores[i].ListUsers(ctx, tids[i], store.Query{Filter: f, Count: 100})
					if err != nil || total != 1 || len(us) != 1 {
						b.Fatalf("look-up in %d users: %d results, %v", sizes[i], total, err)
					}
				}
				reportLookups(b, sizes, lookup)
			})
			b.Run(name+"/http", func(b *testing.B) {
				var servers []*server
				for _, dsn := range dsns {
					servers = append(servers, startBenchServer(b, kind, dsn))
				}
				hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				defer hc.CloseIdleConnections()
				lookup := func(i int, r *rand.Rand) {
					s := servers[i]
					req, _ := http.NewRequest("GET", s.URL+userNameFilterURL(loadUserName(r.IntN(sizes[i]))), nil)
					req.Header.Set("Authorization", "Bearer "+s.Token)
					resp, err := hc.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("look-up in %d users: %d %s", sizes[i], resp.StatusCode, raw)
					}
				}
				reportLookups(b, sizes, lookup)
			})
		})
	}
}

// reportLookups runs b.N look-ups per size, alternating the sizes, after
// a short warm-up, and reports µs per look-up and the ratio.
func reportLookups(b *testing.B, sizes []int, lookup func(i int, r *rand.Rand)) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		for i := range sizes {
			lookup(i, r)
		}
	}
	spent := make([]time.Duration, len(sizes))
	b.ResetTimer()
	for range b.N {
		for i := range sizes {
			t0 := time.Now()
			lookup(i, r)
			spent[i] += time.Since(t0)
		}
	}
	b.StopTimer()
	us := func(i int) float64 { return float64(spent[i].Nanoseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(us(0), fmt.Sprintf("us/lookup@%d", sizes[0]))
	b.ReportMetric(us(1), fmt.Sprintf("us/lookup@%d", sizes[1]))
	b.ReportMetric(us(1)/us(0), "ratio")
}

// lookupUserAttrs is a lean user: the look-up benchmark seeds up to a
// million of them.
func lookupUserAttrs(i int) map[string]any {
	return map[string]any{
		"userName":    loadUserName(i),
		"displayName": fmt.Sprintf("User %07d", i),
		"active":      true,
		"emails":      []any{map[string]any{"value": loadUserName(i), "type": "work", "primary": true}},
	}
}
