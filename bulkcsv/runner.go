package bulkcsv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/bulk"
)

// Runner claims queued import jobs and runs them through the Bulk engine:
// file → streaming reader → mapper → engine chunks, each chunk committing
// its effects, report lines and checkpoint together. A job interrupted by a
// crash is claimed again (by any replica) once its lease expires and
// resumes after its checkpoint.
type Runner struct {
	Jobs   Jobs
	Engine Engine
	Reg    *schemas.Registry
	Log    *slog.Logger
	// Worker identifies this runner in job claims (unique per process).
	Worker string
	// Poll is the pause between claim attempts when the queue is empty.
	Poll time.Duration
	// Wake, when it receives, ends the pause at once: the process queued
	// a job (jobs queued by other replicas are seen at the next poll).
	Wake <-chan struct{}
	// Heartbeat is the interval between claim refreshes while running.
	Heartbeat time.Duration
	// ChunkSize is the number of rows per transaction.
	ChunkSize int
}

// errStop ends a job run early because the runner is stopping.
var errStop = errors.New("bulkcsv: runner stopping")

// errCancelled ends a job run early because cancellation was requested.
var errCancelled = errors.New("bulkcsv: job cancelled")

// Run claims and runs jobs until ctx is cancelled. A job running when ctx
// is cancelled stops after its current chunk commits and is released to
// the queue, so it resumes at once elsewhere or after a restart.
func (r *Runner) Run(ctx context.Context) {
	poll := r.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	for {
		if ctx.Err() != nil {
			return
		}
		j, err := r.Jobs.Claim(context.WithoutCancel(ctx), r.Worker)
		if err != nil {
			r.Log.ErrorContext(ctx, "claim job", "err", err)
		}
		if j == nil {
			select {
			case <-ctx.Done():
				return
			case <-r.Wake:
			case <-time.After(poll):
			}
			continue
		}
		r.RunJob(ctx, j)
	}
}

// RunJob runs one claimed job to its end (or until ctx is cancelled).
func (r *Runner) RunJob(stop context.Context, j *Job) {
	// Work is not cancelled by stop: the chunk in flight commits, then
	// the next pull of a row sees stop and ends the run.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(stop))
	defer cancel(nil)
	log := r.Log.With("job", j.ID, "type", j.Type, "tenant_id", j.TenantID)
	log.InfoContext(ctx, "job started", "checkpoint", j.Checkpoint)

	var hbWG sync.WaitGroup
	hbDone := make(chan struct{})
	hbWG.Add(1)
	go func() {
		defer hbWG.Done()
		r.heartbeat(ctx, j, hbDone, cancel)
	}()
	st := &jobRun{r: r, j: j, stop: stop, ctx: ctx}
	err := st.run()
	close(hbDone)
	hbWG.Wait()
	if cause := context.Cause(ctx); cause != nil && err != nil {
		err = cause
	}
	fin := context.WithoutCancel(ctx)
	switch {
	case errors.Is(err, ErrClaimLost):
		log.WarnContext(fin, "job claim lost; another worker owns it now")
		return
	case errors.Is(err, errStop):
		if rerr := r.Jobs.Release(fin, j); rerr != nil {
			log.ErrorContext(fin, "release job", "err", rerr)
		}
		log.InfoContext(fin, "job released for resumption", "checkpoint", j.Checkpoint)
		return
	case errors.Is(err, errCancelled):
		j.Status = StatusCancelled
	case err != nil:
		j.Status = StatusFailed
		j.Error = err.Error()
		if !isJobError(err) {
			log.ErrorContext(fin, "job failed", "err", err)
			j.Error = "internal error: " + err.Error()
		}
	default:
		j.Status = StatusSucceeded
	}
	if ferr := r.Jobs.Finish(fin, j); ferr != nil {
		log.ErrorContext(fin, "finish job", "err", ferr)
		return
	}
	log.InfoContext(fin, "job finished", "status", j.Status, "processed", j.Counts.Processed, "failed", j.Counts.Failed)
}

// heartbeat refreshes the claim until done; a cancellation request or a
// lost claim cancels the run.
func (r *Runner) heartbeat(ctx context.Context, j *Job, done <-chan struct{}, cancel context.CancelCauseFunc) {
	every := r.Heartbeat
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		stopNow, err := r.Jobs.Heartbeat(ctx, j)
		switch {
		case errors.Is(err, ErrClaimLost):
			cancel(ErrClaimLost)
			return
		case err != nil:
			r.Log.WarnContext(ctx, "job heartbeat", "job", j.ID, "err", err)
		case stopNow:
			cancel(errCancelled)
			return
		}
	}
}

