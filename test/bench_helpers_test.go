package test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

// Helpers of the server benchmarks (core_bench_test.go and friends).
//
// Environment:
//
//	SCIMD_BENCH_LOG_LEVEL    server log level (default warn: info logs one
//	                         line per request, which costs throughput)
//	SCIMD_BENCH_SERVER_CPUS  pin the server to these CPUs (taskset -c), e.g.
//	                         "0"; run the client pinned elsewhere with
//	                         `taskset -c 1 go test …` for the yardstick's
//	                         one-core setup
//	SCIMD_BENCH_CPUPROFILE   directory: each benchmark server writes a CPU
//	                         profile <benchmark name>.pprof there
//	SCIMD_BENCH_LARGE=1      the large size of the look-up benchmark is
//	                         1,000,000 users instead of 100,000

// startBenchServer starts scimd on dsn for a benchmark. Unlike startServer
// it runs at log level warn (SCIMD_BENCH_LOG_LEVEL), where the "listening"
// line the harness waits for is not logged, so it picks the port itself
// and polls /healthz.
func startBenchServer(tb testing.TB, kind testdb.Kind, dsn string, extra ...string) *server {
	tb.Helper()
	addr := freeAddr(tb)
	level := os.Getenv("SCIMD_BENCH_LOG_LEVEL")
	if level == "" {
		level = "warn"
	}
	args := []string{"serve", "--addr", addr, "--database", dsn,
		"--bootstrap-token", testToken, "--admin-token", testAdminToken, "--log-level", level}
	if dir := os.Getenv("SCIMD_BENCH_CPUPROFILE"); dir != "" {
		name := regexp.MustCompile(`[^A-Za-z0-9_.=-]+`).ReplaceAllString(tb.Name(), "_")
		args = append(args, "--cpuprofile", filepath.Join(dir, name+".pprof"))
	}
	args = append(args, extra...)
	s := &server{t: tb, URL: "http://" + addr, Token: testToken, Admin: testAdminToken, DSN: dsn}
	startBenchProcess(tb, s, "scimd", binary, args)
	return s
}

