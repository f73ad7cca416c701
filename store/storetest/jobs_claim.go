package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/store"
)

// Claims and the job state machine.
var jobClaimCases = []testCase{
	{"jobs/claim_oldest_first", testJobClaimOrder},
	{"jobs/claim_exactly_once_concurrent", testJobClaimConcurrent},
	{"jobs/lease_expiry_reclaim", testJobLeaseExpiry},
	{"jobs/heartbeat", testJobHeartbeat},
	{"jobs/save_progress", testJobSaveProgress},
	{"jobs/finish", testJobFinish},
	{"jobs/release", testJobRelease},
	{"jobs/cancel", testJobCancel},
}

// claim claims a job for worker (lease one hour) and checks it is want.
func (e *env) claim(worker, want string) store.Job {
	e.t.Helper()
	j, err := e.s.ClaimJob(e.ctx, worker, time.Hour)
	e.noErr("ClaimJob("+worker+")", err)
	if j.ID != want {
		e.t.Fatalf("ClaimJob(%s) claimed %s, want %s", worker, j.ID, want)
	}
	return j
}

// noClaim checks that no job is runnable for a lease.
func (e *env) noClaim(what string, lease time.Duration) {
	e.t.Helper()
	j, err := e.s.ClaimJob(e.ctx, "nobody", lease)
	if !errors.Is(err, store.ErrNotFound) {
		e.t.Fatalf("%s: ClaimJob = %s %v, want ErrNotFound", what, j.ID, err)
	}
}

// saveProgress runs SaveProgress in a transaction of tenant.
func (e *env) saveProgress(tenant int64, j *store.Job) error {
	return e.s.Tx(e.ctx, tenant, func(tx store.Tx) error { return tx.SaveProgress(e.ctx, j) })
}

// at returns base plus n minutes, as stored (microseconds, UTC).
func at(base time.Time, n int) time.Time {
	return base.Add(time.Duration(n) * time.Minute).UTC().Truncate(time.Microsecond)
}

func testJobClaimOrder(e *env) {
	base := time.Now().Add(-time.Hour)
	newer, oldest, middle := newJob(e.a.ID), newJob(e.a.ID), newJob(e.b.ID)
	newer.CreatedAt, oldest.CreatedAt, middle.CreatedAt = at(base, 2), at(base, 0), at(base, 1)
	e.createJob(newer, []byte("userName\nn\n"))
	e.createJob(oldest, []byte("userName\no\n"))
	e.createJob(middle, nil)

	if _, err := e.s.ClaimJob(e.ctx, "", time.Hour); err == nil || errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("ClaimJob with no worker name: error %v, want a usage error", err)
	}
	before := time.Now().Add(-time.Second)
	c := e.claim("w1", oldest.ID)
	eq(e, "claimed status", c.Status, store.JobRunning)
	eq(e, "claimed by", c.ClaimedBy, "w1")
	eq(e, "claimed tenant", c.TenantID, e.a.ID)
	if c.HeartbeatAt == nil || c.StartedAt == nil || c.HeartbeatAt.Before(before) || !c.StartedAt.Equal(*c.HeartbeatAt) {
		e.t.Errorf("claim times: heartbeat %v, started %v", c.HeartbeatAt, c.StartedAt)
	}
	want := *oldest
	want.Status, want.ClaimedBy, want.HeartbeatAt, want.StartedAt = store.JobRunning, "w1", c.HeartbeatAt, c.StartedAt
	e.sameJob("claimed job", c, want)
	e.sameJob("stored claimed job", e.getJob(e.a.ID, oldest.ID), want)

	cb := e.claim("w2", middle.ID) // any tenant
	eq(e, "claimed tenant b", cb.TenantID, e.b.ID)
	e.claim("w1", newer.ID)
	e.noClaim("all claimed", time.Hour)
	e.noClaim("lease 0 takes queued jobs only", 0)
}

// testJobClaimConcurrent: workers claim concurrently until nothing is
// left; every job is claimed by exactly one.
func testJobClaimConcurrent(e *env) {
	const jobs, workers = 40, 8
	base := time.Now().Add(-time.Hour)
	tenantOf := map[string]int64{}
	for i := range jobs {
		tenant := e.a.ID
		if i%3 == 0 {
			tenant = e.b.ID
		}
		j := newJob(tenant)
		j.CreatedAt = at(base, i%5) // ties on purpose
		e.createJob(j, nil)
		tenantOf[j.ID] = tenant
	}
	claimed := ClaimAll(e.t, e.ctx, []store.JobStore{e.s}, workers)
	eq(e, "jobs claimed", len(claimed), jobs)
	for id, worker := range claimed {
		eq(e, "stored claim of "+id, e.getJob(tenantOf[id], id).ClaimedBy, worker)
	}
}

