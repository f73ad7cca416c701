package sqlstore

import (
	"context"
	"fmt"
	"time"
)

const (
	// purgeBatch is the number of jobs PurgeJobs selects at a time; each
	// job's report and file are deleted in bounded statements of their
	// own (deleteReport, deleteFile).
	purgeBatch = 100
	// staleUpload is the age after which an upload that never finished
	// (its process died inside CreateJob) is removed.
	staleUpload = 24 * time.Hour
)

// jobKey identifies a job.
type jobKey struct {
	tenant int64
	id     string
}

// PurgeJobs deletes old job records and report lines (see
// store.JobStore), then what interrupted uploads and file deletions left.
// Every step works purgeBatch jobs at a time, one short statement after
// another, so it never holds the SQLite writer or PostgreSQL locks long.
func (s *Store) PurgeJobs(ctx context.Context, recordsBefore, reportsBefore time.Time) error {
	rb, pb := recordsBefore.UnixMicro(), reportsBefore.UnixMicro()
	steps := []struct {
		what  string
		query string
		args  []any
		purge func(ctx context.Context, k jobKey) error
	}{{
		// finished_at >= created_at, so created_at < rb narrows the
		// jobs_claim range to the candidates.
		what: "records",
		query: "SELECT tenant_id, id FROM jobs WHERE status IN " + finalStatuses +
			" AND created_at < ? AND finished_at < ? LIMIT ?",
		args:  []any{rb, rb},
		purge: s.purgeJob,
	}, {
		what:  "reports",
		query: "SELECT tenant_id, id FROM jobs WHERE has_report AND finished_at < ? LIMIT ?",
		args:  []any{pb},
		purge: s.purgeReport,
	}, {
		what:  "stale uploads",
		query: "SELECT tenant_id, id FROM jobs WHERE status = '" + jobUploading + "' AND created_at < ? LIMIT ?",
		args:  []any{s.now().Add(-staleUpload).UnixMicro()},
		purge: func(ctx context.Context, k jobKey) error { return s.deleteUpload(ctx, k.tenant, k.id) },
	}, {
		// Chunk 0 goes last (deleteFile), so every leftover file has it.
		what: "orphan files",
		query: "SELECT f.tenant_id, f.job_id FROM job_files f LEFT JOIN jobs j ON j.tenant_id = f.tenant_id AND j.id = f.job_id" +
			" WHERE f.seq = 0 AND (j.id IS NULL OR j.status IN " + finalStatuses + ") LIMIT ?",
		purge: func(ctx context.Context, k jobKey) error { return s.deleteFile(ctx, k.tenant, k.id) },
	}}
	for _, st := range steps {
		for {
			keys, err := s.jobKeys(ctx, st.query, append(st.args, purgeBatch)...)
			if err != nil {
				return fmt.Errorf("purge jobs: %s: %w", st.what, err)
			}
			for _, k := range keys {
				if err := st.purge(ctx, k); err != nil {
					return fmt.Errorf("purge jobs: %s: job %q: %w", st.what, k.id, err)
				}
			}
			if len(keys) < purgeBatch {
				break
			}
		}
	}
	return nil
}

// purgeJob deletes a finished job's report, file and record (the record
// last, so that an interrupted purge is resumed by the next one).
func (s *Store) purgeJob(ctx context.Context, k jobKey) error {
	if err := s.deleteReport(ctx, k.tenant, k.id); err != nil {
		return err
	}
	if err := s.deleteFile(ctx, k.tenant, k.id); err != nil {
		return err
	}
	return s.writer.WithContext(ctx).Exec("DELETE FROM jobs WHERE tenant_id = ? AND id = ?", k.tenant, k.id).Error
}

// purgeReport deletes a finished job's report lines and marks it so.
func (s *Store) purgeReport(ctx context.Context, k jobKey) error {
	if err := s.deleteReport(ctx, k.tenant, k.id); err != nil {
		return err
	}
	return s.writer.WithContext(ctx).Exec("UPDATE jobs SET has_report = FALSE WHERE tenant_id = ? AND id = ?",
		k.tenant, k.id).Error
}

// jobKeys runs a query returning (tenant_id, id) rows and collects them
// (all read before the caller writes: SQLite has one writer connection).
func (s *Store) jobKeys(ctx context.Context, query string, args ...any) ([]jobKey, error) {
	db, err := s.writer.DB()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, rebind(s.pg, query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []jobKey
	for rows.Next() {
		var k jobKey
		if err := rows.Scan(&k.tenant, &k.id); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
