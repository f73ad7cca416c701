package test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/store/sqlstore/sqlitedrv"
)

// Helpers of the CSV import tests (import_*_test.go): uploading a file,
// following its job, reading the per-row report, counting users and jobs,
// and reading the database behind a (stopped) server.

// importJob is the part of a job record (SPEC §8) the import tests check.
type importJob struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	Status           string `json:"status"`
	Description      string `json:"description"`
	DryRun           bool   `json:"dryRun"`
	Mode             string `json:"mode"`
	Total            int64  `json:"total"`
	Processed        int64  `json:"processed"`
	Created          int64  `json:"created"`
	Updated          int64  `json:"updated"`
	Unchanged        int64  `json:"unchanged"`
	Skipped          int64  `json:"skipped"`
	Failed           int64  `json:"failed"`
	MembershipsAdded int64  `json:"membershipsAdded"`
	Error            string `json:"error"`
	raw              map[string]any
}

func (j *importJob) finished() bool {
	return j.Status == "succeeded" || j.Status == "failed" || j.Status == "cancelled"
}

func (j *importJob) counts() string {
	return fmt.Sprintf("total=%d processed=%d created=%d updated=%d unchanged=%d skipped=%d failed=%d membershipsAdded=%d",
		j.Total, j.Processed, j.Created, j.Updated, j.Unchanged, j.Skipped, j.Failed, j.MembershipsAdded)
}

func impDecodeJob(t testing.TB, raw []byte) *importJob {
	t.Helper()
	var j importJob
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatalf("job is not JSON: %v\n%s", err, raw)
	}
	_ = json.Unmarshal(raw, &j.raw)
	return &j
}

// withToken returns a copy of s that sends tok (another tenant's token).
func (s *server) withToken(tok string) *server {
	c := *s
	c.Token = tok
	return &c
}

// impPost uploads body as text/csv to /scim/v2/<what>/.import?<params>
// and returns the raw response (no status check).
func (s *server) impPost(t testing.TB, what, params string, body []byte) *response {
	t.Helper()
	path := "/scim/v2/" + what + "/.import"
	if params != "" {
		path += "?" + params
	}
	req, err := http.NewRequest("POST", s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "text/csv")
	r, err := s.send(t, req, 5*time.Minute)
	if err != nil {
		t.Fatalf("POST %s: %v\nserver log:\n%s", path, err, s.logTail(30))
	}
	return r
}

// impStart uploads a file, checks the 202 answer (Location, a queued
// job) and returns the job id.
func (s *server) impStart(t testing.TB, what, params string, body []byte) string {
	t.Helper()
	r := s.impPost(t, what, params, body)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST /%s/.import?%s: status %d, want 202\n%s", what, params, r.Status, r.Body)
	}
	j := impDecodeJob(t, r.Body)
	if j.ID == "" {
		t.Fatalf("202 without a job id: %s", r.Body)
	}
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/scim/v2/Jobs/"+j.ID) {
		t.Errorf("Location %q, want …/scim/v2/Jobs/%s", loc, j.ID)
	}
	return j.ID
}

// impGetJob fetches a job record.
func (s *server) impGetJob(t testing.TB, id string) *importJob {
	t.Helper()
	r := s.must(t, http.StatusOK, "GET", "/scim/v2/Jobs/"+id, nil)
	return impDecodeJob(t, r.Body)
}

