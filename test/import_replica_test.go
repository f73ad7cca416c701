package test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// TestImportReplicas runs two scimd processes on ONE PostgreSQL database
// (SPEC §1: stateless replicas, jobs claimed with FOR UPDATE SKIP LOCKED)
// and queues several import jobs through both: each job must be run by
// exactly one process, once, with no row applied twice. Which process ran
// a job is read from the logs ("job started" / "job finished" lines carry
// the job id). Starting the second process must not re-bootstrap the
// database destructively.
func TestImportReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("replica test skipped in -short mode")
	}
	dsn := testdb.DSN(t, testdb.Postgres) // skips without SCIMD_TEST_POSTGRES_DSN
	args := []string{"--import-workers", "2", "--import-chunk", "1000"}
	a := startServer(t, serverOpts{kind: testdb.Postgres, dsn: dsn, extraArgs: args})

	// State the second replica's start must leave alone.
	canary := a.createUser(t, "replica.canary", map[string]any{"title": "Canary"})
	grp := a.createGroup(t, "Replica Group", jstr(canary, "id"))
	_, extraToken := a.newToken(t, "default", "users:read")
	before := a.snapshot(t)

	b := startServer(t, serverOpts{kind: testdb.Postgres, dsn: dsn, extraArgs: args})
	t.Run("second replica does not re-bootstrap", func(t *testing.T) {
		if after := b.snapshot(t); after != before {
			t.Errorf("the tenant changed when the second replica started:\n%s", diffLines(before, after))
		}
		if g := b.must(t, http.StatusOK, "GET", "/scim/v2/Groups/"+jstr(grp, "id"), nil).JSON(t); jlen(g, "members") != 1 {
			t.Errorf("group members after the second start: %v", g["members"])
		}
		if r := b.doToken(t, extraToken, "GET", "/scim/v2/Users?count=1", nil); r.Status != http.StatusOK {
			t.Errorf("a token created before the second start no longer works: %d %s", r.Status, r.Body)
		}
		tenants := b.adminDo(t, "GET", "/admin/v1/tenants", nil)
		if n := strings.Count(string(tenants.Body), `"default"`); tenants.Status != http.StatusOK || n != 1 {
			t.Errorf("GET /admin/v1/tenants: %d, %d tenants named default: %s", tenants.Status, n, tenants.Body)
		}
		if lines := impLogLines(b.stderr.String(), "sqlstore: applied migration"); len(lines) != 0 {
			t.Errorf("the second replica applied migrations again:\n%s", strings.Join(lines, "\n"))
		}
	})

	const jobs, rows = 6, 20_000
	servers := []*server{a, b}
	ids := make([]string, jobs)
	for i := range ids {
		ids[i] = servers[i%2].impStart(t, "Users", fmt.Sprintf("description=replica+job+%d", i), impNativeRows(fmt.Sprintf("rep%d.", i), rows))
	}
	ran := map[string]int{}
	for i, id := range ids {
		j := servers[(i+1)%2].impWaitJob(t, id, 5*time.Minute) // read through the other replica
		if j.Status != "succeeded" || j.Total != rows || j.Processed != rows || j.Created != rows || j.Failed != 0 {
			t.Errorf("job %d (%s): %s %q %s; want succeeded with %d rows created", i, id, j.Status, j.Error, j.counts(), rows)
		}
		rep := a.report(t, id)
		checkJobInvariants(t, j, rep)
		// "job finished" is logged after the job record is final (and
		// after the planner statistics refresh that follows a large
		// import): wait for it.
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if len(impLogLines(a.stderr.String(), "job finished", "job="+id))+len(impLogLines(b.stderr.String(), "job finished", "job="+id)) > 0 {
				break
			}
		}
		var runners []string
		for k, s := range servers {
			log := s.stderr.String()
			started := len(impLogLines(log, "job started", "job="+id))
			finished := len(impLogLines(log, "job finished", "job="+id))
			if started != finished {
				t.Errorf("job %s: replica %d logged %d starts and %d finishes", id, k, started, finished)
			}
			for n := 0; n < started; n++ {
				runners = append(runners, fmt.Sprint(k))
			}
		}
		if len(runners) != 1 {
			t.Errorf("job %s was started %d times (by replicas %v), want exactly once", id, len(runners), runners)
		} else {
			ran["replica "+runners[0]]++
		}
	}
	t.Logf("jobs run per replica: %v", ran)
	if got, want := a.impUserCount(t), jobs*rows+1; got != want {
		t.Errorf("%d users, want %d (%d jobs × %d rows + the canary): rows applied twice or lost", got, want, jobs, rows)
	}
}
