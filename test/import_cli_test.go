package test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// The `scimd import users|groups FILE` command against a running server:
// exit status 0 when every row succeeded, 1 when rows failed, 2 when the
// job failed or the upload was refused; the report is saved next to FILE
// (FILE without its extension + .report.csv).

type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the built scimd binary with args and env.
func runCLI(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := cliResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("scimd %v: %v", args, err)
	}
	return r
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// savedReport reads the report the command saved for file.
func savedReport(t *testing.T, file string) []reportLine {
	t.Helper()
	p := strings.TrimSuffix(file, filepath.Ext(file)) + ".report.csv"
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("report not saved next to %s: %v", file, err)
	}
	lines, err := parseImpReport(raw)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return lines
}

func TestImportCLI(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		dir := t.TempDir()
		conn := []string{"--url", s.URL, "--token", s.Token, "--progress=false"}
		imp := func(what, file string, more ...string) cliResult {
			return runCLI(t, nil, append(append([]string{"import", what, file}, conn...), more...)...)
		}

		t.Run("all rows succeed: exit 0, report saved", func(t *testing.T) {
			f := writeFile(t, dir, "ok.csv", "userName,name.givenName,title\ncli.a,A,T\ncli.b,B,T\ncli.c,C,T\n")
			r := imp("users", f, "--description", "from the CLI")
			if r.code != 0 {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			rep := savedReport(t, f)
			if len(rep) != 3 {
				t.Fatalf("saved report has %d lines, want 3", len(rep))
			}
			for _, l := range rep {
				if l.Status != "created" || s.impUserByName(t, l.UserName) == nil {
					t.Errorf("row %d: %s %s", l.Row, l.Status, l.UserName)
				}
			}
			if !strings.Contains(r.stdout, "3 of 3") || !strings.Contains(r.stdout, "succeeded") {
				t.Errorf("stdout lacks the counts:\n%s", r.stdout)
			}
			if !strings.Contains(r.stderr, "report saved to "+strings.TrimSuffix(f, ".csv")+".report.csv") {
				t.Errorf("stderr does not say where the report is:\n%s", r.stderr)
			}
		})

		t.Run("rows failed: exit 1", func(t *testing.T) {
			f := writeFile(t, dir, "bad.csv", "userName,active\ncli.d,true\ncli.e,perhaps\ncli.f,false\n")
			r := imp("users", f)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			rep := savedReport(t, f)
			if len(rep) != 3 || rep[1].Status != "failed" || !strings.Contains(rep[1].Error, "active") {
				t.Errorf("report: %+v", rep)
			}
			if !strings.Contains(r.stderr, "1 row(s) failed") {
				t.Errorf("stderr does not count the failed rows:\n%s", r.stderr)
			}
			if s.impUserByName(t, "cli.d") == nil || s.impUserByName(t, "cli.f") == nil {
				t.Error("the good rows were not applied")
			}
		})

		t.Run("dry run writes nothing", func(t *testing.T) {
			f := writeFile(t, dir, "dry.csv", "userName,title\ncli.g,T\ncli.a,Changed\n")
			users := s.impUserCount(t)
			r := imp("users", f, "--dry-run")
			if r.code != 0 {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "dry run") {
				t.Errorf("stdout does not say it was a dry run:\n%s", r.stdout)
			}
			rep := savedReport(t, f)
			if len(rep) != 2 || rep[0].Status != "created" || rep[1].Status != "updated" {
				t.Errorf("dry-run report: %+v", rep)
			}
			if n := s.impUserCount(t); n != users {
				t.Errorf("%d users after a dry run, %d before", n, users)
			}
			if u := s.impUserByName(t, "cli.a"); jstr(u, "title") != "T" {
				t.Errorf("a dry run changed cli.a: title %q", jstr(u, "title"))
			}
		})

		t.Run("flags: mode, match-by, create-groups, env twins, report path", func(t *testing.T) {
			f := writeFile(t, dir, "flags.csv", "userName,emails[0].value,emails[0].primary,title,groups\ncli.renamed,CLI.A@example.com,true,Renamed,CLI Team\n")
			s.must(t, 200, "PATCH", "/scim/v2/Users/"+jstr(s.impUserByName(t, "cli.a"), "id"),
				patchOps(map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": "cli.a@example.com", "primary": true}}}))
			out := filepath.Join(dir, "elsewhere.csv")
			r := runCLI(t, []string{"SCIMD_URL=" + s.URL, "SCIMD_TOKEN=" + s.Token},
				"import", "users", f, "--progress=false", "--match-by", "emails", "--create-groups", "--report", out)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := parseImpReport(raw); err != nil || len(rep) != 1 || rep[0].Status != "updated" {
				t.Errorf("report %v %+v", err, rep)
			}
			u := s.impUserByName(t, "cli.renamed")
			if u == nil || jstr(u, "title") != "Renamed" || jstr(u, "groups.0.display") != "CLI Team" {
				t.Errorf("matched by e-mail, renamed and added to a new group: %v", u)
			}
			r = imp("users", f, "--mode", "fail")
			if r.code != 2 || !strings.Contains(r.stderr, "mode=fail") {
				t.Errorf("mode=fail with a match: exit %d, want 2 naming the conflict\nstderr:\n%s", r.code, r.stderr)
			}
		})

		t.Run("refused upload: exit 2, the reason, no report", func(t *testing.T) {
			f := writeFile(t, dir, "refused.csv", "userName,name.givnName\nx,y\n")
			r := imp("users", f)
			if r.code != 2 || !strings.Contains(r.stderr, "name.givnName") {
				t.Errorf("exit %d, want 2 naming the column\nstderr:\n%s", r.code, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "refused.report.csv")); err == nil {
				t.Error("a refused upload saved a report")
			}
			r = runCLI(t, nil, "import", "users", f, "--url", s.URL, "--token", "wrong-token-0123456789", "--progress=false")
			if r.code != 2 || !strings.Contains(r.stderr, "401") {
				t.Errorf("bad token: exit %d, want 2 with the 401\nstderr:\n%s", r.code, r.stderr)
			}
		})

		t.Run("groups import", func(t *testing.T) {
			f := writeFile(t, dir, "groups.csv", "userName,groups\ncli.b,CLI Team;Second\nnobody.here,CLI Team\n")
			r := imp("groups", f)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1 (one row names no user)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			rep := savedReport(t, f)
			if len(rep) != 2 || rep[0].Status == "failed" || rep[1].Status != "failed" {
				t.Errorf("groups report: %+v", rep)
			}
			if !strings.Contains(r.stdout, "memberships added") {
				t.Errorf("stdout lacks the memberships count:\n%s", r.stdout)
			}
		})
	})
}
