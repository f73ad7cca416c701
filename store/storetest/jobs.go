package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing/iotest"
	"time"

	"github.com/scimd/scimd/store"
)

// Job records, files and reports. Claims and the job state machine:
// jobs_claim.go.
var jobCases = []testCase{
	{"jobs/create_get", testJobCreateGet},
	{"jobs/create_finished", testJobCreateFinished},
	{"jobs/list_newest_first", testJobList},
	{"jobs/file_round_trip_20MiB", testJobFileRoundTrip},
	{"jobs/file_small_and_empty", testJobFileSmall},
	{"jobs/upload_failure_leaves_nothing", testJobUploadFailure},
	{"jobs/upload_invisible_until_stored", testJobUploadInvisible},
	{"jobs/report", testJobReport},
	{"jobs/report_rolls_back_with_tx", testJobReportRollback},
	{"jobs/purge", testJobPurge},
}

// newJob builds a queued job of tenant, as the upload handler does.
func newJob(tenant int64) *store.Job {
	return &store.Job{
		ID: newID(), TenantID: tenant, Type: store.JobUsersImport, Status: store.JobQueued,
		Description: "nightly HR sync", Mode: "update", DryRun: true,
		Options:   json.RawMessage(`{"matchBy":"emails","emptyCells":"clear"}`),
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
	}
}

// createJob stores j with file (nil: none) and fails on error.
func (e *env) createJob(j *store.Job, file []byte) {
	e.t.Helper()
	var r io.Reader
	if file != nil {
		r = bytes.NewReader(file)
	}
	e.noErr("CreateJob", e.s.CreateJob(e.ctx, j, r))
}

// getJob reads a job that must exist.
func (e *env) getJob(tenant int64, id string) store.Job {
	e.t.Helper()
	j, err := e.s.GetJob(e.ctx, tenant, id)
	e.noErr("GetJob", err)
	return j
}

// jobFile reads a job's whole file.
func (e *env) jobFile(tenant int64, id string) []byte {
	e.t.Helper()
	r, err := e.s.OpenJobFile(e.ctx, tenant, id)
	e.noErr("OpenJobFile", err)
	defer r.Close()
	data, err := io.ReadAll(r)
	e.noErr("read job file", err)
	return data
}

// report reads a job's report lines.
func (e *env) report(tenant int64, id string) []store.ReportLine {
	e.t.Helper()
	out := []store.ReportLine{}
	e.noErr("ScanReport", e.s.ScanReport(e.ctx, tenant, id, func(l store.ReportLine) error {
		out = append(out, l)
		return nil
	}))
	return out
}

// appendReport adds report lines in a transaction of tenant.
func (e *env) appendReport(tenant int64, id string, lines []store.ReportLine) {
	e.t.Helper()
	e.tx(tenant, func(tx store.Tx) {
		e.noErr("AppendReport", tx.AppendReport(e.ctx, id, lines))
	})
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5c1d))
	out := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for k := 0; k < 8 && i+k < n; k++ {
			out[i+k] = byte(v >> (8 * k))
		}
	}
	return out
}

// sameJob compares two job records (times by instant).
func (e *env) sameJob(what string, got, want store.Job) {
	e.t.Helper()
	eqTime := func(a, b *time.Time) bool {
		return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
	}
	g, w := got, want
	for _, p := range []struct{ a, b *time.Time }{
		{&g.CreatedAt, &w.CreatedAt}, {g.HeartbeatAt, w.HeartbeatAt}, {g.StartedAt, w.StartedAt},
		{g.FinishedAt, w.FinishedAt}, {g.ReportExpiresAt, w.ReportExpiresAt},
	} {
		if !eqTime(p.a, p.b) {
			e.t.Errorf("%s: times differ:\n got  %+v\n want %+v", what, got, want)
			return
		}
	}
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	g.HeartbeatAt, g.StartedAt, g.FinishedAt, g.ReportExpiresAt = nil, nil, nil, nil
	w.HeartbeatAt, w.StartedAt, w.FinishedAt, w.ReportExpiresAt = nil, nil, nil, nil
	eq(e, what, g, w)
}

