package test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

// BenchmarkImportUsers imports native CSV files of 100,000 (and, with
// SCIMD_BENCH_LARGE=1, 1,000,000) users through the real server, on each
// database kind:
//
//	go test ./test/ -run '^$' -bench ImportUsers -benchtime 1x
//	SCIMD_BENCH_LARGE=1 go test ./test/ -run '^$' -bench ImportUsers -benchtime 1x -timeout 2h
//	SCIMD_BENCH_CPUPROFILE=/tmp/prof go test ./test/ -run '^$' -bench ImportUsers -benchtime 1x
//
// Each row: userName, name.givenName, name.familyName, two e-mails (the
// first typed and primary), a phone number, active, the enterprise
// department and a groups cell naming 3 groups of a pool of 100
// (groups=create). Each iteration runs, on fresh databases:
//
//   - the real import on a fresh server (default --import-chunk):
//     rows/s from the job's createdAt to its finishedAt (the upload, done
//     before the 202, is reported apart as upload-s), and the server's
//     peak RSS (VmHWM) over upload and job;
//   - a dry run of the same file on another fresh server (dry_rows/s,
//     dry_peakRSS-MB, dry_speedup = dry rate / real rate);
//   - the server's CPU time per row (server-cpu-µs/row, user+system
//     from /proc, upload included): steadier than wall time on a shared
//     machine; on PostgreSQL the database backend's CPU is not in it;
//   - the bare limit: the same users' scim_users and user_emails rows
//     written without scimd (prepared one-row INSERTs in one transaction
//     on SQLite, pgx COPY in one transaction on PostgreSQL; building the
//     rows is not timed) → bare_rows/s and ratio = import rate / bare rate.
//
// SCIMD_BENCH_CPUPROFILE=<dir> passes --cpuprofile to the servers (a
// profile per run, written at shutdown). Targets (issue 4): ≥ 25,000
// rows/s on both databases, 1,000,000 rows in under a minute, peak RSS
// under 300 MB, a dry run at least twice as fast as a real run.
func BenchmarkImportUsers(b *testing.B) {
	if testing.Short() {
		b.Skip("import benchmark skipped in -short mode")
	}
	sizes := []int{100_000}
	if os.Getenv("SCIMD_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		file := filepath.Join(b.TempDir(), fmt.Sprintf("users-%d.csv", n))
		writeBenchImportFile(b, file, n)
		for _, kind := range testdb.Kinds() {
			b.Run(fmt.Sprintf("%s/rows=%d", kind, n), func(b *testing.B) {
				var real, dry benchImportRun
				var bare time.Duration
				for i := 0; i < b.N; i++ {
					real = runBenchImport(b, kind, file, n, false)
					dry = runBenchImport(b, kind, file, n, true)
					bare = benchBareInsert(b, kind, n)
				}
				rate := float64(n) / real.job.Seconds()
				dryRate := float64(n) / dry.job.Seconds()
				bareRate := float64(n) / bare.Seconds()
				b.ReportMetric(rate, "rows/s")
				b.ReportMetric(real.job.Seconds(), "job-s")
				b.ReportMetric(real.upload.Seconds(), "upload-s")
				b.ReportMetric(float64(real.rss)/(1<<20), "peakRSS-MB")
				b.ReportMetric(dryRate, "dry_rows/s")
				b.ReportMetric(float64(dry.rss)/(1<<20), "dry_peakRSS-MB")
				b.ReportMetric(dryRate/rate, "dry_speedup")
				b.ReportMetric(bareRate, "bare_rows/s")
				b.ReportMetric(rate/bareRate, "ratio")
				b.ReportMetric(float64(real.cpu.Microseconds())/float64(n), "server-cpu-µs/row")
				b.ReportMetric(float64(dry.cpu.Microseconds())/float64(n), "dry_server-cpu-µs/row")
				b.Logf("%s rows=%d: import %.0f rows/s (job %v, upload %v, peak RSS %d MB); dry run %.0f rows/s (%v, peak RSS %d MB); bare %.0f rows/s (%v)",
					kind, n, rate, real.job.Round(time.Millisecond), real.upload.Round(time.Millisecond), real.rss>>20,
					dryRate, dry.job.Round(time.Millisecond), dry.rss>>20, bareRate, bare.Round(time.Millisecond))
			})
		}
	}
}

// benchGroups is the size of the group pool; each row names 3 groups.
const benchGroups = 100

// writeBenchImportFile writes the benchmark's native import file.
func writeBenchImportFile(tb testing.TB, path string, n int) {
	tb.Helper()
	writeBenchImportRows(tb, path, 0, n)
}