// impWaitJob polls a job until it is finished or timeout passes.
func (s *server) impWaitJob(t testing.TB, id string, timeout time.Duration) *importJob {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j := s.impGetJob(t, id)
		if j.finished() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not finished after %v: status %s, %s\nserver log:\n%s", id, timeout, j.Status, j.counts(), s.logTail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runImport uploads a file and waits for its job.
func (s *server) runImport(t testing.TB, what, params string, body []byte) *importJob {
	t.Helper()
	return s.impWaitJob(t, s.impStart(t, what, params, body), 2*time.Minute)
}

// reportLine is one line of GET /Jobs/{id}/report.
type reportLine struct {
	Row                         int64
	Status, ID, UserName, Error string
}

const impReportHeader = "row,status,id,userName,error"

// parseImpReport parses a report CSV (header row,status,id,userName,error).
func parseImpReport(raw []byte) ([]reportLine, error) {
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = 5
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != impReportHeader {
		return nil, fmt.Errorf("report header %q, want %q", impFirstRec(recs), impReportHeader)
	}
	out := make([]reportLine, 0, len(recs)-1)
	for _, r := range recs[1:] {
		n, err := strconv.ParseInt(r[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("report row number %q: %v", r[0], err)
		}
		out = append(out, reportLine{Row: n, Status: r[1], ID: r[2], UserName: r[3], Error: r[4]})
	}
	return out, nil
}

func impFirstRec(recs [][]string) string {
	if len(recs) == 0 {
		return ""
	}
	return strings.Join(recs[0], ",")
}

// report downloads and parses a job's per-row report.
func (s *server) report(t testing.TB, id string) []reportLine {
	t.Helper()
	r := s.must(t, http.StatusOK, "GET", "/scim/v2/Jobs/"+id+"/report", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("report Content-Type %q, want text/csv", ct)
	}
	lines, err := parseImpReport(r.Body)
	if err != nil {
		t.Fatalf("report of job %s: %v\n%.2000s", id, err, r.Body)
	}
	return lines
}

// checkJobInvariants checks what holds for every finished import job: the
// counts add up, a succeeded job processed every row, and the report has
// exactly one line per processed row, rows 1..processed in order, with
// the status counts of the job.
func checkJobInvariants(t testing.TB, j *importJob, rep []reportLine) {
	t.Helper()
	if sum := j.Created + j.Updated + j.Unchanged + j.Skipped + j.Failed; sum != j.Processed {
		t.Errorf("job %s: created+updated+unchanged+skipped+failed = %d, processed = %d (%s)", j.ID, sum, j.Processed, j.counts())
	}
	if j.Status == "succeeded" && j.Processed != j.Total {
		t.Errorf("job %s succeeded with processed %d != total %d", j.ID, j.Processed, j.Total)
	}
	if j.Status == "failed" && j.Error == "" {
		t.Errorf("job %s failed without an error", j.ID)
	}
	if j.Status != "failed" && j.Error != "" {
		t.Errorf("job %s is %s but has error %q", j.ID, j.Status, j.Error)
	}
	if int64(len(rep)) != j.Processed {
		t.Errorf("job %s: %d report lines, processed %d", j.ID, len(rep), j.Processed)
	}
	byStatus := map[string]int64{}
	for i, l := range rep {
		if l.Row != int64(i+1) {
			t.Errorf("job %s: report line %d is row %d, want %d (rows must appear once each, in order)", j.ID, i+1, l.Row, i+1)
			break
		}
		byStatus[l.Status]++
		switch l.Status {
		case "created", "updated", "unchanged", "skipped":
			if l.ID == "" {
				t.Errorf("job %s row %d: status %s without an id", j.ID, l.Row, l.Status)
			}
			if l.Error != "" {
				t.Errorf("job %s row %d: status %s with error %q", j.ID, l.Row, l.Status, l.Error)
			}
		case "failed":
			if l.Error == "" {
				t.Errorf("job %s row %d failed without a reason", j.ID, l.Row)
			}
		default:
			t.Errorf("job %s row %d: unknown status %q", j.ID, l.Row, l.Status)
		}
	}
	want := map[string]int64{"created": j.Created, "updated": j.Updated, "unchanged": j.Unchanged, "skipped": j.Skipped, "failed": j.Failed}
	for st, n := range want {
		if byStatus[st] != n {
			t.Errorf("job %s: %d report lines say %s, the job counts %d", j.ID, byStatus[st], st, n)
		}
	}
}

// totalResults returns totalResults of a list path.
func (s *server) totalResults(t testing.TB, path string) int {
	t.Helper()
	lr := s.list(t, path)
	n, ok := lr["totalResults"].(float64)
	if !ok {
		t.Fatalf("GET %s: no totalResults", path)
	}
	return int(n)
}

func (s *server) impUserCount(t testing.TB) int { return s.totalResults(t, "/scim/v2/Users?count=0") }
func (s *server) impJobCount(t testing.TB) int  { return s.totalResults(t, "/scim/v2/Jobs?count=0") }

// impUserByName returns the user with userName, or nil.
func (s *server) impUserByName(t testing.TB, userName string) map[string]any {
	t.Helper()
	lr := s.list(t, "/scim/v2/Users"+q("filter", `userName eq "`+strings.ReplaceAll(userName, `"`, `\"`)+`"`))
	rs, _ := lr["Resources"].([]any)
	if len(rs) == 0 {
		return nil
	}
	m, _ := rs[0].(map[string]any)
	return m
}

// snapshot returns every user and group of the token's tenant as JSON
// (full representations, meta included, the server's base URL replaced by
// {baseURL}), to prove that nothing changed.
func (s *server) snapshot(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, what := range []string{"Users", "Groups"} {
		for start := 1; ; start += 1000 {
			lr := s.list(t, fmt.Sprintf("/scim/v2/%s?startIndex=%d&count=1000", what, start))
			rs, _ := lr["Resources"].([]any)
			for _, r := range rs {
				raw, _ := json.Marshal(r)
				b.Write(bytes.ReplaceAll(raw, []byte(s.URL), []byte("{baseURL}")))
				b.WriteByte('\n')
			}
			if len(rs) < 1000 {
				break
			}
		}
	}
	return b.String()
}

// diffLines describes how two snapshots differ (first few lines).
func diffLines(before, after string) string {
	a, b := strings.Split(before, "\n"), strings.Split(after, "\n")
	in := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range list {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range a {
		if !mb[l] && len(out) < 6 {
			out = append(out, "- "+impCut(l, 400))
		}
	}
	for _, l := range b {
		if !ma[l] && len(out) < 12 {
			out = append(out, "+ "+impCut(l, 400))
		}
	}
	return strings.Join(out, "\n")
}

func impCut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// impOpenDB opens the database of a server for direct reads (tests only:
// job state after a shutdown, stored password hashes).
func impOpenDB(t testing.TB, kind testdb.Kind, dsn string) *sql.DB {
	t.Helper()
	var (
		db  *sql.DB
		err error
	)
	if kind == testdb.SQLite {
		sqlitedrv.Register()
		db, err = sql.Open(sqlitedrv.DriverName, "file:"+dsn+"?_busy_timeout=5000")
	} else {
		db, err = sql.Open("pgx", dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// impDBJob reads a job's status and claim straight from the database.
func impDBJob(t testing.TB, db *sql.DB, kind testdb.Kind, id string) (status, claimedBy string, checkpoint int64) {
	t.Helper()
	query := "SELECT status, claimed_by, checkpoint FROM jobs WHERE id = ?"
	if kind == testdb.Postgres {
		query = "SELECT status, claimed_by, checkpoint FROM jobs WHERE id = $1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.QueryRowContext(ctx, query, id).Scan(&status, &claimedBy, &checkpoint); err != nil {
		t.Fatalf("read job %s: %v", id, err)
	}
	return status, claimedBy, checkpoint
}

// impLogLines returns the server log lines with msg="<msg>" that mention
// every one of subs.
func impLogLines(log, msg string, subs ...string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, `msg="`+msg+`"`) && !strings.Contains(l, "msg="+msg+" ") {
			continue
		}
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(l, s)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

var impCheckpointRe = regexp.MustCompile(`checkpoint=(\d+)`)

// impStartedCheckpoints returns the checkpoint of each "job started" line of
// job id in log.
func impStartedCheckpoints(log, id string) []int64 {
	var out []int64
	for _, l := range impLogLines(log, "job started", "job="+id) {
		if m := impCheckpointRe.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			out = append(out, n)
		}
	}
	return out
}

// impNativeRows writes a native import file of n users named
// <prefix><i>@example.com with names, one e-mail and active.
func impNativeRows(prefix string, n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 90)
	b.WriteString("userName,name.givenName,name.familyName,emails[0].value,emails[0].type,emails[0].primary,active\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s%07d@example.com,Given%d,Family%d,%s%07d@example.com,work,true,%t\n", prefix, i, i, i, prefix, i, i%10 != 0)
	}
	return b.Bytes()
}

// impCheckAllCreated checks that a job applied every one of n rows exactly
// once as a creation: counts, report (one line per row, each created,
// distinct ids) and the tenant's user count.
func impCheckAllCreated(t testing.TB, s *server, j *importJob, n int, usersBefore int) {
	t.Helper()
	if j.Status != "succeeded" || j.Total != int64(n) || j.Processed != int64(n) || j.Created != int64(n) ||
		j.Updated+j.Unchanged+j.Skipped+j.Failed != 0 {
		t.Errorf("job %s: status %s error %q, %s; want succeeded with total = processed = created = %d", j.ID, j.Status, j.Error, j.counts(), n)
	}
	rep := s.report(t, j.ID)
	checkJobInvariants(t, j, rep)
	ids := make(map[string]int64, len(rep))
	bad := 0
	for _, l := range rep {
		if l.Status != "created" && bad < 5 {
			bad++
			t.Errorf("row %d: status %s (%s), want created", l.Row, l.Status, l.Error)
		}
		if prev, dup := ids[l.ID]; dup && bad < 5 {
			bad++
			t.Errorf("rows %d and %d report the same id %s", prev, l.Row, l.ID)
		}
		ids[l.ID] = l.Row
	}
	if got := s.impUserCount(t); got != usersBefore+n {
		t.Errorf("tenant has %d users, want %d (before) + %d (rows)", got, usersBefore, n)
	}
}

// impSortedKeys returns the keys of m in order.
func impSortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