func testJobCreateGet(e *env) {
	j := newJob(e.a.ID)
	j.Status = ""
	e.createJob(j, nil)
	eq(e, "status defaults to queued", j.Status, store.JobQueued)
	got := e.getJob(e.a.ID, j.ID)
	e.sameJob("GetJob", got, *j)
	eq(e, "options kept as given", string(got.Options), `{"matchBy":"emails","emptyCells":"clear"}`)
	eq(e, "no claim", got.ClaimedBy, "")
	if got.StartedAt != nil || got.FinishedAt != nil || got.HeartbeatAt != nil {
		e.t.Errorf("a new job has times set: %+v", got)
	}

	// CreatedAt defaults to now; no options stay none.
	before := time.Now().Add(-time.Second)
	k := &store.Job{ID: newID(), TenantID: e.a.ID, Type: store.JobGroupsImport}
	e.createJob(k, nil)
	got = e.getJob(e.a.ID, k.ID)
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) {
		e.t.Errorf("default CreatedAt %v is not now", got.CreatedAt)
	}
	eq(e, "nil options", got.Options, json.RawMessage(nil))

	dup := newJob(e.a.ID)
	dup.ID = j.ID
	e.wantUniqueness("CreateJob with a taken id", e.s.CreateJob(e.ctx, dup, nil), "id", j.ID)
	same := newJob(e.b.ID)
	same.ID = j.ID
	e.noErr("CreateJob: the same id in another tenant", e.s.CreateJob(e.ctx, same, nil))
	e.noErr("DeleteTenant(b)", e.s.DeleteTenant(e.ctx, "b")) // keep the isolation check about a
	var err error
	e.b, err = e.s.CreateTenant(e.ctx, "b")
	e.noErr("CreateTenant(b)", err)

	running := newJob(e.a.ID)
	running.Status = store.JobRunning
	if err := e.s.CreateJob(e.ctx, running, nil); err == nil {
		e.t.Errorf("CreateJob(running) succeeded: a running job has no worker")
	}
	_, err = e.s.GetJob(e.ctx, e.a.ID, newID())
	e.wantErr("GetJob(unknown)", err, store.ErrNotFound)
}

// testJobCreateFinished records an export after the fact: finished, no
// file, never claimed.
func testJobCreateFinished(e *env) {
	j := newJob(e.a.ID)
	j.Type, j.Status, j.Options = store.JobUsersExport, store.JobSucceeded, nil
	j.JobCounts = store.JobCounts{Total: 3, Processed: 3, Truncated: 1}
	e.createJob(j, nil)
	if j.FinishedAt == nil {
		e.t.Fatalf("CreateJob(succeeded) left FinishedAt nil")
	}
	e.sameJob("GetJob(export)", e.getJob(e.a.ID, j.ID), *j)
	_, err := e.s.ClaimJob(e.ctx, "w1", time.Hour)
	e.wantErr("ClaimJob with only a finished job", err, store.ErrNotFound)
	_, err = e.s.OpenJobFile(e.ctx, e.a.ID, j.ID)
	e.wantErr("OpenJobFile of a finished job", err, store.ErrNotFound)

	withFile := newJob(e.a.ID)
	withFile.Status = store.JobFailed
	if err := e.s.CreateJob(e.ctx, withFile, bytes.NewReader([]byte("x"))); err == nil {
		e.t.Errorf("CreateJob(failed, file) succeeded: a finished job keeps no file")
	}
}