// startYardstick builds ./yardstick (a minimal in-memory SCIM server on
// github.com/elimity-com/scim, the reference point of perf-limits.md) and
// starts it like startBenchServer starts scimd: same CPU pinning, same
// /healthz poll, CPU time measured the same way. Its token is testToken.
func startYardstick(tb testing.TB) *server {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "yardstick")
	build := exec.Command("go", "build", "-o", bin, "./yardstick")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build yardstick: %v\n%s", err, out)
	}
	addr := freeAddr(tb)
	s := &server{t: tb, URL: "http://" + addr, Token: testToken}
	startBenchProcess(tb, s, "yardstick", bin, []string{"--addr", addr, "--token", testToken})
	return s
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startBenchProcess starts bin with args as the process of s (whose URL is
// set), on the CPUs of SCIMD_BENCH_SERVER_CPUS when set, stops it at the
// end of tb, and polls s.URL/healthz until it answers 200.
func startBenchProcess(tb testing.TB, s *server, name, bin string, args []string) {
	tb.Helper()
	var cmd *exec.Cmd
	if cpus := os.Getenv("SCIMD_BENCH_SERVER_CPUS"); cpus != "" {
		cmd = exec.Command("taskset", append([]string{"-c", cpus, bin}, args...)...) // taskset execs: same pid
	} else {
		cmd = exec.Command(bin, args...)
	}
	s.cmd, s.stderr, s.exited = cmd, &syncBuffer{}, make(chan struct{})
	cmd.Stdout, cmd.Stderr = io.Discard, s.stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()
	tb.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.exited:
			tb.Fatalf("%s exited before listening: %v\n%s", name, s.waitErr, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not start:\n%s", name, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	http.DefaultClient.CloseIdleConnections()
}

// seedStore opens the store on dsn, ensures tenant "default" and inserts n
// users built by gen through resource.Service.NewUser (the stored shape of
// POST /Users) in one transaction, 10,000 per InsertUsers call. It runs
// before any server uses dsn and returns the users' ids in order.
func seedStore(tb testing.TB, dsn string, n int, gen func(i int) map[string]any) []string {
	tb.Helper()
	ctx := context.Background()
	st, tid := openBenchStore(tb, dsn)
	defer st.Close()
	svc := benchService(tb)
	ids := make([]string, 0, n)
	const chunk = 10_000
	start := time.Now()
	err := st.Tx(ctx, tid, func(tx store.Tx) error {
		batch := make([]*store.User, 0, chunk)
		for lo := 0; lo < n; lo += chunk {
			batch = batch[:0]
			for i := lo; i < min(lo+chunk, n); i++ {
				u, err := svc.NewUser(gen(i))
				if err != nil {
					return fmt.Errorf("user %d: %w", i, err)
				}
				batch = append(batch, u)
				ids = append(ids, u.ID)
			}
			if err := tx.InsertUsers(ctx, batch); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed %d users: %v", n, err)
	}
	tb.Logf("seeded %d users in %v", n, time.Since(start).Round(time.Millisecond))
	vacuum(tb, st)
	return ids
}

// vacuum brings a freshly loaded PostgreSQL database to the state
// autovacuum keeps a live one in (visibility map, statistics); without it
// every COUNT and index scan checks each new tuple's visibility in the
// heap. SQLite's statistics are refreshed when the server opens the file.
func vacuum(tb testing.TB, st *sqlstore.Store) {
	tb.Helper()
	if st.Dialect() != sqlstore.DialectPostgres {
		return
	}
	if err := st.DB().Exec("VACUUM ANALYZE scim_users, user_emails, scim_groups, group_members").Error; err != nil {
		tb.Fatalf("vacuum: %v", err)
	}
}

// openBenchStore opens the store on dsn and returns tenant "default",
// creating it when absent.
func openBenchStore(tb testing.TB, dsn string) (*sqlstore.Store, int64) {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: dsn})
	if err != nil {
		tb.Fatal(err)
	}
	t, err := st.GetTenant(ctx, "default")
	if err != nil {
		if t, err = st.CreateTenant(ctx, "default"); err != nil {
			st.Close()
			tb.Fatal(err)
		}
	}
	return st, t.ID
}

func benchService(tb testing.TB) *resource.Service {
	reg, err := schemas.Load("")
	if err != nil {
		tb.Fatal(err)
	}
	return &resource.Service{Reg: reg, NewID: scim.NewID, Now: time.Now,
		Hash: func(string) (string, error) { return "", fmt.Errorf("no passwords in benchmarks") }}
}

// loadUserName is the userName of benchmark user i.
func loadUserName(i int) string { return fmt.Sprintf("user%07d@example.com", i) }

// loadUserAttrs is a user as an IdP such as Entra ID provisions it.
func loadUserAttrs(i int) map[string]any {
	return map[string]any{
		"userName":    loadUserName(i),
		"externalId":  "ext-" + strconv.Itoa(i),
		"displayName": fmt.Sprintf("User %07d", i),
		"name":        map[string]any{"givenName": "Given" + strconv.Itoa(i), "familyName": "Family" + strconv.Itoa(i)},
		"active":      true,
		"title":       "Engineer",
		"emails":      []any{map[string]any{"value": loadUserName(i), "type": "work", "primary": true}},
		entSchema:     map[string]any{"employeeNumber": strconv.Itoa(i), "department": "R&D"},
	}
}

// userNameFilterURL is GET /Users?filter=userName eq "<name>".
func userNameFilterURL(name string) string {
	return "/scim/v2/Users" + q("filter", `userName eq "`+name+`"`)
}

// loadRequest is one request of a load mix.
type loadRequest struct {
	op     string // operation name for the latency metrics
	method string
	path   string
	body   string
}

// loadClient is one closed-loop client with its own keep-alive connection.
type loadClient struct {
	hc  *http.Client
	rnd *rand.Rand
}

func newLoadClients(n int) []*loadClient {
	cs := make([]*loadClient, n)
	for i := range cs {
		cs[i] = &loadClient{
			hc:  &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}},
			rnd: rand.New(rand.NewPCG(uint64(i)+1, 42)),
		}
	}
	return cs
}

