package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/scimd/scimd/store"
)

// SaveProgress writes a chunk's job checkpoint in the chunk's transaction.
// The claim check (claimed_by, status running) makes a worker whose claim
// was taken over fail here, rolling its chunk back. cancel_requested is
// not written, so a cancel request made meanwhile stays.
//
// On PostgreSQL the chunk's transaction then commits without waiting for
// its WAL to reach disk (synchronous_commit off, for this transaction
// only): a crash of the database server may lose the latest chunks, but
// each only whole and together with its checkpoint, so the job resumes
// from the checkpoint that survived and applies them again. Whatever
// commits next synchronously (the job's final status, any API write)
// flushes them. This takes the WAL flush (~5 ms per chunk) off the
// import's critical path.
func (t *tx) SaveProgress(ctx context.Context, j *store.Job) error {
	if j.ClaimedBy == "" || (j.TenantID != 0 && j.TenantID != t.tenant) {
		return fmt.Errorf("save job progress: %w", notFound("claimed job", j.ID))
	}
	now := t.s.now()
	c := j.JobCounts
	args := []any{c.Total, c.Processed, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Failed, c.Truncated,
		c.MembershipsAdded, j.Checkpoint, j.Phase, now.UnixMicro(), t.tenant, j.ID, j.ClaimedBy}
	var n int64
	var err error
	if t.pg {
		if _, err := t.sql.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return fmt.Errorf("save job progress %q: %w", j.ID, err)
		}
		n, err = execCount(t.sql.ExecContext(ctx, rebind(true, saveProgressSQL), args...))
	} else {
		n, err = execCount(t.stmt(ctx, t.s.stmts.saveProgress).ExecContext(ctx, args...))
	}
	if err != nil {
		return fmt.Errorf("save job progress %q: %w", j.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("save job progress: %w", notFound("claimed job", j.ID))
	}
	hb := fromMicros(now.UnixMicro())
	j.HeartbeatAt = &hb
	return nil
}

// AppendReport inserts report lines, ignoring rows already present.
// SQLite: a prepared one-row INSERT each; PostgreSQL: COPY for large
// batches without collisions (tryCopy), else multi-row INSERT … ON
// CONFLICT DO NOTHING.
func (t *tx) AppendReport(ctx context.Context, jobID string, lines []store.ReportLine) error {
	row := func(l store.ReportLine) []any {
		return []any{t.tenant, jobID, l.Row, l.Status, l.ID, l.UserName, l.Error}
	}
	if !t.pg {
		ins := t.stmt(ctx, t.s.stmts.insertReport)
		for _, l := range lines {
			if _, err := rowExec(ctx, ins, row(l)...); err != nil {
				return fmt.Errorf("append report: %w", err)
			}
		}
		return nil
	}
	cols := columnList(reportColumns)
	b := &binder{pg: true}
	for part := range slices.Chunk(lines, copyChunkRows) {
		done, err := t.tryCopy(ctx, "job_report", cols, len(part), func(k int) []any { return row(part[k]) })
		if err != nil {
			return fmt.Errorf("append report: %w", err)
		}
		if done {
			continue
		}
		for chunk := range slices.Chunk(part, pgBatchRows) {
			b.reset()
			b.sql("INSERT INTO job_report (" + reportColumns + ") VALUES ")
			b.bind(t.tenant).bind(jobID) // $1 and $2, referenced by every row
			for i, l := range chunk {
				if i > 0 {
					b.sql(", ")
				}
				b.tuple(tenantRef, argRef(2), l.Row, l.Status, l.ID, l.UserName, l.Error)
			}
			b.sql(" ON CONFLICT DO NOTHING")
			if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
				return fmt.Errorf("append report: %w", err)
			}
		}
	}
	return nil
}