// writeBenchImportRows writes rows first … first+n-1 of the benchmark file.
func writeBenchImportRows(tb testing.TB, path string, first, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("userName,name.givenName,name.familyName,emails[0].value,emails[0].type,emails[0].primary," +
		"emails[1].value,emails[1].type,phoneNumbers[0].value,phoneNumbers[0].type,active," + entSchema + ":department,groups\n")
	for i := first; i < first+n; i++ {
		fmt.Fprintf(w, "user%07d@example.com,Given%d,Family%d,user%07d@example.com,work,true,u%07d@home.example.org,home,+49 30 %d,work,%t,Dept %d,Group %03d;Group %03d;Group %03d\n",
			i, i, i, i, i, 1000000+i, i%10 != 0, i%20, i%benchGroups, (i*7+1)%benchGroups, (i*13+2)%benchGroups)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// benchAttrs are the attributes the import creates for row i (the bare
// insert writes the same users).
func benchImportAttrs(i int, id string) map[string]any {
	return map[string]any{
		"schemas":  []any{userSchema, entSchema, "urn:ietf:params:scim:schemas:extension:sap:2.0:User"},
		"userName": fmt.Sprintf("user%07d@example.com", i),
		"name":     map[string]any{"givenName": "Given" + strconv.Itoa(i), "familyName": "Family" + strconv.Itoa(i)},
		"emails": []any{
			map[string]any{"value": fmt.Sprintf("user%07d@example.com", i), "type": "work", "primary": true},
			map[string]any{"value": fmt.Sprintf("u%07d@home.example.org", i), "type": "home"},
		},
		"phoneNumbers": []any{map[string]any{"value": "+49 30 " + strconv.Itoa(1000000+i), "type": "work"}},
		"active":       i%10 != 0,
		entSchema:      map[string]any{"department": "Dept " + strconv.Itoa(i%20)},
		"urn:ietf:params:scim:schemas:extension:sap:2.0:User": map[string]any{"userUuid": id},
	}
}

type benchImportRun struct {
	upload, job time.Duration
	rss         int64
	cpu         time.Duration // server process CPU time (user+system) over upload and job
}

// impCPUTime returns the CPU time (user + system) the server process has used
// so far, from /proc/<pid>/stat (0 where that is not available). On a
// shared, noisy machine CPU per row is steadier than wall time; for
// PostgreSQL it leaves out the database backend's own CPU.
func (s *server) impCPUTime() time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

var cpuProfileName = regexp.MustCompile(`[^A-Za-z0-9_.=-]+`)

// runBenchImport imports file on a fresh server and database.
func runBenchImport(b *testing.B, kind testdb.Kind, file string, n int, dry bool) benchImportRun {
	b.Helper()
	var args []string
	if dir := os.Getenv("SCIMD_BENCH_CPUPROFILE"); dir != "" {
		name := cpuProfileName.ReplaceAllString(b.Name(), "_")
		if dry {
			name += "_dry"
		}
		args = append(args, "--cpuprofile", filepath.Join(dir, name+".pprof"))
	}
	s := startServer(b, serverOpts{kind: kind, extraArgs: args})
	defer s.stop()
	s.resetPeakRSS()
	cpu0 := s.impCPUTime()
	params := "groups=create"
	if dry {
		params += "&dryRun=true"
	}
	start := time.Now()
	id := uploadBenchImport(b, s, file, params)
	upload := time.Since(start)
	done := waitBenchImport(b, s, id, nil)
	rss, cpu := s.peakRSS(), s.impCPUTime()-cpu0
	if done.Status != "succeeded" || done.Created != int64(n) || done.Failed != 0 || done.MembershipsAdded != int64(3*n) || done.DryRun != dry {
		b.Fatalf("job (dry run %v): %s %q %s", dry, done.Status, done.Error, done.counts())
	}
	job := jobDuration(b, done)
	if !dry {
		if got := s.impUserCount(b); got != n {
			b.Fatalf("%d users after the import, want %d", got, n)
		}
		if got := s.totalResults(b, "/scim/v2/Groups?count=0"); got != benchGroups {
			b.Fatalf("%d groups after the import, want %d", got, benchGroups)
		}
	} else if got := s.impUserCount(b); got != 0 {
		b.Fatalf("%d users after a dry run", got)
	}
	return benchImportRun{upload: upload, job: job, rss: rss, cpu: cpu}
}

// jobDuration is a finished job's createdAt → finishedAt.
func jobDuration(b *testing.B, j *importJob) time.Duration {
	b.Helper()
	created, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(j.raw["createdAt"]))
	finished, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(j.raw["finishedAt"]))
	if created.IsZero() || finished.IsZero() {
		b.Fatalf("job without createdAt/finishedAt: %v", j.raw)
	}
	return finished.Sub(created)
}

// uploadBenchImport uploads file to POST /Users/.import?params and
// returns the job id.
func uploadBenchImport(b *testing.B, s *server, file, params string) string {
	b.Helper()
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	req, err := http.NewRequest("POST", s.URL+"/scim/v2/Users/.import?"+params, f)
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = st.Size()
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "text/csv")
	r, err := s.send(b, req, 30*time.Minute)
	if err != nil || r.Status != http.StatusAccepted {
		b.Fatalf("upload: %v %v %.300s", err, r, r.Body)
	}
	var j struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(r.Body, &j)
	return j.ID
}