// jobError is a reason the job itself could not run to the end, shown in
// the job record (not an internal error).
type jobError struct{ msg string }

func (e *jobError) Error() string { return e.msg }

func jobErrorf(format string, args ...any) error { return &jobError{msg: fmt.Sprintf(format, args...)} }

func isJobError(err error) bool {
	var je *jobError
	var fe *FileError
	return errors.As(err, &je) || errors.As(err, &fe)
}

// jobRun is the state of one job run.
type jobRun struct {
	r    *Runner
	j    *Job
	stop context.Context
	ctx  context.Context

	groupsCreated map[string]bool
	groupsUpdated map[string]bool
}

func (s *jobRun) open() (*Reader, io.Closer, error) {
	f, err := s.r.Jobs.Open(s.ctx, s.j)
	if err != nil {
		return nil, nil, err
	}
	rd, err := NewReader(f, ReaderOptions{})
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return rd, f, nil
}

func (s *jobRun) run() error {
	if s.j.DryRun && s.j.Checkpoint > 0 {
		// A dry run's overlay of earlier rows lives in memory: after a
		// restart it starts over (its report lines are rewritten
		// identically; nothing else was written).
		s.j.Checkpoint, s.j.Counts = 0, bulk.Counts{}
	}
	switch s.j.Type {
	case TypeUsersImport:
		return s.users()
	case TypeGroupsImport:
		return s.groups()
	}
	return jobErrorf("unknown job type %q", s.j.Type)
}

// scan reads the whole file once: it counts the data rows and lets check
// look at each raw row (for pre-checks). A file-level problem found here
// fails the job before anything is written.
func (s *jobRun) scan(check func(num int, rec []string) error) (int64, error) {
	rd, f, err := s.open()
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	for {
		num, rec, err := rd.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil && !IsRowError(err) {
			return n, err
		}
		n++
		if check != nil && err == nil {
			if err := check(num, rec); err != nil {
				return n, err
			}
		}
		if n%65536 == 0 {
			if err := s.ctx.Err(); err != nil {
				return n, err
			}
		}
	}
}

// rows streams the rows after the checkpoint to emit; it ends the run
// early (errStop) when the runner is stopping.
func (s *jobRun) rows(rd *Reader, emit func(num int, rec []string, rowErr error) error) func() (bool, error) {
	skip := s.j.Checkpoint
	return func() (bool, error) {
		for {
			if s.stop.Err() != nil {
				return false, errStop
			}
			if err := s.ctx.Err(); err != nil {
				return false, err
			}
			num, rec, err := rd.Read()
			if err == io.EOF {
				return false, nil
			}
			if err != nil && !IsRowError(err) {
				return false, err
			}
			if int64(num) <= skip {
				continue
			}
			return true, emit(num, rec, err)
		}
	}
}

// users runs a users-import job.
func (s *jobRun) users() error {
	o := s.j.Options
	matchBy, err := ParseMatchBy(o.MatchBy)
	if err != nil {
		return jobErrorf("%v", err)
	}
	empty, err := ParseEmptyCells(o.EmptyCells)
	if err != nil {
		return jobErrorf("%v", err)
	}
	mode, err := ParseMode(s.j.Mode)
	if err != nil {
		return jobErrorf("%v", err)
	}
	rd, f, err := s.open()
	if err != nil {
		return err
	}
	defer f.Close()
	header := rd.Header()
	mapper, err := NewMapper(s.r.Reg, DetectDialect(s.r.Reg, header), header, MapperOptions{
		EmptyCells: empty, MatchBy: matchBy, MaxGroupsPerUser: o.MaxGroupsPerUser,
	})
	if err != nil {
		return err
	}
	total, err := s.scan(nil)
	if err != nil {
		return err
	}
	s.j.Counts.Total = total
	onMatch := map[string]bulk.OnMatch{ModeUpdate: bulk.MatchUpdate, ModeIgnore: bulk.MatchIgnore, ModeFail: bulk.MatchFail}[mode]
	if mode == ModeFail && s.j.Checkpoint == 0 {
		if err := s.failPrecheck(mapper, onMatch); err != nil {
			return err
		}
	}
	var op bulk.UserUpsert
	next := s.rows(rd, func(num int, rec []string, rowErr error) error {
		op = s.userOp(mapper, num, rec, rowErr, onMatch)
		return nil
	})
	// The engine pulls rows (read and mapped here) on a goroutine of its
	// own, ahead of the chunk it applies.
	return s.r.Engine.ImportUsers(s.ctx, s.j.TenantID, func() (bulk.UserUpsert, bool, error) {
		ok, err := next()
		return op, ok, err
	}, bulk.UsersOptions{ChunkSize: s.r.ChunkSize, DryRun: s.j.DryRun, CreateGroups: o.CreateGroups}, s)
}