func testJobList(e *env) {
	base := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
	want := make([]string, 5) // newest first
	for _, k := range []int{3, 0, 4, 1, 2} {
		j := newJob(e.a.ID)
		j.CreatedAt = base.Add(time.Duration(k) * time.Minute)
		e.createJob(j, nil)
		want[4-k] = j.ID
	}
	other := newJob(e.b.ID)
	e.createJob(other, nil)

	jobID := func(j store.Job) string { return j.ID }
	all, total, err := e.s.ListJobs(e.ctx, e.a.ID, nil, 0, -1)
	e.noErr("ListJobs", err)
	eq(e, "ListJobs total", total, 5)
	eq(e, "ListJobs order", ids(all, jobID), want)
	page, total, err := e.s.ListJobs(e.ctx, e.a.ID, nil, 1, 2)
	e.noErr("ListJobs page", err)
	eq(e, "page total", total, 5)
	eq(e, "page", ids(page, jobID), want[1:3])
	page, total, err = e.s.ListJobs(e.ctx, e.a.ID, nil, 4, 10)
	e.noErr("ListJobs last page", err)
	eq(e, "last page", ids(page, jobID), want[4:])
	page, total, err = e.s.ListJobs(e.ctx, e.a.ID, nil, 0, 0)
	e.noErr("ListJobs count 0", err)
	eq(e, "count 0: total only", [2]int{len(page), total}, [2]int{0, 5})
	page, _, err = e.s.ListJobs(e.ctx, e.a.ID, nil, 9, 10)
	e.noErr("ListJobs beyond the end", err)
	eq(e, "beyond the end", len(page), 0)

	// The same creation time: id descending breaks the tie.
	tie1, tie2 := newJob(e.b.ID), newJob(e.b.ID)
	tie1.CreatedAt, tie2.CreatedAt = base, base
	e.createJob(tie1, nil)
	e.createJob(tie2, nil)
	bl, total, err := e.s.ListJobs(e.ctx, e.b.ID, nil, 0, -1)
	e.noErr("ListJobs(b)", err)
	eq(e, "tenant b total", total, 3)
	eq(e, "tenant b order", ids(bl, jobID), []string{other.ID, max(tie1.ID, tie2.ID), min(tie1.ID, tie2.ID)})

	// A type filter keeps only jobs of those types, in total too.
	exp := newJob(e.b.ID)
	exp.Type = store.JobUsersExport
	e.createJob(exp, nil)
	tl, total, err := e.s.ListJobs(e.ctx, e.b.ID, []string{store.JobUsersExport, store.JobTenantExport}, 0, -1)
	e.noErr("ListJobs(types)", err)
	eq(e, "filtered by type", [2]any{ids(tl, jobID), total}, [2]any{[]string{exp.ID}, 1})
	tl, total, err = e.s.ListJobs(e.ctx, e.b.ID, []string{}, 0, -1)
	e.noErr("ListJobs(no types)", err)
	eq(e, "no visible type", [2]int{len(tl), total}, [2]int{0, 0})
}

func testJobFileRoundTrip(e *env) {
	data := randomBytes(20<<20+12345, 1)
	j := newJob(e.a.ID)
	// Odd read sizes on the way in.
	e.noErr("CreateJob", e.s.CreateJob(e.ctx, j, iotest.HalfReader(bytes.NewReader(data))))
	eq(e, "FileSize", j.FileSize, int64(len(data)))
	eq(e, "stored FileSize", e.getJob(e.a.ID, j.ID).FileSize, int64(len(data)))
	got := e.jobFile(e.a.ID, j.ID)
	if !bytes.Equal(got, data) {
		e.t.Fatalf("file round trip: %d bytes back, want %d identical bytes", len(got), len(data))
	}
	// Odd read sizes on the way out.
	r, err := e.s.OpenJobFile(e.ctx, e.a.ID, j.ID)
	e.noErr("OpenJobFile", err)
	var buf bytes.Buffer
	_, err = io.CopyBuffer(&buf, struct{ io.Reader }{r}, make([]byte, 4093))
	e.noErr("copy job file", err)
	e.noErr("Close", r.Close())
	if !bytes.Equal(buf.Bytes(), data) {
		e.t.Errorf("file read in 4093-byte reads differs")
	}
}

func testJobFileSmall(e *env) {
	small := randomBytes(3<<20+1, 2) // three full chunks and one byte
	j := newJob(e.a.ID)
	e.createJob(j, small)
	r, err := e.s.OpenJobFile(e.ctx, e.a.ID, j.ID)
	e.noErr("OpenJobFile", err)
	e.noErr("iotest.TestReader", iotest.TestReader(r, small))
	e.noErr("Close", r.Close())

	empty := newJob(e.a.ID)
	e.createJob(empty, []byte{})
	eq(e, "empty file size", empty.FileSize, int64(0))
	eq(e, "empty file", len(e.jobFile(e.a.ID, empty.ID)), 0)

	none := newJob(e.a.ID)
	e.createJob(none, nil)
	eq(e, "job without a file reads empty", len(e.jobFile(e.a.ID, none.ID)), 0)

	_, err = e.s.OpenJobFile(e.ctx, e.a.ID, newID())
	e.wantErr("OpenJobFile(unknown)", err, store.ErrNotFound)
}

// failingReader returns n bytes, then err.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func testJobUploadFailure(e *env) {
	boom := errors.New("client went away")
	for _, cause := range []error{boom, io.ErrUnexpectedEOF} {
		j := newJob(e.a.ID)
		err := e.s.CreateJob(e.ctx, j, &failingReader{r: bytes.NewReader(randomBytes(3<<20+7, 3)), err: cause})
		if !errors.Is(err, cause) {
			e.t.Errorf("CreateJob with a failing reader: error %v, want it to wrap %v", err, cause)
		}
		_, err = e.s.GetJob(e.ctx, e.a.ID, j.ID)
		e.wantErr("GetJob after a failed upload", err, store.ErrNotFound)
		// The id is free again: nothing was left behind.
		retry := newJob(e.a.ID)
		retry.ID = j.ID
		e.createJob(retry, []byte("userName\nbob\n"))
		eq(e, "retried file", string(e.jobFile(e.a.ID, j.ID)), "userName\nbob\n")
	}
	all, total, err := e.s.ListJobs(e.ctx, e.a.ID, nil, 0, -1)
	e.noErr("ListJobs", err)
	eq(e, "jobs after failed uploads and retries", [2]int{len(all), total}, [2]int{2, 2})
}

