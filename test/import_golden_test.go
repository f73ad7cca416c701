package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// Golden CSV import cases (SPEC §5, §8): every directory under
// testdata/import/ is one case, run on every database kind (a new
// directory is a new case; no Go change is needed). Files of a case:
//
//	input.csv    the uploaded file, byte for byte (BOM, CRLF, ';' …).
//	             Placeholders: {id:<userName>} / {gid:<displayName>} are
//	             the ids of the users / groups of setup.json, {unknownId} a
//	             well-formed id that no user has.
//	params       optional: the query string, e.g. "mode=ignore&matchBy=emails"
//	             (one line; '#' lines are comments).
//	setup.json   optional: {"users": [SCIM User bodies], "groups":
//	             [{"displayName": "…", "members": ["<userName>", …]}]},
//	             created through SCIM before the import.
//	report.csv   the expected report (row,status,id,userName,error). id
//	             cells: "" (must be empty), "*" (any id), "{id}" (the id
//	             of the user that has this line's userName after the run),
//	             or {id:<userName>} of setup.json. An error cell is a
//	             case-insensitive substring of the actual reason ("" =
//	             no error); every other cell must be equal.
//	job.json     a pattern (jsonmatch_test.go rules) for the finished job.
//	after.json   optional: a list of checks after the run:
//	             {"path": "/scim/v2/Users?filter=…", "expect": {pattern},
//	              "absent": ["Resources.*.password"]} or
//	             {"storedPassword": {"userName": "…", "plaintext": "…"}}
//	             (the database holds an argon2id/bcrypt hash, never the
//	             plaintext).
//	refused.json instead of report.csv/job.json: the file is refused at
//	             once, {"status": 400, "detail": ["substring", …]}; no job
//	             is created.
//	README       optional: what the case is about.
//
// Every case runs in a tenant of its own on one server per database kind,
// started with --import-chunk 2 so that every case crosses chunk
// boundaries (checkpoints, cross-chunk matches, dry-run state). Besides
// the files, every case checks generic rules:
//
//   - unless the case is itself a dry run, the same file is first imported
//     with dryRun=true: the tenant must be unchanged afterwards, and the
//     dry run must report the same job status, error, counts and per-row
//     statuses, userNames and errors as the real run (SPEC §5: "the same
//     per-row statuses and counts a real run would give");
//   - a dry run, or a job that ends failed, leaves the tenant unchanged;
//   - the job invariants of checkJobInvariants (counts add up, one report
//     line per processed row, in order).
const importGoldenDir = "testdata/import"

// importSchemasDir holds the custom extension schema the cases use
// (customFieldMap.<key>, native extension columns).
const importSchemasDir = "testdata/importschemas"

type importSetup struct {
	Users  []map[string]any `json:"users"`
	Groups []struct {
		DisplayName string   `json:"displayName"`
		Members     []string `json:"members"`
	} `json:"groups"`
}

type impAfterCheck struct {
	Path           string          `json:"path"`
	Expect         json.RawMessage `json:"expect"`
	Absent         []string        `json:"absent"`
	StoredPassword *struct {
		UserName  string `json:"userName"`
		Plaintext string `json:"plaintext"`
	} `json:"storedPassword"`
}

type impRefusal struct {
	Status int       `json:"status"`
	Detail stringSet `json:"detail"`
}

type importCase struct {
	name    string
	input   []byte
	params  string
	setup   importSetup
	report  []byte
	job     []byte
	after   []byte
	refused *impRefusal
}

var importCaseFiles = []string{"input.csv", "params", "setup.json", "report.csv", "job.json", "after.json", "refused.json", "README"}

func impStrictJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func loadImportCases(t *testing.T) []importCase {
	t.Helper()
	entries, err := os.ReadDir(importGoldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []importCase
	for _, e := range entries {
		if e.Name() == "README.md" {
			continue
		}
		if !e.IsDir() {
			t.Errorf("%s/%s: only case directories belong here", importGoldenDir, e.Name())
			continue
		}
		dir := filepath.Join(importGoldenDir, e.Name())
		c := importCase{name: e.Name()}
		files, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string][]byte{}
		for _, f := range files {
			if !slices.Contains(importCaseFiles, f.Name()) {
				t.Errorf("%s: unknown file %s (known: %v)", dir, f.Name(), importCaseFiles)
				continue
			}
			raw, err := os.ReadFile(filepath.Join(dir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			have[f.Name()] = raw
		}
		var ok bool
		if c.input, ok = have["input.csv"]; !ok {
			t.Errorf("%s: input.csv is required", dir)
			continue
		}
		for _, l := range strings.Split(string(have["params"]), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				c.params = l
			}
		}
		if raw, ok := have["setup.json"]; ok {
			if err := impStrictJSON(raw, &c.setup); err != nil {
				t.Errorf("%s/setup.json: %v", dir, err)
			}
		}
		if raw, ok := have["refused.json"]; ok {
			c.refused = &impRefusal{}
			if err := impStrictJSON(raw, c.refused); err != nil {
				t.Errorf("%s/refused.json: %v", dir, err)
			}
			if c.refused.Status < 400 || c.refused.Status >= 500 {
				t.Errorf("%s/refused.json: a refusal is a 4xx, not %d", dir, c.refused.Status)
			}
			if have["report.csv"] != nil || have["job.json"] != nil {
				t.Errorf("%s: refused.json excludes report.csv and job.json", dir)
			}
		} else {
			c.report, c.job = have["report.csv"], have["job.json"]
			if c.report == nil || c.job == nil {
				t.Errorf("%s: report.csv and job.json are required (or refused.json)", dir)
			}
			if _, err := parseImpReport(c.report); err != nil {
				t.Errorf("%s/report.csv: %v", dir, err)
			}
		}
		c.after = have["after.json"]
		if c.after != nil {
			var checks []impAfterCheck
			if err := impStrictJSON(c.after, &checks); err != nil {
				t.Errorf("%s/after.json: %v", dir, err)
			}
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		t.Fatalf("no cases under %s", importGoldenDir)
	}
	return cases
}

// TestImportGoldenFilesWellFormed checks the case files decode, so a
// broken case fails loudly even without a server.
func TestImportGoldenFilesWellFormed(t *testing.T) {
	loadImportCases(t)
}

func TestImportGolden(t *testing.T) {
	cases := loadImportCases(t)
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind, schemasDir: importSchemasDir,
			extraArgs: []string{"--import-chunk", "2", "--import-workers", "4"}})
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				ts := s.withToken(s.newTenant(t, "golden-"+randomHex(5)))
				runImportCase(t, kind, ts, c)
			})
		}
	})
}

// importVarRe matches the placeholders of input.csv, report.csv, job.json
// and after.json.
var importVarRe = regexp.MustCompile(`\{(?:(id|gid):([^{}\n]+)|unknownId)\}`)

func expandImportVars(t *testing.T, where, s string, vars map[string]string) string {
	t.Helper()
	return importVarRe.ReplaceAllStringFunc(s, func(m string) string {
		v, ok := vars[m[1:len(m)-1]]
		if !ok {
			t.Fatalf("%s: undefined placeholder %s (setup.json defines %v)", where, m, impSortedKeys(vars))
		}
		return v
	})
}

// impApplySetup creates the users and groups of setup.json and returns the
// placeholder values.
func impApplySetup(t *testing.T, s *server, su importSetup) map[string]string {
	t.Helper()
	vars := map[string]string{"unknownId": "01900000-0000-7000-8000-" + randomHex(6)}
	for _, u := range su.Users {
		body := map[string]any{}
		schemasList := []any{userSchema}
		for k, v := range u {
			body[k] = v
			if strings.HasPrefix(k, "urn:") {
				schemasList = append(schemasList, k)
			}
		}
		if _, ok := body["schemas"]; !ok {
			body["schemas"] = schemasList
		}
		un, _ := u["userName"].(string)
		created := s.must(t, http.StatusCreated, "POST", "/scim/v2/Users", body).JSON(t)
		vars["id:"+un] = jstr(created, "id")
	}
	for _, g := range su.Groups {
		var ids []string
		for _, m := range g.Members {
			id, ok := vars["id:"+m]
			if !ok {
				t.Fatalf("setup.json: group %q member %q is not a setup user", g.DisplayName, m)
			}
			ids = append(ids, id)
		}
		vars["gid:"+g.DisplayName] = jstr(s.createGroup(t, g.DisplayName, ids...), "id")
	}
	return vars
}