// userOp maps one row to a Bulk operation.
func (s *jobRun) userOp(m *Mapper, num int, rec []string, rowErr error, onMatch bulk.OnMatch) bulk.UserUpsert {
	if rowErr != nil {
		return bulk.UserUpsert{Row: int64(num), UserName: rawUserName(m, rec), Err: rowErr}
	}
	row, err := m.Map(num, rec)
	if err != nil {
		return bulk.UserUpsert{Row: int64(num), UserName: rawUserName(m, rec), Err: err}
	}
	op := bulk.UserUpsert{
		Row: int64(num), UserName: row.UserName(), ID: row.ID, OnMatch: onMatch,
		Password: row.Password, HasPassword: row.HasPassword, Groups: row.Groups,
		Merge: row.ApplyTo,
	}
	for _, mt := range []Match{row.Match, row.Fallback} {
		if mt.Value != "" {
			op.Match = append(op.Match, bulk.Key{By: keyOf(mt.Key), Value: mt.Value})
		}
	}
	if row.CheckCreate() == nil {
		op.Create = row.NewUser
	}
	return op
}

// rawUserName returns the userName a row names (its userName cell: native
// userName, IDaaS username, SAP loginName, else the SAP mail), trimmed, for
// the report line of a row that failed before it could be mapped; "" when
// the row has none or its cells cannot be read.
func rawUserName(m *Mapper, rec []string) string {
	cell := func(i int) string {
		if i < 0 || i >= len(rec) || i >= len(m.header) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	for _, lf := range m.plan.root.leaves {
		if lf.key == "userName" {
			if v := cell(lf.cell); v != "" {
				return v
			}
		}
	}
	if m.dialect == SAP {
		return cell(m.sapMail)
	}
	return ""
}

func keyOf(m MatchBy) bulk.UserKey {
	switch m {
	case MatchEmails:
		return bulk.ByEmail
	case MatchExternalID:
		return bulk.ByExternalID
	}
	return bulk.ByUserName
}

// failPrecheck is mode=fail's first pass: a dry run over the whole file
// that fails the job, with nothing written, when any row matches an
// existing user.
func (s *jobRun) failPrecheck(m *Mapper, onMatch bulk.OnMatch) error {
	rd, f, err := s.open()
	if err != nil {
		return err
	}
	defer f.Close()
	var op bulk.UserUpsert
	next := s.rows(rd, func(num int, rec []string, rowErr error) error {
		op = s.userOp(m, num, rec, rowErr, bulk.MatchIgnore)
		return nil
	})
	pc := &precheck{}
	err = s.r.Engine.ImportUsers(s.ctx, s.j.TenantID, func() (bulk.UserUpsert, bool, error) {
		ok, err := next()
		return op, ok, err
	}, bulk.UsersOptions{ChunkSize: s.r.ChunkSize, DryRun: true, CreateGroups: s.j.Options.CreateGroups}, pc)
	if err != nil {
		return err
	}
	if pc.matched > 0 {
		return jobErrorf("mode=fail: %d row(s) match an existing user or an earlier row of the file (first: row %d, %s); nothing was written", pc.matched, pc.firstRow, pc.firstUser)
	}
	return nil
}

// precheck collects matches of the mode=fail pass; it writes nothing.
type precheck struct {
	matched   int
	firstRow  int64
	firstUser string
}

func (p *precheck) Prepare([]bulk.Result, bulk.ChunkInfo) *bulk.Checkpoint { return nil }

func (p *precheck) Committed(results []bulk.Result, _ bulk.ChunkInfo) {
	for _, r := range results {
		if r.Outcome == bulk.Skipped { // matched an existing (or earlier) user
			if p.matched == 0 {
				p.firstRow, p.firstUser = r.Row, r.UserName
			}
			p.matched++
		}
	}
}

// groups runs a groups-import job.
func (s *jobRun) groups() error {
	rd, f, err := s.open()
	if err != nil {
		return err
	}
	defer f.Close()
	gm, err := NewGroupMapper(s.r.Reg, rd.Header(), GroupMapperOptions{MaxGroupsPerUser: s.j.Options.MaxGroupsPerUser})
	if err != nil {
		return err
	}
	limit := s.j.Options.MaxGroupsPerFile
	if limit <= 0 {
		limit = DefaultMaxGroupsPerFile
	}
	distinct := map[string]struct{}{}
	total, err := s.scan(func(num int, rec []string) error {
		row, err := gm.Map(num, rec)
		if err != nil {
			return nil // a bad row fails later, in its chunk
		}
		for _, g := range row.Groups {
			distinct[strings.ToLower(g)] = struct{}{}
		}
		if len(distinct) > limit {
			return jobErrorf("the file names more than %d distinct groups (limit per file); nothing was written", limit)
		}
		return nil
	})
	if err != nil {
		return err
	}
	distinct = nil
	s.j.Counts.Total = total
	s.groupsCreated, s.groupsUpdated = map[string]bool{}, map[string]bool{}
	var op bulk.GroupAssign
	next := s.rows(rd, func(num int, rec []string, rowErr error) error {
		op = bulk.GroupAssign{Row: int64(num), Err: rowErr}
		if rowErr == nil {
			row, err := gm.Map(num, rec)
			if err != nil {
				op.Err = err
			} else {
				op = bulk.GroupAssign{Row: int64(num), ID: row.ID, UserUUID: row.UserUUID, UserName: row.UserName, Email: row.Email, Groups: row.Groups}
			}
		}
		return nil
	})
	return s.r.Engine.AssignGroups(s.ctx, s.j.TenantID, func() (bulk.GroupAssign, bool, error) {
		ok, err := next()
		return op, ok, err
	}, bulk.AssignOptions{ChunkSize: s.r.ChunkSize, DryRun: s.j.DryRun}, s)
}

// Prepare implements bulk.Sink: the checkpoint of a chunk, committed with
// it.
func (s *jobRun) Prepare(results []bulk.Result, info bulk.ChunkInfo) *bulk.Checkpoint {
	counts := s.nextCounts(results, info)
	cp := &bulk.Checkpoint{
		JobID: s.j.ID, Worker: s.j.Worker, Counts: counts,
		Checkpoint: s.j.Checkpoint, Phase: s.j.Phase,
		Report: make([]bulk.ReportLine, len(results)),
	}
	for i, r := range results {
		line := bulk.ReportLine{Row: r.Row, Status: string(r.Outcome), ID: r.ID, UserName: r.UserName}
		if r.Err != nil {
			line.Error = r.Err.Error()
		}
		cp.Report[i] = line
		if r.Row > cp.Checkpoint {
			cp.Checkpoint = r.Row
		}
	}
	return cp
}

// Committed implements bulk.Sink.
func (s *jobRun) Committed(results []bulk.Result, info bulk.ChunkInfo) {
	s.j.Counts = s.nextCounts(results, info)
	if s.j.Type == TypeGroupsImport {
		for _, id := range info.GroupsCreated {
			s.groupsCreated[id] = true
		}
		for _, id := range info.GroupsUpdated {
			s.groupsUpdated[id] = true
		}
	}
	for _, r := range results {
		if r.Row > s.j.Checkpoint {
			s.j.Checkpoint = r.Row
		}
	}
}

// nextCounts returns the job counts after results. In a groups-import job
// created/updated count distinct groups; in a users-import job, users.
func (s *jobRun) nextCounts(results []bulk.Result, info bulk.ChunkInfo) bulk.Counts {
	c := s.j.Counts
	c.Add(results)
	if s.j.Type != TypeGroupsImport {
		return c
	}
	c.Created, c.Updated = s.j.Counts.Created, s.j.Counts.Updated
	created := map[string]bool{}
	for _, id := range info.GroupsCreated {
		if !s.groupsCreated[id] {
			created[id] = true
			c.Created++
		}
	}
	for _, id := range info.GroupsUpdated {
		if !s.groupsUpdated[id] && !s.groupsCreated[id] && !created[id] {
			c.Updated++
		}
	}
	return c
}
