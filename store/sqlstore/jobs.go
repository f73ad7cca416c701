package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/scimd/scimd/store"
)

// Job records (migrations/*/0002_jobs.sql). Claims: jobs_claim.go; files:
// job_files.go; reports and purging: job_report.go; the transaction side
// (checkpoints, report lines): tx_jobs.go.

// jobUploading is the status of a job whose file CreateJob is still
// storing: never claimed and hidden from every read, so that a queued job
// always has its whole file.
const jobUploading = "uploading"

// visibleJob is the condition of every job read.
const visibleJob = "status <> '" + jobUploading + "'"

// finalStatuses is the SQL list of finished statuses.
const finalStatuses = "('" + store.JobSucceeded + "', '" + store.JobFailed + "', '" + store.JobCancelled + "')"

// jobCols are the columns scanJob reads, in order.
const jobCols = "tenant_id, id, type, status, description, dry_run, mode, options, " +
	"total, processed, created, updated, unchanged, skipped, failed, truncated, memberships_added, " +
	"error, checkpoint, phase, cancel_requested, claimed_by, heartbeat_at, created_at, started_at, " +
	"finished_at, file_size, report_expires_at"

// finalStatus reports whether status ends a job.
func finalStatus(status string) bool {
	switch status {
	case store.JobSucceeded, store.JobFailed, store.JobCancelled:
		return true
	}
	return false
}

// scanJob reads a row of jobCols.
func scanJob(r scanner) (store.Job, error) {
	var (
		j                                     store.Job
		options                               sql.NullString
		heartbeat, started, finished, expires sql.NullInt64
		created                               int64
		phase                                 int64
		dryRun, cancel                        bool
		c                                     = &j.JobCounts
	)
	err := r.Scan(&j.TenantID, &j.ID, &j.Type, &j.Status, &j.Description, &dryRun, &j.Mode, &options,
		&c.Total, &c.Processed, &c.Created, &c.Updated, &c.Unchanged, &c.Skipped, &c.Failed, &c.Truncated,
		&c.MembershipsAdded, &j.Error, &j.Checkpoint, &phase, &cancel, &j.ClaimedBy, &heartbeat, &created,
		&started, &finished, &j.FileSize, &expires)
	if err != nil {
		return store.Job{}, err
	}
	j.DryRun, j.CancelRequested, j.Phase = dryRun, cancel, int(phase)
	if options.Valid {
		j.Options = json.RawMessage(options.String)
	}
	j.CreatedAt = fromMicros(created)
	j.HeartbeatAt = timePtr(heartbeat)
	j.StartedAt = timePtr(started)
	j.FinishedAt = timePtr(finished)
	j.ReportExpiresAt = timePtr(expires)
	return j, nil
}

// timePtr converts a nullable micros column.
func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// microsPtr converts a nullable time to a column value.
func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// CreateJob stores a job (see store.JobStore). With a file the row is
// inserted as 'uploading', the file is stored chunk by chunk (each chunk
// its own short statement, so that a slow upload never holds the SQLite
// writer), and the row then becomes queued. On failure what was written
// is deleted.
func (s *Store) CreateJob(ctx context.Context, j *store.Job, file io.Reader) error {
	if j.ID == "" || j.Type == "" {
		return errors.New("create job: id and type are required")
	}
	if j.Status == "" {
		j.Status = store.JobQueued
	}
	final := finalStatus(j.Status)
	switch {
	case j.Status != store.JobQueued && !final:
		return fmt.Errorf("create job %q: cannot create a job with status %q", j.ID, j.Status)
	case final && file != nil:
		return fmt.Errorf("create job %q: a finished job keeps no file", j.ID)
	}
	now := fromMicros(s.nowMicros()) // as stored
	if j.CreatedAt.IsZero() {
		j.CreatedAt = now
	}
	if final && j.FinishedAt == nil {
		t := now
		j.FinishedAt = &t
	}
	status := j.Status
	if file != nil {
		status = jobUploading
		j.FileSize = 0
	}
	if err := s.insertJob(ctx, j, status); err != nil {
		return err
	}
	if file == nil {
		return nil
	}
	size, err := s.writeFile(ctx, j.TenantID, j.ID, file)
	if err == nil {
		err = s.publishJob(ctx, j, size)
	}
	if err != nil {
		// Clean up even when ctx is done (a client that went away).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if derr := s.deleteUpload(cctx, j.TenantID, j.ID); derr != nil {
			s.log.WarnContext(ctx, "sqlstore: delete failed upload (PurgeJobs will)", "job", j.ID, "err", derr)
		}
		return fmt.Errorf("create job %q: %w", j.ID, err)
	}
	j.FileSize = size
	return nil
}

