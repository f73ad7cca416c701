package test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Helpers of the export, import and round-trip tests.

// csvTable is a parsed CSV file.
type csvTable struct {
	Header []string
	Rows   [][]string
}

func parseCSVTable(t testing.TB, raw []byte) csvTable {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = 0 // every row as wide as the header
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not a valid CSV file: %v\n%s", err, short(string(raw)))
	}
	if len(recs) == 0 {
		t.Fatalf("empty CSV file")
	}
	return csvTable{Header: recs[0], Rows: recs[1:]}
}

// col returns the index of a column, failing t when it is absent.
func (c csvTable) col(t testing.TB, name string) int {
	t.Helper()
	i := slices.Index(c.Header, name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, c.Header)
	}
	return i
}

// by returns the rows keyed by the value of column key, each row as a
// column → cell map.
func (c csvTable) by(t testing.TB, key string) map[string]map[string]string {
	t.Helper()
	k := c.col(t, key)
	out := map[string]map[string]string{}
	for _, r := range c.Rows {
		m := map[string]string{}
		for i, h := range c.Header {
			m[h] = r[i]
		}
		out[r[k]] = m
	}
	return out
}

// without returns the table without the named columns.
func (c csvTable) without(names ...string) csvTable {
	var keep []int
	var out csvTable
	for i, h := range c.Header {
		if !slices.Contains(names, h) {
			keep = append(keep, i)
			out.Header = append(out.Header, h)
		}
	}
	for _, r := range c.Rows {
		row := make([]string, 0, len(keep))
		for _, i := range keep {
			row = append(row, r[i])
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// bytes renders the table as a CSV file.
func (c csvTable) bytes() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(c.Header)
	_ = w.WriteAll(c.Rows)
	return b.Bytes()
}

// export GETs an export (path with its query) and returns the response,
// checking the status and, on 200, the content type.
func (s *server) export(t testing.TB, token, path string, want int) *response {
	t.Helper()
	r := s.doToken(t, token, "GET", path, nil)
	if r.Status != want {
		t.Fatalf("GET %s: %d, want %d\n%s", path, r.Status, want, r.Body)
	}
	if want == http.StatusOK {
		if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q, want text/csv; charset=utf-8", path, ct)
		}
	}
	return r
}

// exportTable GETs an export with the tenant token and parses it.
func (s *server) exportTable(t testing.TB, path string) (csvTable, *response) {
	t.Helper()
	r := s.export(t, s.Token, path, http.StatusOK)
	return parseCSVTable(t, r.Body), r
}

// jobCounts picks the named counters of a job as integers.
func jobCounts(j map[string]any, names ...string) map[string]int {
	out := map[string]int{}
	for _, n := range names {
		f, _ := j[n].(float64)
		out[n] = int(f)
	}
	return out
}

// expectJobCounts fails t unless the job's counters have the wanted values.
func expectJobCounts(t testing.TB, j map[string]any, want map[string]int) {
	t.Helper()
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	got := jobCounts(j, names...)
	for k, v := range want {
		if got[k] != v {
			raw, _ := json.Marshal(j)
			t.Errorf("job %s = %d, want %d\njob: %s", k, got[k], v, raw)
		}
	}
}

// exportJob returns the job named by an export response's X-Scimd-Job
// header.
func (s *server) exportJob(t testing.TB, token string, r *response) map[string]any {
	t.Helper()
	id := r.Header.Get("X-Scimd-Job")
	if id == "" {
		t.Fatalf("export response without X-Scimd-Job header")
	}
	jr := s.doToken(t, token, "GET", "/scim/v2/Jobs/"+id, nil)
	if jr.Status != http.StatusOK {
		t.Fatalf("GET /Jobs/%s: %d %s", id, jr.Status, jr.Body)
	}
	return jr.JSON(t)
}

// Import helpers of the round-trip tests (kept apart from the import
// tests' own helpers so that each file set can change alone).

// rtJob is the part of a job record the round-trip tests check.
type rtJob struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	Status           string `json:"status"`
	DryRun           bool   `json:"dryRun"`
	Total            int64  `json:"total"`
	Processed        int64  `json:"processed"`
	Created          int64  `json:"created"`
	Updated          int64  `json:"updated"`
	Unchanged        int64  `json:"unchanged"`
	Skipped          int64  `json:"skipped"`
	Failed           int64  `json:"failed"`
	MembershipsAdded int64  `json:"membershipsAdded"`
	Error            string `json:"error"`
}