// hookReader calls hook once after the first chunk's worth of data.
type hookReader struct {
	r    io.Reader
	read int
	hook func()
}

func (h *hookReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.read += n
	if h.hook != nil && h.read > 2<<20 {
		h.hook()
		h.hook = nil
	}
	return n, err
}

// testJobUploadInvisible checks that a job whose file is being stored is
// neither claimed nor shown.
func testJobUploadInvisible(e *env) {
	j := newJob(e.a.ID)
	data := randomBytes(4<<20, 4)
	hooked := false
	err := e.s.CreateJob(e.ctx, j, &hookReader{r: bytes.NewReader(data), hook: func() {
		hooked = true
		_, err := e.s.ClaimJob(e.ctx, "w1", time.Hour)
		e.wantErr("ClaimJob during the upload", err, store.ErrNotFound)
		_, err = e.s.GetJob(e.ctx, e.a.ID, j.ID)
		e.wantErr("GetJob during the upload", err, store.ErrNotFound)
		all, total, err := e.s.ListJobs(e.ctx, e.a.ID, nil, 0, -1)
		e.noErr("ListJobs during the upload", err)
		eq(e, "ListJobs during the upload", [2]int{len(all), total}, [2]int{0, 0})
		_, err = e.s.RequestCancel(e.ctx, e.a.ID, j.ID)
		e.wantErr("RequestCancel during the upload", err, store.ErrNotFound)
	}})
	e.noErr("CreateJob", err)
	if !hooked {
		e.t.Fatalf("the hook did not run")
	}
	c, err := e.s.ClaimJob(e.ctx, "w1", time.Hour)
	e.noErr("ClaimJob after the upload", err)
	eq(e, "claimed", c.ID, j.ID)
	if !bytes.Equal(e.jobFile(e.a.ID, j.ID), data) {
		e.t.Errorf("file differs")
	}
}

// reportLines builds lines rows from..to (inclusive).
func reportLines(from, to int64, tag string) []store.ReportLine {
	var out []store.ReportLine
	for r := from; r <= to; r++ {
		l := store.ReportLine{Row: r, Status: "created", ID: fmt.Sprintf("u%d", r), UserName: fmt.Sprintf("user%d%s", r, tag)}
		if r%7 == 0 {
			l.Status, l.ID, l.Error = "failed", "", "userName: required "+tag
		}
		out = append(out, l)
	}
	return out
}