func runImportCase(t *testing.T, kind testdb.Kind, s *server, c importCase) {
	vars := impApplySetup(t, s, c.setup)
	setupIDs := map[string]bool{}
	for k, v := range vars {
		if strings.HasPrefix(k, "id:") {
			setupIDs[v] = true
		}
	}
	input := []byte(expandImportVars(t, "input.csv", string(c.input), vars))
	before := s.snapshot(t)
	jobsBefore := s.impJobCount(t)

	if c.refused != nil {
		r := s.impPost(t, "Users", c.params, input)
		mustSCIMError(t, r, c.refused.Status)
		detail := strings.ToLower(jstr(r.JSON(t), "detail"))
		for _, want := range c.refused.Detail {
			if !strings.Contains(detail, strings.ToLower(want)) {
				t.Errorf("refusal detail %q does not name %q", detail, want)
			}
		}
		if n := s.impJobCount(t); n != jobsBefore {
			t.Errorf("a refused file created a job: %d jobs, %d before", n, jobsBefore)
		}
		if after := s.snapshot(t); after != before {
			t.Errorf("a refused file changed the tenant:\n%s", diffLines(before, after))
		}
		return
	}

	params, _ := url.ParseQuery(c.params)
	selfDry := strings.EqualFold(params.Get("dryRun"), "true")
	var dry *importJob
	var dryRep []reportLine
	if !selfDry {
		dp := url.Values{}
		for k, v := range params {
			dp[k] = v
		}
		dp.Set("dryRun", "true")
		dry = s.runImport(t, "Users", dp.Encode(), input)
		dryRep = s.report(t, dry.ID)
		if !dry.DryRun {
			t.Errorf("dry-run job %s: dryRun is false", dry.ID)
		}
		checkJobInvariants(t, dry, dryRep)
		if after := s.snapshot(t); after != before {
			t.Fatalf("the dry run wrote to the tenant:\n%s", diffLines(before, after))
		}
	}

	j := s.runImport(t, "Users", c.params, input)
	rep := s.report(t, j.ID)
	checkJobInvariants(t, j, rep)
	expectJSON(t, j.raw, expandImportVars(t, "job.json", string(c.job), vars))
	if selfDry || j.Status == "failed" {
		if after := s.snapshot(t); after != before {
			t.Errorf("job %s (dryRun=%v, status %s) changed the tenant:\n%s", j.ID, j.DryRun, j.Status, diffLines(before, after))
		}
	}
	impCompareReport(t, s, expandImportVars(t, "report.csv", string(c.report), vars), rep)
	if dry != nil {
		impCompareDryRun(t, dry, dryRep, j, rep, setupIDs)
	}
	if c.after != nil {
		impAfterChecks(t, kind, s, expandImportVars(t, "after.json", string(c.after), vars))
	}
	if t.Failed() {
		t.Logf("job: %s\nreport:\n%s", impJSON(j.raw), impFormatReport(rep))
	}
}

func impJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func impFormatReport(rep []reportLine) string {
	var b strings.Builder
	for _, l := range rep {
		fmt.Fprintf(&b, "  %d,%s,%s,%s,%q\n", l.Row, l.Status, l.ID, l.UserName, l.Error)
	}
	return b.String()
}

// impCompareReport checks the actual report against report.csv.
func impCompareReport(t *testing.T, s *server, wantCSV string, got []reportLine) {
	t.Helper()
	want, err := parseImpReport([]byte(wantCSV))
	if err != nil {
		t.Fatalf("report.csv: %v", err)
	}
	if len(want) != len(got) {
		t.Errorf("report has %d lines, report.csv %d", len(got), len(want))
	}
	for i := 0; i < len(want) && i < len(got); i++ {
		w, g := want[i], got[i]
		at := fmt.Sprintf("report line %d (row %d)", i+1, w.Row)
		if w.Row != g.Row || w.Status != g.Status || w.UserName != g.UserName {
			t.Errorf("%s: got row=%d status=%s userName=%q, want row=%d status=%s userName=%q (error %q)",
				at, g.Row, g.Status, g.UserName, w.Row, w.Status, w.UserName, g.Error)
		}
		switch {
		case w.Error == "" && g.Error != "":
			t.Errorf("%s: unexpected error %q", at, g.Error)
		case w.Error != "" && !strings.Contains(strings.ToLower(g.Error), strings.ToLower(w.Error)):
			t.Errorf("%s: error %q does not contain %q", at, g.Error, w.Error)
		}
		switch w.ID {
		case "":
			if g.ID != "" {
				t.Errorf("%s: id %q, want none", at, g.ID)
			}
		case "*":
			if g.ID == "" {
				t.Errorf("%s: no id", at)
			}
		case "{id}":
			u := s.impUserByName(t, w.UserName)
			if u == nil {
				t.Errorf("%s: no user %q after the run", at, w.UserName)
			} else if jstr(u, "id") != g.ID {
				t.Errorf("%s: id %q, but user %q has id %q", at, g.ID, w.UserName, jstr(u, "id"))
			}
		default:
			if g.ID != w.ID {
				t.Errorf("%s: id %q, want %q", at, g.ID, w.ID)
			}
		}
	}
}

