package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/scimd/scimd/store"
)

// Claims: a running job has claimed_by = its worker and heartbeat_at, both
// set from the store's clock (Config.Now) of the replica that writes them;
// every state change of a running job checks claimed_by, so a worker that
// lost its claim changes nothing.

// runnable selects claimable jobs; its one parameter is the stale
// heartbeat bound. Both branches are ranges of jobs_claim.
const runnable = "status = '" + store.JobQueued + "' OR (status = '" + store.JobRunning + "' AND heartbeat_at < ?)"

// claimSet is the SET list of a claim: worker, now, now.
const claimSet = "status = '" + store.JobRunning + "', claimed_by = ?, heartbeat_at = ?, started_at = COALESCE(started_at, ?)"

// claimSQLite claims with one UPDATE: SQLite serialises writers, so the
// row picked by the subquery cannot be claimed by anyone else meanwhile.
// Arguments: worker, now, now, stale.
var claimSQLite = "UPDATE jobs SET " + claimSet + " WHERE (tenant_id, id) = (SELECT tenant_id, id FROM jobs WHERE " +
	runnable + " ORDER BY created_at, tenant_id, id LIMIT 1) RETURNING " + jobCols

// claimPG locks the oldest runnable row nobody else is locking (SKIP
// LOCKED) and claims it. A row claimed and committed by another worker
// after this statement's snapshot is re-checked against runnable after
// the lock (READ COMMITTED) and dropped, so it is never claimed twice.
// Arguments: stale, worker, now, now.
var claimPG = "WITH c AS (SELECT tenant_id, id FROM jobs WHERE " + runnable +
	" ORDER BY created_at, tenant_id, id LIMIT 1 FOR UPDATE SKIP LOCKED) UPDATE jobs AS j SET " +
	strings.Replace(claimSet, "COALESCE(started_at", "COALESCE(j.started_at", 1) +
	" FROM c WHERE j.tenant_id = c.tenant_id AND j.id = c.id RETURNING " + qualified("j", jobCols)

// qualified prefixes each column of a list with alias.
func qualified(alias, cols string) string {
	list := columnList(cols)
	for i, c := range list {
		list[i] = alias + "." + c
	}
	return strings.Join(list, ", ")
}

// writeTx runs fn in a write transaction: BEGIN IMMEDIATE on SQLite (the
// write lock is taken at once, waiting for other processes), a plain
// transaction on PostgreSQL.
func (s *Store) writeTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.writer.WithContext(ctx).Transaction(fn)
}

// returningJob runs a statement returning at most one row of jobCols.
func returningJob(db *gorm.DB, query string, args ...any) (store.Job, bool, error) {
	rows, err := db.Raw(query, args...).Rows()
	if err != nil {
		return store.Job{}, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return store.Job{}, false, rows.Err()
	}
	j, err := scanJob(rows)
	if err != nil {
		return store.Job{}, false, err
	}
	return j, true, rows.Close()
}

// ClaimJob claims the oldest runnable job of any tenant for worker.
func (s *Store) ClaimJob(ctx context.Context, worker string, lease time.Duration) (store.Job, error) {
	if worker == "" {
		return store.Job{}, errors.New("claim job: empty worker name")
	}
	now := s.nowMicros()
	stale := int64(math.MinInt64) // lease <= 0: no running job is stale
	if lease > 0 {
		stale = now - lease.Microseconds()
	}
	var (
		j     store.Job
		found bool
	)
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		var err error
		if s.pg {
			j, found, err = returningJob(tx, claimPG, stale, worker, now, now)
		} else {
			j, found, err = returningJob(tx, claimSQLite, worker, now, now, stale)
		}
		return err
	})
	if err != nil {
		return store.Job{}, fmt.Errorf("claim job: %w", err)
	}
	if !found {
		return store.Job{}, fmt.Errorf("claim job: none runnable: %w", store.ErrNotFound)
	}
	return j, nil
}

// Heartbeat refreshes worker's claim on a running job.
func (s *Store) Heartbeat(ctx context.Context, tenantID int64, id, worker string) (store.Job, error) {
	if worker == "" {
		return store.Job{}, fmt.Errorf("heartbeat: %w", notFound("claimed job", id))
	}
	var (
		j     store.Job
		found bool
	)
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		var err error
		j, found, err = returningJob(tx, "UPDATE jobs SET heartbeat_at = ? WHERE tenant_id = ? AND id = ? AND claimed_by = ? AND status = ? RETURNING "+jobCols,
			s.nowMicros(), tenantID, id, worker, store.JobRunning)
		return err
	})
	if err != nil {
		return store.Job{}, fmt.Errorf("heartbeat: %w", err)
	}
	if !found {
		return store.Job{}, fmt.Errorf("heartbeat: %w", notFound("claimed job", id))
	}
	return j, nil
}