// ClaimAll runs workers goroutines per store, each claiming jobs in a loop
// until none is left, and returns which worker claimed each job; a job
// claimed twice fails t. Several stores opened on one database stand for
// several server processes.
func ClaimAll(t testing.TB, ctx context.Context, stores []store.JobStore, workers int) map[string]string {
	t.Helper()
	var (
		mu      sync.Mutex
		claimed = map[string]string{}
		wg      sync.WaitGroup
	)
	for si, s := range stores {
		for w := range workers {
			worker := fmt.Sprintf("store%d-worker%d", si, w)
			wg.Go(func() {
				for {
					j, err := s.ClaimJob(ctx, worker, time.Hour)
					if errors.Is(err, store.ErrNotFound) {
						return
					}
					if err != nil {
						t.Errorf("ClaimJob(%s): %v", worker, err)
						return
					}
					mu.Lock()
					if prev, dup := claimed[j.ID]; dup {
						t.Errorf("job %s claimed twice: by %s and %s", j.ID, prev, worker)
					}
					claimed[j.ID] = worker
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return claimed
}

func testJobLeaseExpiry(e *env) {
	j := newJob(e.a.ID)
	e.createJob(j, []byte("userName\nx\n"))
	first := e.claim("A", j.ID)
	e.noClaim("a fresh claim is not taken over", time.Hour)
	time.Sleep(30 * time.Millisecond)
	e.noClaim("lease 0 never takes a running job", 0)
	second, err := e.s.ClaimJob(e.ctx, "B", 10*time.Millisecond)
	e.noErr("ClaimJob after the lease", err)
	eq(e, "re-claimed job", second.ID, j.ID)
	eq(e, "re-claimed by", second.ClaimedBy, "B")
	e.sameTime("StartedAt kept", *second.StartedAt, *first.StartedAt)
	if !second.HeartbeatAt.After(*first.HeartbeatAt) {
		e.t.Errorf("heartbeat %v not after the first claim's %v", second.HeartbeatAt, first.HeartbeatAt)
	}

	// A lost its claim: every write of A fails and changes nothing.
	_, err = e.s.Heartbeat(e.ctx, e.a.ID, j.ID, "A")
	e.wantErr("Heartbeat of the old worker", err, store.ErrNotFound)
	ghost := e.newUser("ghost", nil)
	first.Checkpoint = 100
	err = e.s.Tx(e.ctx, e.a.ID, func(tx store.Tx) error {
		if err := tx.InsertUsers(e.ctx, []*store.User{ghost}); err != nil {
			return err
		}
		if err := tx.AppendReport(e.ctx, j.ID, reportLines(1, 100, "")); err != nil {
			return err
		}
		return tx.SaveProgress(e.ctx, &first)
	})
	e.wantErr("SaveProgress of the old worker", err, store.ErrNotFound)
	_, err = e.s.GetUser(e.ctx, e.a.ID, ghost.ID)
	e.wantErr("the old worker's chunk rolled back", err, store.ErrNotFound)
	eq(e, "the old worker's report lines rolled back", len(e.report(e.a.ID, j.ID)), 0)
	fin := first
	fin.Status = store.JobSucceeded
	e.wantErr("FinishJob of the old worker", e.s.FinishJob(e.ctx, &fin), store.ErrNotFound)
	e.wantErr("ReleaseJob of the old worker", e.s.ReleaseJob(e.ctx, &first), store.ErrNotFound)

	second.Checkpoint = 7
	e.noErr("SaveProgress of the new worker", e.saveProgress(e.a.ID, &second))
	got := e.getJob(e.a.ID, j.ID)
	eq(e, "checkpoint", got.Checkpoint, int64(7))
	eq(e, "claim", [2]string{got.Status, got.ClaimedBy}, [2]string{store.JobRunning, "B"})
}

func testJobHeartbeat(e *env) {
	j := newJob(e.a.ID)
	e.createJob(j, nil)
	c := e.claim("w1", j.ID)
	time.Sleep(2 * time.Millisecond)
	h, err := e.s.Heartbeat(e.ctx, e.a.ID, j.ID, "w1")
	e.noErr("Heartbeat", err)
	if h.HeartbeatAt == nil || !h.HeartbeatAt.After(*c.HeartbeatAt) {
		e.t.Errorf("heartbeat %v not after the claim's %v", h.HeartbeatAt, c.HeartbeatAt)
	}
	want := c
	want.HeartbeatAt = h.HeartbeatAt
	e.sameJob("Heartbeat returns the job", h, want)
	e.sameJob("stored heartbeat", e.getJob(e.a.ID, j.ID), want)
	_, err = e.s.Heartbeat(e.ctx, e.a.ID, j.ID, "w2")
	e.wantErr("Heartbeat of another worker", err, store.ErrNotFound)
	_, err = e.s.Heartbeat(e.ctx, e.a.ID, j.ID, "")
	e.wantErr("Heartbeat without a worker", err, store.ErrNotFound)
	_, err = e.s.Heartbeat(e.ctx, e.a.ID, newID(), "w1")
	e.wantErr("Heartbeat of an unknown job", err, store.ErrNotFound)

	_, err = e.s.RequestCancel(e.ctx, e.a.ID, j.ID)
	e.noErr("RequestCancel", err)
	h, err = e.s.Heartbeat(e.ctx, e.a.ID, j.ID, "w1")
	e.noErr("Heartbeat after a cancel request", err)
	eq(e, "the worker sees the cancel request", h.CancelRequested, true)

	q := newJob(e.a.ID)
	e.createJob(q, nil)
	_, err = e.s.Heartbeat(e.ctx, e.a.ID, q.ID, "w1")
	e.wantErr("Heartbeat of a queued job", err, store.ErrNotFound)
}

func testJobSaveProgress(e *env) {
	j := newJob(e.a.ID)
	e.createJob(j, []byte("userName\nx\n"))
	c := e.claim("w1", j.ID)
	time.Sleep(2 * time.Millisecond)
	c.JobCounts = store.JobCounts{Total: 10, Processed: 9, Created: 2, Updated: 3, Unchanged: 4, Skipped: 5,
		Failed: 6, Truncated: 7, MembershipsAdded: 8}
	c.Checkpoint, c.Phase = 4, 1
	u := e.newUser("written-with-the-checkpoint", nil)
	err := e.s.Tx(e.ctx, e.a.ID, func(tx store.Tx) error {
		if err := tx.InsertUsers(e.ctx, []*store.User{u}); err != nil {
			return err
		}
		if err := tx.AppendReport(e.ctx, j.ID, reportLines(1, 4, "")); err != nil {
			return err
		}
		return tx.SaveProgress(e.ctx, &c)
	})
	e.noErr("chunk with SaveProgress", err)
	e.getUser(u.ID)
	got := e.getJob(e.a.ID, j.ID)
	eq(e, "counts", got.JobCounts, c.JobCounts)
	eq(e, "checkpoint and phase", [2]int64{got.Checkpoint, int64(got.Phase)}, [2]int64{4, 1})
	if got.HeartbeatAt == nil || !got.HeartbeatAt.After(*got.StartedAt) {
		e.t.Errorf("SaveProgress did not refresh the heartbeat: %v (started %v)", got.HeartbeatAt, got.StartedAt)
	}
	if c.HeartbeatAt == nil || !c.HeartbeatAt.Equal(*got.HeartbeatAt) {
		e.t.Errorf("SaveProgress set HeartbeatAt %v on the job, stored %v", c.HeartbeatAt, got.HeartbeatAt)
	}

	// A cancel request is not overwritten by the worker's progress.
	_, err = e.s.RequestCancel(e.ctx, e.a.ID, j.ID)
	e.noErr("RequestCancel", err)
	c.Checkpoint = 8
	e.noErr("SaveProgress after a cancel request", e.saveProgress(e.a.ID, &c))
	got = e.getJob(e.a.ID, j.ID)
	eq(e, "cancel request kept", got.CancelRequested, true)
	eq(e, "checkpoint", got.Checkpoint, int64(8))

	other := c
	other.ClaimedBy = "w2"
	e.wantErr("SaveProgress of another worker", e.saveProgress(e.a.ID, &other), store.ErrNotFound)
	other.ClaimedBy = ""
	e.wantErr("SaveProgress without a worker", e.saveProgress(e.a.ID, &other), store.ErrNotFound)
	q := newJob(e.a.ID)
	e.createJob(q, nil)
	q.ClaimedBy = "w1"
	e.wantErr("SaveProgress of a queued job", e.saveProgress(e.a.ID, q), store.ErrNotFound)
	eq(e, "checkpoint after failed saves", e.getJob(e.a.ID, j.ID).Checkpoint, int64(8))
}

func testJobFinish(e *env) {
	base := time.Now().Add(-time.Hour)
	ok, bad := newJob(e.a.ID), newJob(e.a.ID)
	ok.CreatedAt, bad.CreatedAt = at(base, 0), at(base, 1)
	e.createJob(ok, []byte("userName\nx\n"))
	e.createJob(bad, []byte("userName\ny\n"))
	c := e.claim("w1", ok.ID)
	e.appendReport(e.a.ID, ok.ID, reportLines(1, 3, ""))

	running := c
	if err := e.s.FinishJob(e.ctx, &running); err == nil || errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("FinishJob with status running: error %v, want a usage error", err)
	}
	c.Status, c.Error, c.Checkpoint, c.Phase = store.JobSucceeded, "", 3, 2
	c.JobCounts = store.JobCounts{Total: 3, Processed: 3, Created: 1, Updated: 1, Failed: 1}
	other := c
	other.ClaimedBy = "w2"
	e.wantErr("FinishJob by another worker", e.s.FinishJob(e.ctx, &other), store.ErrNotFound)
	before := time.Now().Add(-time.Second)
	e.noErr("FinishJob", e.s.FinishJob(e.ctx, &c))
	if c.FinishedAt == nil || c.FinishedAt.Before(before) || c.ReportExpiresAt == nil || !c.ReportExpiresAt.After(*c.FinishedAt) {
		e.t.Fatalf("FinishJob times: finished %v, report expires %v", c.FinishedAt, c.ReportExpiresAt)
	}
	got := e.getJob(e.a.ID, ok.ID)
	want := *ok
	want.Status, want.JobCounts, want.Checkpoint, want.Phase = store.JobSucceeded, c.JobCounts, 3, 2
	want.FileSize, want.StartedAt, want.FinishedAt, want.ReportExpiresAt = c.FileSize, c.StartedAt, c.FinishedAt, c.ReportExpiresAt
	e.sameJob("finished job", got, want)
	eq(e, "FinishJob clears the claim on the struct", [2]any{c.ClaimedBy, c.HeartbeatAt}, [2]any{"", (*time.Time)(nil)})
	_, err := e.s.OpenJobFile(e.ctx, e.a.ID, ok.ID)
	e.wantErr("OpenJobFile of a finished job", err, store.ErrNotFound)
	eq(e, "report kept", len(e.report(e.a.ID, ok.ID)), 3)
	again := c
	again.ClaimedBy = "w1"
	e.wantErr("FinishJob twice", e.s.FinishJob(e.ctx, &again), store.ErrNotFound)
	e.wantErr("FinishJob without a claim", e.s.FinishJob(e.ctx, &c), store.ErrNotFound)

	f := e.claim("w1", bad.ID)
	f.Status, f.Error = store.JobFailed, "mode=fail: 3 rows match existing users"
	e.noErr("FinishJob(failed)", e.s.FinishJob(e.ctx, &f))
	got = e.getJob(e.a.ID, bad.ID)
	eq(e, "failed job", [2]string{got.Status, got.Error}, [2]string{store.JobFailed, f.Error})
	e.noClaim("finished jobs are not claimed", time.Nanosecond)
}

func testJobRelease(e *env) {
	j := newJob(e.a.ID)
	data := randomBytes(1<<20+3, 5)
	e.createJob(j, data)
	c := e.claim("w1", j.ID)
	c.Checkpoint, c.Processed = 3, 3
	e.noErr("SaveProgress", e.saveProgress(e.a.ID, &c))
	e.noErr("ReleaseJob", e.s.ReleaseJob(e.ctx, &c))
	eq(e, "released struct", [2]string{c.Status, c.ClaimedBy}, [2]string{store.JobQueued, ""})
	got := e.getJob(e.a.ID, j.ID)
	eq(e, "released", [2]string{got.Status, got.ClaimedBy}, [2]string{store.JobQueued, ""})
	eq(e, "checkpoint kept", [2]int64{got.Checkpoint, got.Processed}, [2]int64{3, 3})
	if got.HeartbeatAt != nil || got.StartedAt == nil || got.FinishedAt != nil {
		e.t.Errorf("released job times: %+v", got)
	}
	if string(e.jobFile(e.a.ID, j.ID)) != string(data) {
		e.t.Errorf("file changed by the release")
	}
	e.wantErr("ReleaseJob twice", e.s.ReleaseJob(e.ctx, &store.Job{ID: j.ID, TenantID: e.a.ID, ClaimedBy: "w1"}),
		store.ErrNotFound)
	r := e.claim("w2", j.ID)
	e.sameTime("StartedAt kept across claims", *r.StartedAt, *got.StartedAt)
	eq(e, "resumes from the checkpoint", r.Checkpoint, int64(3))
	e.wantErr("ReleaseJob by another worker", e.s.ReleaseJob(e.ctx, &store.Job{ID: j.ID, TenantID: e.a.ID, ClaimedBy: "w1"}),
		store.ErrNotFound)
}

func testJobCancel(e *env) {
	base := time.Now().Add(-time.Hour)
	run, queued := newJob(e.a.ID), newJob(e.a.ID)
	run.CreatedAt, queued.CreatedAt = at(base, 0), at(base, 1)
	e.createJob(run, []byte("userName\nr\n"))
	e.createJob(queued, []byte("userName\nq\n"))
	_, err := e.s.RequestCancel(e.ctx, e.b.ID, queued.ID)
	e.wantErr("RequestCancel from another tenant", err, store.ErrNotFound)
	eq(e, "untouched by tenant b", e.getJob(e.a.ID, queued.ID).Status, store.JobQueued)
	c := e.claim("w1", run.ID)

	// Queued: cancelled at once, file deleted, never claimed.
	before := time.Now().Add(-time.Second)
	got, err := e.s.RequestCancel(e.ctx, e.a.ID, queued.ID)
	e.noErr("RequestCancel(queued)", err)
	eq(e, "cancelled", got.Status, store.JobCancelled)
	if got.FinishedAt == nil || got.FinishedAt.Before(before) {
		e.t.Errorf("cancelled job FinishedAt %v", got.FinishedAt)
	}
	e.sameJob("returned as stored", e.getJob(e.a.ID, queued.ID), got)
	_, err = e.s.OpenJobFile(e.ctx, e.a.ID, queued.ID)
	e.wantErr("OpenJobFile of a cancelled job", err, store.ErrNotFound)
	e.noClaim("a cancelled job is not claimed", time.Hour)

	// Running: flagged for its worker.
	got, err = e.s.RequestCancel(e.ctx, e.a.ID, run.ID)
	e.noErr("RequestCancel(running)", err)
	want := c
	want.CancelRequested = true
	e.sameJob("running job flagged", got, want)
	got, err = e.s.RequestCancel(e.ctx, e.a.ID, run.ID)
	e.noErr("RequestCancel(running) twice", err)
	e.sameJob("flagged twice", got, want)
	eq(e, "the file stays for the worker", string(e.jobFile(e.a.ID, run.ID)), "userName\nr\n")

	// Finished: unchanged.
	c.Status = store.JobCancelled
	e.noErr("FinishJob(cancelled)", e.s.FinishJob(e.ctx, &c))
	fin := e.getJob(e.a.ID, run.ID)
	got, err = e.s.RequestCancel(e.ctx, e.a.ID, run.ID)
	e.noErr("RequestCancel(finished)", err)
	e.sameJob("finished job unchanged", got, fin)
	exp := newJob(e.a.ID)
	exp.Status, exp.Type = store.JobSucceeded, store.JobUsersExport
	e.createJob(exp, nil)
	stored := e.getJob(e.a.ID, exp.ID)
	got, err = e.s.RequestCancel(e.ctx, e.a.ID, exp.ID)
	e.noErr("RequestCancel(succeeded)", err)
	e.sameJob("succeeded job unchanged", got, stored)

	_, err = e.s.RequestCancel(e.ctx, e.a.ID, newID())
	e.wantErr("RequestCancel(unknown)", err, store.ErrNotFound)
}
