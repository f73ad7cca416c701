package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// BenchmarkBulkHTTP sends /Bulk requests of 1,000 POST /Users operations
// to a real server (one per database kind) and reports users created per
// second and milliseconds per request. Each request creates fresh users
// (shaped like the engine benchmark's: name, e-mails, enterprise
// extension), so the table grows by 1,000 users per iteration; bodies are
// built before the timer runs. Run e.g. with -benchtime=20x.
func BenchmarkBulkHTTP(b *testing.B) {
	const n = 1000
	for _, kind := range testdb.Kinds() {
		b.Run(string(kind), func(b *testing.B) {
			s := startServer(b, serverOpts{kind: kind})
			bodies := make([][]byte, b.N)
			for it := range bodies {
				ops := make([]map[string]any, n)
				for i := range ops {
					k := it*n + i
					mails := []any{map[string]any{"value": fmt.Sprintf("User.%d@Example.com", k), "type": "work", "primary": true}}
					ops[i] = bulkOp("POST", "/Users", fmt.Sprint(i), map[string]any{
						"schemas":     []string{userSchema, entSchema},
						"userName":    fmt.Sprintf("user.%d@example.com", k),
						"externalId":  fmt.Sprintf("ext-%d", k),
						"displayName": fmt.Sprintf("User Number %d", k),
						"active":      k%10 != 0,
						"name":        map[string]any{"givenName": "User", "familyName": fmt.Sprintf("Number %d", k)},
						"emails":      mails,
						entSchema:     map[string]any{"employeeNumber": fmt.Sprint(100000 + k), "department": "Sales"},
					})
				}
				raw, err := json.Marshal(bulkBody(0, ops...))
				if err != nil {
					b.Fatal(err)
				}
				bodies[it] = raw
			}
			b.ResetTimer()
			var busy time.Duration
			for it := 0; it < b.N; it++ {
				req, err := http.NewRequest("POST", s.URL+"/scim/v2/Bulk", bytes.NewReader(bodies[it]))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+s.Token)
				req.Header.Set("Content-Type", "application/scim+json")
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				busy += time.Since(start)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d %v: %.300s", resp.StatusCode, err, raw)
				}
				b.StopTimer()
				var br struct{ Operations []struct{ Status string } }
				if err := json.Unmarshal(raw, &br); err != nil || len(br.Operations) != n {
					b.Fatalf("bad response: %v %.300s", err, raw)
				}
				for i, op := range br.Operations {
					if op.Status != "201" {
						b.Fatalf("operation %d: %s", i, op.Status)
					}
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/busy.Seconds(), "rows/s")
			b.ReportMetric(busy.Seconds()*1000/float64(b.N), "ms/request")
		})
	}
}