func (j *rtJob) counts() string {
	return fmt.Sprintf("total=%d processed=%d created=%d updated=%d unchanged=%d skipped=%d failed=%d membershipsAdded=%d",
		j.Total, j.Processed, j.Created, j.Updated, j.Unchanged, j.Skipped, j.Failed, j.MembershipsAdded)
}

// rtAs returns a copy of s that sends tok (another tenant's token).
func (s *server) rtAs(tok string) *server {
	c := *s
	c.Token = tok
	return &c
}

// rtImport uploads a CSV file to /scim/v2/<what>/.import?<params>,
// expects 202 with the job's Location, and waits for the job to end.
func (s *server) rtImport(t testing.TB, what, params string, file []byte) *rtJob {
	t.Helper()
	path := "/scim/v2/" + what + "/.import"
	if params != "" {
		path += "?" + params
	}
	r := s.do(t, "POST", path, file, "Content-Type", "text/csv")
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST %s: %d, want 202\n%s", path, r.Status, r.Body)
	}
	var j rtJob
	if err := json.Unmarshal(r.Body, &j); err != nil || j.ID == "" {
		t.Fatalf("POST %s: no job in %s", path, r.Body)
	}
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/scim/v2/Jobs/"+j.ID) {
		t.Errorf("POST %s: Location %q, want …/scim/v2/Jobs/%s", path, loc, j.ID)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		r := s.must(t, http.StatusOK, "GET", "/scim/v2/Jobs/"+j.ID, nil)
		j = rtJob{}
		if err := json.Unmarshal(r.Body, &j); err != nil {
			t.Fatal(err)
		}
		switch j.Status {
		case "succeeded", "failed", "cancelled":
			return &j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s (is the job runner wired into scimd serve?)\n%s", j.ID, j.Status, s.logTail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rtReportLine is one line of GET /Jobs/{id}/report.
type rtReportLine struct {
	Row                         int
	Status, ID, UserName, Error string
}

// rtReport downloads a job's per-row report.
func (s *server) rtReport(t testing.TB, id string) []rtReportLine {
	t.Helper()
	r := s.must(t, http.StatusOK, "GET", "/scim/v2/Jobs/"+id+"/report", nil)
	tab := parseCSVTable(t, r.Body)
	if want := []string{"row", "status", "id", "userName", "error"}; !slices.Equal(tab.Header, want) {
		t.Fatalf("report header %v, want %v", tab.Header, want)
	}
	out := make([]rtReportLine, 0, len(tab.Rows))
	for _, rec := range tab.Rows {
		n, err := strconv.Atoi(rec[0])
		if err != nil {
			t.Fatalf("report row %q", rec[0])
		}
		out = append(out, rtReportLine{Row: n, Status: rec[1], ID: rec[2], UserName: rec[3], Error: rec[4]})
	}
	return out
}

// rtSnapshot returns every user and group of the token's tenant as JSON
// lines (meta included), to prove that nothing changed.
func (s *server) rtSnapshot(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, what := range []string{"Users", "Groups"} {
		for start := 1; ; start += 1000 {
			lr := s.list(t, fmt.Sprintf("/scim/v2/%s?startIndex=%d&count=1000", what, start))
			rs, _ := lr["Resources"].([]any)
			for _, r := range rs {
				raw, _ := json.Marshal(r)
				b.Write(raw)
				b.WriteByte('\n')
			}
			if len(rs) < 1000 {
				break
			}
		}
	}
	return b.String()
}

// rtDiff shows the lines that differ between two snapshots.
func rtDiff(before, after string) string {
	a, b := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) && len(out) < 6 {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) && len(out) < 12 {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// rtTotal returns totalResults of a list path.
func (s *server) rtTotal(t testing.TB, path string) int {
	t.Helper()
	n, _ := s.list(t, path)["totalResults"].(float64)
	return int(n)
}