// insertJob inserts j's row with the given stored status.
func (s *Store) insertJob(ctx context.Context, j *store.Job, status string) error {
	var options any
	if j.Options != nil {
		options = string(j.Options)
	}
	c := j.JobCounts
	err := s.writer.WithContext(ctx).Exec("INSERT INTO jobs ("+jobCols+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		j.TenantID, j.ID, j.Type, status, j.Description, j.DryRun, j.Mode, options,
		c.Total, c.Processed, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Failed, c.Truncated,
		c.MembershipsAdded, j.Error, j.Checkpoint, j.Phase, j.CancelRequested, "", nil,
		j.CreatedAt.UnixMicro(), microsPtr(j.StartedAt), microsPtr(j.FinishedAt), j.FileSize,
		microsPtr(j.ReportExpiresAt)).Error
	if err != nil {
		if c, ok := uniqueViolation(err); ok {
			return uniquenessError(c, j.ID, err)
		}
		return fmt.Errorf("create job %q: %w", j.ID, err)
	}
	if finalStatus(status) {
		// A job recorded already finished (an export, a tenant import) may
		// have report lines: the report purge must see it.
		err := s.writer.WithContext(ctx).Exec("UPDATE jobs SET has_report = TRUE WHERE tenant_id = ? AND id = ?",
			j.TenantID, j.ID).Error
		if err != nil {
			return fmt.Errorf("create job %q: %w", j.ID, err)
		}
	}
	return nil
}

// publishJob turns an uploaded job queued (or its requested status).
func (s *Store) publishJob(ctx context.Context, j *store.Job, size int64) error {
	res := s.writer.WithContext(ctx).Exec(
		"UPDATE jobs SET status = ?, file_size = ? WHERE tenant_id = ? AND id = ? AND status = ?",
		j.Status, size, j.TenantID, j.ID, jobUploading)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 { // the tenant was deleted meanwhile
		return notFound("job", j.ID)
	}
	return nil
}

// deleteUpload removes a job that never became visible, and its chunks.
func (s *Store) deleteUpload(ctx context.Context, tenantID int64, id string) error {
	if err := s.deleteFile(ctx, tenantID, id); err != nil {
		return err
	}
	return s.writer.WithContext(ctx).Exec("DELETE FROM jobs WHERE tenant_id = ? AND id = ? AND status = ?",
		tenantID, id, jobUploading).Error
}

// GetJob returns a job of the tenant.
func (s *Store) GetJob(ctx context.Context, tenantID int64, id string) (store.Job, error) {
	j, err := getJob(s.reader.WithContext(ctx), tenantID, id)
	if err != nil {
		return store.Job{}, fmt.Errorf("get job: %w", err)
	}
	return j, nil
}

// getJob reads a visible job through db (the reader pool, or a
// transaction).
func getJob(db *gorm.DB, tenantID int64, id string) (store.Job, error) {
	rows, err := db.Raw("SELECT "+jobCols+" FROM jobs WHERE tenant_id = ? AND id = ? AND "+visibleJob,
		tenantID, id).Rows()
	if err != nil {
		return store.Job{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Job{}, err
		}
		return store.Job{}, notFound("job", id)
	}
	j, err := scanJob(rows)
	if err != nil {
		return store.Job{}, err
	}
	return j, rows.Close()
}

// ListJobs returns the tenant's jobs newest first.
func (s *Store) ListJobs(ctx context.Context, tenantID int64, types []string, offset, count int) ([]store.Job, int, error) {
	db := s.reader.WithContext(ctx)
	if types != nil && len(types) == 0 {
		return []store.Job{}, 0, nil
	}
	b := &binder{}
	b.sql(" FROM jobs WHERE tenant_id = ").arg(tenantID).sql(" AND " + visibleJob)
	if types != nil {
		b.sql(" AND type IN ").list(types)
	}
	var total int64
	if err := queryRow(db, "SELECT COUNT(*)"+b.String(), b.args, &total); err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	offset = max(offset, 0)
	if count == 0 || int64(offset) >= total {
		return []store.Job{}, int(total), nil
	}
	query := "SELECT " + jobCols + b.String() + " ORDER BY created_at DESC, id DESC"
	switch {
	case count > 0:
		query += " LIMIT " + strconv.Itoa(count)
	case !s.pg && offset > 0:
		query += " LIMIT -1"
	}
	if offset > 0 {
		query += " OFFSET " + strconv.Itoa(offset)
	}
	rows, err := db.Raw(query, b.args...).Rows()
	if err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	out := []store.Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	return out, int(total), nil
}
