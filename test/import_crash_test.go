package test

import (
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/scim"
)

// Crash safety of import jobs (SPEC §8: "after a crash, a running import
// resumes from its last committed chunk, and no row is applied twice or
// lost"). The server runs with small chunks so that a large file commits
// many times; it is killed (SIGKILL) or stopped (SIGTERM) in the middle
// of the job and started again on the same database.

const (
	crashRows  = 200_000
	crashChunk = "500"
)

// waitMidJob polls a job until at least a third but not all of its rows
// are processed, and returns the job as seen then.
func waitMidJob(t *testing.T, s *server, id string, timeout time.Duration) *importJob {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		j := s.impGetJob(t, id)
		if j.finished() {
			t.Fatalf("job %s finished (%s, %s) before it could be interrupted", id, j.Status, j.counts())
		}
		if j.Status == "running" && j.Total > 0 && j.Processed >= j.Total/3 && j.Processed < j.Total {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s did not get going within %v", id, timeout)
	return nil
}

// TestImportCrashResume kills the server with SIGKILL in the middle of a
// 200,000-row import, starts a new one on the same database, and checks
// the job finishes with every row applied exactly once. The new process
// reclaims the job once the dead worker's lease (scim.JobLease) expires.
func TestImportCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	t.Parallel()
	file := impNativeRows("crash", crashRows)
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		t.Parallel()
		args := []string{"--import-chunk", crashChunk}
		s1 := startServer(t, serverOpts{kind: kind, extraArgs: args})
		id := s1.impStart(t, "Users", "description=crash+test", file)
		mid := waitMidJob(t, s1, id, 2*time.Minute)
		s1.kill()
		killedAt := time.Now()
		t.Logf("killed after %d of %d rows", mid.Processed, mid.Total)

		s2 := startServer(t, serverOpts{kind: kind, dsn: s1.DSN, extraArgs: args})
		j := s2.impWaitJob(t, id, 3*time.Minute)
		impCheckAllCreated(t, s2, j, crashRows, 0)
		if j.Description != "crash test" {
			t.Errorf("description %q survived as %q", "crash test", j.Description)
		}

		// The new process resumed the job after a committed chunk, not
		// from the start, and took it over only after the lease.
		cps := impStartedCheckpoints(s2.stderr.String(), id)
		switch {
		case len(cps) != 1:
			t.Errorf("the restarted server logged %d \"job started\" lines for the job (checkpoints %v), want 1\n%s", len(cps), cps, s2.logTail(20))
		case cps[0] < mid.Processed || cps[0]%500 != 0 || cps[0] >= crashRows:
			t.Errorf("resumed at checkpoint %d; want a chunk boundary at or after %d (processed when killed)", cps[0], mid.Processed)
		default:
			t.Logf("resumed at checkpoint %d", cps[0])
		}
		if line := impLogLines(s2.stderr.String(), "job started", "job="+id); len(line) == 1 {
			at, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(strings.Fields(line[0])[0], "time="))
			if err == nil {
				wait := at.Sub(killedAt)
				t.Logf("job reclaimed %v after the kill (lease %v)", wait.Round(10*time.Millisecond), scim.JobLease)
				if wait > scim.JobLease+10*time.Second {
					t.Errorf("job reclaimed %v after the kill; the lease is %v", wait, scim.JobLease)
				}
			}
		}
	})
}

// TestImportGracefulShutdown stops the server with SIGTERM in the middle
// of an import: the job is released to the queue (status queued, no
// claim, checkpoint kept) and a restarted server resumes it at once,
// without waiting for a lease.
func TestImportGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("shutdown test skipped in -short mode")
	}
	t.Parallel()
	const rows = 100_000
	file := impNativeRows("term", rows)
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		t.Parallel()
		args := []string{"--import-chunk", crashChunk}
		s1 := startServer(t, serverOpts{kind: kind, extraArgs: args})
		id := s1.impStart(t, "Users", "", file)
		mid := waitMidJob(t, s1, id, 2*time.Minute)
		stopStart := time.Now()
		s1.stop()
		t.Logf("SIGTERM after %d of %d rows; stopped in %v", mid.Processed, mid.Total, time.Since(stopStart).Round(time.Millisecond))
		if s1.waitErr != nil {
			t.Errorf("graceful shutdown exited with %v\n%s", s1.waitErr, s1.logTail(20))
		}
		if len(impLogLines(s1.stderr.String(), "job released for resumption", "job="+id)) != 1 {
			t.Errorf("no \"job released for resumption\" log line for the job:\n%s", s1.logTail(20))
		}

		db := impOpenDB(t, kind, s1.DSN)
		status, claim, cp := impDBJob(t, db, kind, id)
		if status != "queued" || claim != "" {
			t.Errorf("after SIGTERM the job is %q claimed by %q, want queued and unclaimed", status, claim)
		}
		if cp < mid.Processed || cp%500 != 0 || cp >= rows {
			t.Errorf("checkpoint %d after SIGTERM; want a chunk boundary at or after %d", cp, mid.Processed)
		}
		db.Close()

		restart := time.Now()
		s2 := startServer(t, serverOpts{kind: kind, dsn: s1.DSN, extraArgs: args})
		// Resumed at once: well before a lease could expire.
		deadline := restart.Add(scim.JobLease / 2)
		for len(impStartedCheckpoints(s2.stderr.String(), id)) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the restarted server did not resume the released job within %v\n%s", scim.JobLease/2, s2.logTail(20))
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("resumed %v after the restart began", time.Since(restart).Round(time.Millisecond))
		if cps := impStartedCheckpoints(s2.stderr.String(), id); cps[0] != cp {
			t.Errorf("resumed at checkpoint %d, the released job had %d", cps[0], cp)
		}
		j := s2.impWaitJob(t, id, 3*time.Minute)
		impCheckAllCreated(t, s2, j, rows, 0)
	})
}