func testJobReport(e *env) {
	j := newJob(e.a.ID)
	e.createJob(j, nil)
	eq(e, "empty report", e.report(e.a.ID, j.ID), []store.ReportLine{})
	// Out of order, across calls; a replay of rows already there (as after a
	// crash between commit and checkpoint use) is ignored, the first kept.
	e.appendReport(e.a.ID, j.ID, reportLines(2001, 2600, ""))
	e.appendReport(e.a.ID, j.ID, reportLines(1, 2000, ""))
	e.appendReport(e.a.ID, j.ID, reportLines(1500, 2100, "-replayed"))
	e.appendReport(e.a.ID, j.ID, reportLines(2601, 2602, ""))
	e.appendReport(e.a.ID, j.ID, nil)
	eq(e, "report", e.report(e.a.ID, j.ID), reportLines(1, 2602, ""))

	// Another tenant's lines under the same job id stay apart.
	e.appendReport(e.b.ID, j.ID, reportLines(1, 3, "-b"))
	eq(e, "report after tenant b's lines", len(e.report(e.a.ID, j.ID)), 2602)

	stop := errors.New("enough")
	n := 0
	err := e.s.ScanReport(e.ctx, e.a.ID, j.ID, func(store.ReportLine) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if err != stop {
		e.t.Errorf("ScanReport: error %v, want fn's error as is", err)
	}
	e.wantErr("ScanReport(unknown)", e.s.ScanReport(e.ctx, e.a.ID, newID(), func(store.ReportLine) error { return nil }),
		store.ErrNotFound)
}

func testJobReportRollback(e *env) {
	j := newJob(e.a.ID)
	e.createJob(j, nil)
	boom := errors.New("boom")
	err := e.s.Tx(e.ctx, e.a.ID, func(tx store.Tx) error {
		if err := tx.AppendReport(e.ctx, j.ID, reportLines(1, 300, "")); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		e.t.Fatalf("Tx: %v, want boom", err)
	}
	eq(e, "report after rollback", e.report(e.a.ID, j.ID), []store.ReportLine{})
}

func testJobPurge(e *env) {
	now := time.Now()
	ago := func(d time.Duration) time.Time { return now.Add(-d).UTC().Truncate(time.Microsecond) }
	const year = 365 * 24 * time.Hour
	// Exports recorded after the fact, finished long ago or recently.
	export := func(tenant int64, age time.Duration, status string) *store.Job {
		j := newJob(tenant)
		j.Type, j.Status, j.CreatedAt = store.JobUsersExport, status, ago(age+time.Minute)
		f := ago(age)
		j.FinishedAt = &f
		e.createJob(j, nil)
		return j
	}
	ancient := export(e.a.ID, 3*year, store.JobSucceeded)
	ancientB := export(e.b.ID, 3*year, store.JobFailed)
	recent := export(e.a.ID, 24*time.Hour, store.JobCancelled)

	// A finished import with a report, a running one with a report, and a
	// queued one created long ago.
	done, running := newJob(e.a.ID), newJob(e.a.ID)
	done.CreatedAt, running.CreatedAt = ago(2*time.Hour), ago(time.Hour)
	e.createJob(done, []byte("userName\nd\n"))
	e.createJob(running, []byte("userName\nr\n"))
	e.appendReport(e.a.ID, done.ID, reportLines(1, 250, ""))
	e.appendReport(e.a.ID, running.ID, reportLines(1, 5, ""))
	d := e.claim("w1", done.ID)
	e.claim("w1", running.ID)
	d.Status = store.JobSucceeded
	e.noErr("FinishJob", e.s.FinishJob(e.ctx, &d))
	queued := newJob(e.a.ID)
	queued.CreatedAt = ago(5 * year)
	e.createJob(queued, []byte("userName\nq\n"))

	purge := func(records, reports time.Time) {
		e.t.Helper()
		e.noErr("PurgeJobs", e.s.PurgeJobs(e.ctx, records, reports))
	}
	gone := func(tenant int64, j *store.Job) {
		e.t.Helper()
		_, err := e.s.GetJob(e.ctx, tenant, j.ID)
		e.wantErr("GetJob of a purged job", err, store.ErrNotFound)
		err = e.s.ScanReport(e.ctx, tenant, j.ID, func(store.ReportLine) error { return nil })
		e.wantErr("ScanReport of a purged job", err, store.ErrNotFound)
	}
	// SPEC §8 defaults: records 2 years, reports 7 days.
	purge(now.Add(-2*year), now.Add(-7*24*time.Hour))
	gone(e.a.ID, ancient)
	gone(e.b.ID, ancientB)
	e.getJob(e.a.ID, recent.ID)
	e.getJob(e.a.ID, queued.ID)
	eq(e, "young report kept", len(e.report(e.a.ID, done.ID)), 250)

	// Reports of jobs finished before the cut go; the records stay.
	purge(now.Add(-2*year), time.Now().Add(time.Minute))
	eq(e, "purged report", e.report(e.a.ID, done.ID), []store.ReportLine{})
	e.sameJob("record kept after its report is purged", e.getJob(e.a.ID, done.ID), d)
	eq(e, "a running job's report is kept", len(e.report(e.a.ID, running.ID)), 5)

	// Everything finished goes; queued and running jobs never do.
	purge(time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	gone(e.a.ID, recent)
	gone(e.a.ID, done)
	eq(e, "queued job's file", string(e.jobFile(e.a.ID, queued.ID)), "userName\nq\n")
	eq(e, "running job's file", string(e.jobFile(e.a.ID, running.ID)), "userName\nr\n")
	eq(e, "running job's report", len(e.report(e.a.ID, running.ID)), 5)
	all, total, err := e.s.ListJobs(e.ctx, e.a.ID, nil, 0, -1)
	e.noErr("ListJobs", err)
	eq(e, "jobs left", [2]int{len(all), total}, [2]int{2, 2})
	purge(time.Now().Add(time.Minute), time.Now().Add(time.Minute)) // nothing left to do
}
