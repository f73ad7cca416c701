package store

import (
	"context"
	"encoding/json"
	"io"
	"time"
)

// Job types (SPEC §8).
const (
	JobUsersImport  = "users-import"
	JobGroupsImport = "groups-import"
	JobUsersExport  = "users-export"
	JobGroupsExport = "groups-export"
	JobTenantImport = "tenant-import"
	JobTenantExport = "tenant-export"
)

// Job statuses (SPEC §8).
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// JobCounts are a job's progress counters.
type JobCounts struct {
	Total            int64
	Processed        int64
	Created          int64
	Updated          int64
	Unchanged        int64
	Skipped          int64
	Failed           int64
	Truncated        int64
	MembershipsAdded int64
}

// Job is an import or export record. Imports carry their uploaded file
// (stored in the database so that any replica can run them) and a
// checkpoint: the number of data rows whose effects are committed.
type Job struct {
	ID          string
	TenantID    int64
	Type        string
	Status      string
	Description string
	DryRun      bool
	Mode        string
	Options     json.RawMessage // importer options (matchBy, emptyCells, groups, …)
	JobCounts
	Error           string
	Checkpoint      int64 // data rows committed (resume after this row)
	Phase           int   // importer-defined pass number (e.g. the mode=fail pre-check)
	CancelRequested bool
	ClaimedBy       string
	HeartbeatAt     *time.Time
	CreatedAt       time.Time
	StartedAt       *time.Time
	FinishedAt      *time.Time
	FileSize        int64
	ReportExpiresAt *time.Time
}

// ReportLine is one row of a job's per-row report (SPEC §8):
// row,status,id,userName,error.
type ReportLine struct {
	Row      int64
	Status   string // created|updated|unchanged|skipped|failed
	ID       string
	UserName string
	Error    string
}

// JobStore persists jobs, their uploaded files and reports. A job of
// another tenant is ErrNotFound for every method taking a tenant.
type JobStore interface {
	// CreateJob stores a job record. When file is not nil its content is
	// stored with the job (in chunks, streamed) before the job becomes
	// visible to workers, so a queued job always has its whole file; a
	// read error of file (returned wrapped) leaves nothing behind.
	// Status "" means queued; a job may also be created finished
	// (succeeded, failed or cancelled: an export recorded after the fact,
	// without a file), never running. CreatedAt (and FinishedAt of a
	// finished job) default to now; FileSize is set when file is not nil.
	// A taken id is a *UniquenessError.
	CreateJob(ctx context.Context, j *Job, file io.Reader) error
	GetJob(ctx context.Context, tenantID int64, id string) (Job, error)
	// ListJobs returns one page of jobs newest first (count < 0: all) and
	// the total number of jobs; types, when not nil, keeps only jobs of
	// those types.
	ListJobs(ctx context.Context, tenantID int64, types []string, offset, count int) ([]Job, int, error)
	// ClaimJob atomically claims one runnable job of any tenant for
	// worker: a queued job, or a running one whose heartbeat is older than
	// lease (its worker died; lease <= 0 takes queued jobs only), oldest
	// first. The job becomes running, claimed by worker, with a fresh
	// heartbeat. It returns ErrNotFound when there is none. On PostgreSQL
	// it uses FOR UPDATE SKIP LOCKED.
	ClaimJob(ctx context.Context, worker string, lease time.Duration) (Job, error)
	// Heartbeat refreshes the claim and returns the stored job (to see
	// CancelRequested). It fails with ErrNotFound when worker no longer
	// holds the claim.
	Heartbeat(ctx context.Context, tenantID int64, id, worker string) (Job, error)
	// FinishJob writes the final status (succeeded, failed or cancelled),
	// counts, error, checkpoint and phase of j, sets finished time and
	// report expiry (also on j), clears the claim and deletes the job's
	// file. Only the claiming worker (j.ClaimedBy) may finish: anyone else
	// gets ErrNotFound. Other fields of j are ignored.
	FinishJob(ctx context.Context, j *Job) error
	// ReleaseJob hands a running job claimed by j.ClaimedBy back to the
	// queue (status queued, no claim; file, counts and checkpoint kept) so
	// that any replica resumes it from its checkpoint at once; used on
	// graceful shutdown. ErrNotFound when the claim was lost.
	ReleaseJob(ctx context.Context, j *Job) error
	// RequestCancel cancels a queued job at once (its file is deleted), or
	// flags a running one for its worker (CancelRequested); finished jobs
	// are returned unchanged. It returns the job as stored afterwards.
	RequestCancel(ctx context.Context, tenantID int64, id string) (Job, error)
	// OpenJobFile streams the job's uploaded file (empty for a job created
	// without one), reading a chunk at a time. A finished job's file is
	// deleted: ErrNotFound.
	OpenJobFile(ctx context.Context, tenantID int64, id string) (io.ReadCloser, error)
	// ScanReport streams the job's report lines in row order. It stops at
	// the first error fn returns (returned as is).
	ScanReport(ctx context.Context, tenantID int64, id string, fn func(ReportLine) error) error
	// PurgeJobs deletes job records (with their files and reports)
	// finished before recordsBefore, and the report lines of jobs finished
	// before reportsBefore (the record stays). It works in small batches,
	// and also removes what interrupted uploads and deletions left behind.
	PurgeJobs(ctx context.Context, recordsBefore, reportsBefore time.Time) error
}

// JobTx writes a chunk's job checkpoint inside the chunk's transaction, so
// that the chunk's effects, its report lines and the checkpoint commit (or
// roll back) together.
type JobTx interface {
	// SaveProgress stores counts, checkpoint, phase and heartbeat of a
	// running job of the transaction's tenant claimed by j.ClaimedBy;
	// ErrNotFound if the claim was lost (the caller then rolls back, so no
	// chunk is applied by two workers). It never changes CancelRequested.
	// A store may then commit the transaction without waiting for it to
	// be durable (a database crash loses it whole, checkpoint included,
	// and the job resumes from the previous checkpoint).
	SaveProgress(ctx context.Context, j *Job) error
	// AppendReport adds report lines of a job of the transaction's tenant
	// (rows already present are ignored).
	AppendReport(ctx context.Context, jobID string, lines []ReportLine) error
}