func closeLoadClients(cs []*loadClient) {
	for _, c := range cs {
		c.hc.CloseIdleConnections()
	}
}

// loadResult is the outcome of runLoad.
type loadResult struct {
	n       int
	elapsed time.Duration
	lat     map[string][]time.Duration // per operation, sorted
	cpu     time.Duration              // CPU time of the server process
}

// rate is requests per second.
func (r loadResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// cpuPerReq is the server's CPU time per request in µs: unlike req/s it
// hardly depends on what else runs on the (shared) machine.
func (r loadResult) cpuPerReq() float64 { return float64(r.cpu.Microseconds()) / float64(r.n) }

// report reports req/s (or unit), server CPU µs per request and the p99
// latency of each of ops.
func (r loadResult) report(b *testing.B, unit string, ops ...string) {
	b.ReportMetric(r.rate(), unit)
	if r.cpu > 0 {
		b.ReportMetric(r.cpuPerReq(), "cpu-us/req")
	}
	for _, op := range ops {
		b.ReportMetric(r.pct(op, 99), op+"-p99-ms")
	}
}

// cpuTime returns the user+system CPU time the server process has used
// (Linux /proc; 0 elsewhere).
func (s *server) cpuTime() time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 (1-based), in clock ticks of 1/100 s on Linux.
	str := string(raw)
	f := strings.Fields(str[strings.LastIndexByte(str, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// pct returns the p-th percentile latency of op in milliseconds.
func (r loadResult) pct(op string, p float64) float64 {
	l := r.lat[op]
	if len(l) == 0 {
		return 0
	}
	i := min(len(l)-1, int(float64(len(l))*p/100))
	return float64(l[i].Microseconds()) / 1000
}

// runLoad sends n requests from the clients, closed loop (each client
// sends its next request when the previous answer is read), and checks
// that each answer has status want(op). next picks a request.
func runLoad(tb testing.TB, s *server, clients []*loadClient, n int, token string,
	next func(r *rand.Rand) loadRequest, want func(op string) int) loadResult {
	tb.Helper()
	var left atomic.Int64
	left.Store(int64(n))
	type workerOut struct {
		lat map[string][]time.Duration
		err error
	}
	outs := make([]workerOut, len(clients))
	var wg sync.WaitGroup
	cpu0 := s.cpuTime()
	start := time.Now()
	for w, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := map[string][]time.Duration{}
			for left.Add(-1) >= 0 {
				lr := next(c.rnd)
				var body io.Reader
				if lr.body != "" {
					body = strings.NewReader(lr.body)
				}
				req, err := http.NewRequest(lr.method, s.URL+lr.path, body)
				if err != nil {
					outs[w].err = err
					return
				}
				req.Header.Set("Authorization", "Bearer "+token)
				if lr.body != "" {
					req.Header.Set("Content-Type", "application/scim+json")
				}
				t0 := time.Now()
				resp, err := c.hc.Do(req)
				if err != nil {
					outs[w].err = fmt.Errorf("%s %s: %w", lr.method, lr.path, err)
					return
				}
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[lr.op] = append(lat[lr.op], time.Since(t0))
				if err != nil || resp.StatusCode != want(lr.op) {
					outs[w].err = fmt.Errorf("%s %s: status %d (want %d) %v: %.300s", lr.method, lr.path, resp.StatusCode, want(lr.op), err, raw)
					return
				}
			}
			outs[w].lat = lat
		}()
	}
	wg.Wait()
	res := loadResult{n: n, elapsed: time.Since(start), lat: map[string][]time.Duration{}, cpu: s.cpuTime() - cpu0}
	for _, o := range outs {
		if o.err != nil {
			tb.Fatalf("load: %v\nserver log:\n%s", o.err, s.logTail(20))
		}
		for op, l := range o.lat {
			res.lat[op] = append(res.lat[op], l...)
		}
	}
	for _, l := range res.lat {
		slices.Sort(l)
	}
	return res
}

// status200 wants 200 for every operation.
func status200(string) int { return http.StatusOK }