// waitBenchImport polls job id until it finishes; while it runs, between
// polls, it calls during (if not nil).
func waitBenchImport(b *testing.B, s *server, id string, during func()) *importJob {
	b.Helper()
	for {
		done := s.impGetJob(b, id)
		if done.finished() {
			return done
		}
		if during != nil {
			during()
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// benchBareBatch is how many bare rows are built (untimed) between timed
// writes, so that a 1,000,000-row baseline does not hold every row.
const benchBareBatch = 50_000

// benchBareInsert writes the benchmark's n users straight into a fresh
// database and returns the time spent writing.
func benchBareInsert(b *testing.B, kind testdb.Kind, n int) time.Duration {
	b.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: testdb.DSN(b, kind)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tenant, err := st.CreateTenant(ctx, "bare")
	if err != nil {
		b.Fatal(err)
	}
	db, err := st.DB().DB()
	if err != nil {
		b.Fatal(err)
	}
	build := func(lo, hi int) []*store.User {
		users := make([]*store.User, 0, hi-lo)
		now := time.Now()
		for i := lo; i < hi; i++ {
			id := uuid.Must(uuid.NewV7()).String()
			u := &store.User{ID: id, Version: 1, Created: now, Modified: now}
			if err := u.SetAttrs(benchImportAttrs(i, id)); err != nil {
				b.Fatal(err)
			}
			users = append(users, u)
		}
		return users
	}
	var spent time.Duration
	if kind == testdb.Postgres {
		conn, err := db.Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		err = conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			start := time.Now()
			tx, err := pc.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			spent += time.Since(start)
			for lo := 0; lo < n; lo += benchBareBatch {
				users := build(lo, min(lo+benchBareBatch, n))
				start := time.Now()
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"scim_users"}, bareUserColumns,
					pgx.CopyFromSlice(len(users), func(i int) ([]any, error) { return bareUserArgs(tenant.ID, users[i]), nil })); err != nil {
					return err
				}
				var emails [][]any
				for _, u := range users {
					for _, m := range bareEmails(u) {
						emails = append(emails, []any{tenant.ID, m, u.ID})
					}
				}
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"user_emails"}, []string{"tenant_id", "value_ci", "user_id"}, pgx.CopyFromRows(emails)); err != nil {
					return err
				}
				spent += time.Since(start)
			}
			start = time.Now()
			err = tx.Commit(ctx)
			spent += time.Since(start)
			return err
		})
		if err != nil {
			b.Fatalf("bare COPY: %v", err)
		}
		return spent
	}
	start := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, "INSERT INTO scim_users ("+strings.Join(bareUserColumns, ", ")+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	insEmail, err := tx.PrepareContext(ctx, "INSERT INTO user_emails (tenant_id, value_ci, user_id) VALUES (?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	spent += time.Since(start)
	for lo := 0; lo < n; lo += benchBareBatch {
		users := build(lo, min(lo+benchBareBatch, n))
		start := time.Now()
		for _, u := range users {
			if _, err := ins.ExecContext(ctx, bareUserArgs(tenant.ID, u)...); err != nil {
				b.Fatalf("bare insert: %v", err)
			}
			for _, m := range bareEmails(u) {
				if _, err := insEmail.ExecContext(ctx, tenant.ID, m, u.ID); err != nil {
					b.Fatalf("bare insert e-mail: %v", err)
				}
			}
		}
		spent += time.Since(start)
	}
	start = time.Now()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return spent + time.Since(start)
}

// bareUserColumns are the scim_users columns sqlstore writes.
var bareUserColumns = []string{"tenant_id", "id", "user_name", "user_name_ci", "external_id", "display_name",
	"display_name_ci", "active", "user_uuid_ci", "attrs", "password_hash", "version", "created_at", "modified_at"}

func bareNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func bareUserArgs(tenant int64, u *store.User) []any {
	var active any
	if u.Active != nil {
		active = *u.Active
	}
	return []any{tenant, u.ID, u.UserName, strings.ToLower(u.UserName), bareNull(u.ExternalID),
		bareNull(u.DisplayName), bareNull(strings.ToLower(u.DisplayName)), active,
		bareNull(strings.ToLower(u.UserUUID)), string(u.Attrs), bareNull(u.PasswordHash),
		u.Version, u.Created.UnixMicro(), u.Modified.UnixMicro()}
}

func bareEmails(u *store.User) []string {
	var out []string
	for _, m := range u.Emails {
		l := strings.ToLower(m)
		dup := false
		for _, o := range out {
			dup = dup || o == l
		}
		if !dup {
			out = append(out, l)
		}
	}
	return out
}
