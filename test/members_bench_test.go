package test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/store"
)

// Membership PATCH on a large group, against the real server.
//
//	go test ./test -run '^$' -bench GroupMembers -benchtime 2000x -count 3
//
// BenchmarkGroupMembers seeds 100,000 users and one group holding all of
// them straight into the database (not timed), then, from one client,
// adds one more user with PATCH {"op":"add","path":"members","value":
// [{"value":id}]} and removes it again with {"op":"remove","path":
// "members[value eq \"id\"]"}. b.N is the number of add/remove pairs; the
// group stays at 100,000 ± 1 members. Reported: mean and p99 latency of
// each operation in ms (target: under 5 ms) and the server's CPU time per
// operation.

const groupBenchMembers = 100_000

func BenchmarkGroupMembers(b *testing.B) {
	for _, kind := range testdb.Kinds() {
		b.Run(string(kind), func(b *testing.B) {
			dsn := testdb.DSN(b, kind)
			const spare = 1000 // users outside the group, added and removed
			ids := seedStore(b, dsn, groupBenchMembers+spare, loadUserAttrs)
			groupID := seedGroup(b, dsn, "big", ids[:groupBenchMembers])
			s := startBenchServer(b, kind, dsn)
			outside := ids[groupBenchMembers:]
			path := "/scim/v2/Groups/" + groupID
			b.Run(fmt.Sprintf("members=%d", groupBenchMembers), func(b *testing.B) {
				var add, rem []time.Duration
				cpu0 := s.cpuTime()
				for i := range b.N {
					id := outside[i%len(outside)]
					add = append(add, s.timedPatch(b, path, `{"op":"add","path":"members","value":[{"value":"`+id+`"}]}`))
					rem = append(rem, s.timedPatch(b, path, `{"op":"remove","path":"members[value eq \"`+id+`\"]"}`))
				}
				cpu := s.cpuTime() - cpu0
				for _, m := range []struct {
					name string
					l    []time.Duration
				}{{"add", add}, {"remove", rem}} {
					var sum time.Duration
					for _, d := range m.l {
						sum += d
					}
					slices.Sort(m.l)
					b.ReportMetric(float64(sum.Microseconds())/1000/float64(len(m.l)), m.name+"-ms")
					b.ReportMetric(float64(m.l[min(len(m.l)-1, len(m.l)*99/100)].Microseconds())/1000, m.name+"-p99-ms")
				}
				b.ReportMetric(float64(cpu.Microseconds())/float64(2*b.N), "cpu-us/op")
			})
			// The group still has exactly its seeded members.
			r := s.must(b, http.StatusOK, "GET", "/scim/v2/Groups"+q("filter", `displayName eq "big"`, "excludedAttributes", "members"), nil)
			if !strings.Contains(string(r.Body), `"id":"`+groupID+`"`) {
				b.Fatalf("group lost: %s", r.Body)
			}
		})
	}
}

// timedPatch sends one PatchOp with op and returns its latency; any status
// but 200 or 204 fails b.
func (s *server) timedPatch(b *testing.B, path, op string) time.Duration {
	body := `{"schemas":["` + patchSchema + `"],"Operations":[` + op + `]}`
	req, err := http.NewRequest("PATCH", s.URL+path, strings.NewReader(body))
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
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		b.Fatalf("PATCH %s %s: %d %s", path, op, resp.StatusCode, raw)
	}
	return d
}

// seedGroup inserts a group with the given user members straight into the
// database (one transaction, 10,000 members per AddMembers call) and
// returns its id.
func seedGroup(tb testing.TB, dsn, name string, members []string) string {
	tb.Helper()
	ctx := context.Background()
	st, tid := openBenchStore(tb, dsn)
	defer st.Close()
	g := &store.Group{ID: scim.NewID()}
	if err := g.SetAttrs(map[string]any{"schemas": []any{groupSchema}, "displayName": name}); err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	err := st.Tx(ctx, tid, func(tx store.Tx) error {
		if err := tx.InsertGroups(ctx, []*store.Group{g}); err != nil {
			return err
		}
		for chunk := range slices.Chunk(members, 10_000) {
			ms := make([]store.Member, len(chunk))
			for i, id := range chunk {
				ms[i] = store.Member{GroupID: g.ID, Value: id, Type: store.MemberUser}
			}
			if _, err := tx.AddMembers(ctx, ms); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed group: %v", err)
	}
	vacuum(tb, st)
	tb.Logf("seeded group %q with %d members in %v", name, len(members), time.Since(start).Round(time.Millisecond))
	return g.ID
}