// FinishJob ends a job claimed by j.ClaimedBy, then deletes its file.
func (s *Store) FinishJob(ctx context.Context, j *store.Job) error {
	if !finalStatus(j.Status) {
		return fmt.Errorf("finish job %q: status %q is not final", j.ID, j.Status)
	}
	if j.ClaimedBy == "" {
		return fmt.Errorf("finish job: %w", notFound("claimed job", j.ID))
	}
	now := s.now()
	expires := now.Add(s.reportRetention)
	c := j.JobCounts
	res := s.writer.WithContext(ctx).Exec(`UPDATE jobs SET status = ?, total = ?, processed = ?, created = ?,
  updated = ?, unchanged = ?, skipped = ?, failed = ?, truncated = ?, memberships_added = ?, error = ?,
  checkpoint = ?, phase = ?, finished_at = ?, report_expires_at = ?, has_report = TRUE, claimed_by = '',
  heartbeat_at = NULL
WHERE tenant_id = ? AND id = ? AND claimed_by = ? AND status = ?`,
		j.Status, c.Total, c.Processed, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Failed, c.Truncated,
		c.MembershipsAdded, j.Error, j.Checkpoint, j.Phase, now.UnixMicro(), expires.UnixMicro(),
		j.TenantID, j.ID, j.ClaimedBy, store.JobRunning)
	if res.Error != nil {
		return fmt.Errorf("finish job %q: %w", j.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("finish job: %w", notFound("claimed job", j.ID))
	}
	finished, exp := now.UTC().Truncate(time.Microsecond), expires.UTC().Truncate(time.Microsecond)
	j.FinishedAt, j.ReportExpiresAt = &finished, &exp
	j.ClaimedBy, j.HeartbeatAt = "", nil
	s.dropFile(ctx, j.TenantID, j.ID)
	return nil
}

// dropFile deletes a finished job's file; a failure is logged, not
// returned (the job is finished; PurgeJobs removes what is left).
func (s *Store) dropFile(ctx context.Context, tenantID int64, id string) {
	if err := s.deleteFile(ctx, tenantID, id); err != nil {
		s.log.WarnContext(ctx, "sqlstore: delete job file (PurgeJobs will)", "job", id, "err", err)
	}
}

// ReleaseJob puts a job claimed by j.ClaimedBy back in the queue.
func (s *Store) ReleaseJob(ctx context.Context, j *store.Job) error {
	if j.ClaimedBy == "" {
		return fmt.Errorf("release job: %w", notFound("claimed job", j.ID))
	}
	res := s.writer.WithContext(ctx).Exec(
		"UPDATE jobs SET status = ?, claimed_by = '', heartbeat_at = NULL WHERE tenant_id = ? AND id = ? AND claimed_by = ? AND status = ?",
		store.JobQueued, j.TenantID, j.ID, j.ClaimedBy, store.JobRunning)
	if res.Error != nil {
		return fmt.Errorf("release job %q: %w", j.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("release job: %w", notFound("claimed job", j.ID))
	}
	j.Status, j.ClaimedBy, j.HeartbeatAt = store.JobQueued, "", nil
	return nil
}

// RequestCancel cancels a queued job or flags a running one.
func (s *Store) RequestCancel(ctx context.Context, tenantID int64, id string) (store.Job, error) {
	now := s.now()
	var (
		j         store.Job
		cancelled bool
	)
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE jobs SET status = ?, cancel_requested = TRUE, finished_at = ?, report_expires_at = ?,
  has_report = TRUE WHERE tenant_id = ? AND id = ? AND status = ?`,
			store.JobCancelled, now.UnixMicro(), now.Add(s.reportRetention).UnixMicro(), tenantID, id, store.JobQueued)
		if res.Error != nil {
			return res.Error
		}
		cancelled = res.RowsAffected > 0
		if !cancelled {
			if err := tx.Exec("UPDATE jobs SET cancel_requested = TRUE WHERE tenant_id = ? AND id = ? AND status = ?",
				tenantID, id, store.JobRunning).Error; err != nil {
				return err
			}
		}
		var err error
		j, err = getJob(tx, tenantID, id)
		return err
	})
	if err != nil {
		return store.Job{}, fmt.Errorf("cancel job: %w", err)
	}
	if cancelled {
		s.dropFile(ctx, tenantID, id)
	}
	return j, nil
}