// impCompareDryRun checks that a dry run reported what the real run did.
func impCompareDryRun(t *testing.T, dry *importJob, dryRep []reportLine, real *importJob, rep []reportLine, setupIDs map[string]bool) {
	t.Helper()
	if dry.Status != real.Status || dry.Error != real.Error {
		t.Errorf("dry run: status %s error %q; real run: status %s error %q", dry.Status, dry.Error, real.Status, real.Error)
	}
	if dry.counts() != real.counts() {
		t.Errorf("dry run counts differ from the real run's:\n  dry:  %s\n  real: %s", dry.counts(), real.counts())
	}
	if len(dryRep) != len(rep) {
		t.Errorf("dry run report has %d lines, the real run's %d", len(dryRep), len(rep))
		return
	}
	for i := range rep {
		d, r := dryRep[i], rep[i]
		if d.Row != r.Row || d.Status != r.Status || d.UserName != r.UserName || d.Error != r.Error {
			t.Errorf("row %d: dry run says %s %q %q, the real run %s %q %q", r.Row, d.Status, d.UserName, d.Error, r.Status, r.UserName, r.Error)
		}
		if (setupIDs[d.ID] || setupIDs[r.ID]) && d.ID != r.ID {
			t.Errorf("row %d: dry run names user %s, the real run %s", r.Row, d.ID, r.ID)
		}
	}
}

func impAfterChecks(t *testing.T, kind testdb.Kind, s *server, raw string) {
	t.Helper()
	var checks []impAfterCheck
	if err := impStrictJSON([]byte(raw), &checks); err != nil {
		t.Fatalf("after.json: %v", err)
	}
	for i, c := range checks {
		at := fmt.Sprintf("after.json[%d]", i)
		switch {
		case c.StoredPassword != nil:
			impCheckStoredPassword(t, kind, s, c.StoredPassword.UserName, c.StoredPassword.Plaintext)
		case c.Path != "":
			r := s.do(t, "GET", encodePath(c.Path), nil)
			if r.Status != http.StatusOK {
				t.Errorf("%s: GET %s: %d %s", at, c.Path, r.Status, r.Body)
				continue
			}
			doc := r.JSON(t)
			if len(c.Expect) > 0 {
				var w any
				if err := json.Unmarshal(c.Expect, &w); err != nil {
					t.Fatalf("%s: expect: %v", at, err)
				}
				if errs := match(w, doc, "$"); len(errs) > 0 {
					t.Errorf("%s: GET %s does not match:\n  %s\nresponse: %s", at, c.Path, strings.Join(errs, "\n  "), impCut(string(r.Body), 3000))
				}
			}
			for _, p := range c.Absent {
				if got := lookupAll(doc, p); len(got) > 0 {
					t.Errorf("%s: GET %s: %q must be absent, found %s", at, c.Path, p, short(got))
				}
			}
		default:
			t.Errorf("%s: neither path nor storedPassword", at)
		}
	}
}

// impCheckStoredPassword reads the stored password of userName from the
// database: a hash, not the plaintext.
func impCheckStoredPassword(t *testing.T, kind testdb.Kind, s *server, userName, plaintext string) {
	t.Helper()
	u := s.impUserByName(t, userName)
	if u == nil {
		t.Errorf("storedPassword: no user %q", userName)
		return
	}
	db := impOpenDB(t, kind, s.DSN)
	query := "SELECT COALESCE(password_hash, '') FROM scim_users WHERE id = ?"
	if kind == testdb.Postgres {
		query = "SELECT COALESCE(password_hash, '') FROM scim_users WHERE id = $1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var hash string
	if err := db.QueryRowContext(ctx, query, jstr(u, "id")).Scan(&hash); err != nil {
		t.Fatalf("read password hash: %v", err)
	}
	switch {
	case hash == "":
		t.Errorf("user %q has no stored password", userName)
	case strings.Contains(hash, plaintext):
		t.Errorf("user %q: the plaintext password is stored", userName)
	case !strings.HasPrefix(hash, "$argon2id$") && !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$"):
		t.Errorf("user %q: stored password %q is not an argon2id or bcrypt hash", userName, impCut(hash, 20))
	}
}
