package scim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/scimd/scimd/bulkcsv"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/store"
)

// JobLease is how long a running job's claim lasts without a heartbeat
// before another worker may take the job over (its worker died).
const JobLease = 15 * time.Second

// jobsAdapter adapts the store's job records to the runner's Jobs
// interface (bulkcsv declares its own small interface and never imports
// the store).
type jobsAdapter struct {
	st    store.Store
	lease time.Duration
}

var _ bulkcsv.Jobs = (*jobsAdapter)(nil)

func toRunnerJob(j store.Job) (*bulkcsv.Job, error) {
	rj := &bulkcsv.Job{
		ID: j.ID, TenantID: j.TenantID, Type: j.Type, DryRun: j.DryRun, Mode: j.Mode,
		Status: j.Status, Error: j.Error, Counts: bulk.Counts(j.JobCounts),
		Checkpoint: j.Checkpoint, Phase: j.Phase, Worker: j.ClaimedBy,
	}
	if len(j.Options) > 0 {
		if err := json.Unmarshal(j.Options, &rj.Options); err != nil {
			return nil, err
		}
	}
	return rj, nil
}

func (ja *jobsAdapter) storeJob(j *bulkcsv.Job) *store.Job {
	return &store.Job{
		ID: j.ID, TenantID: j.TenantID, Type: j.Type, Status: j.Status, Error: j.Error,
		JobCounts: store.JobCounts(j.Counts), Checkpoint: j.Checkpoint, Phase: j.Phase, ClaimedBy: j.Worker,
	}
}

func (ja *jobsAdapter) Claim(ctx context.Context, worker string) (*bulkcsv.Job, error) {
	j, err := ja.st.ClaimJob(ctx, worker, ja.lease)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rj, err := toRunnerJob(j)
	if err != nil { // a record the runner cannot read: fail it rather than retry forever
		sj := j
		sj.Status, sj.Error = store.JobFailed, "unreadable job options: "+err.Error()
		return nil, ja.st.FinishJob(ctx, &sj)
	}
	return rj, nil
}

func (ja *jobsAdapter) Heartbeat(ctx context.Context, j *bulkcsv.Job) (bool, error) {
	sj, err := ja.st.Heartbeat(ctx, j.TenantID, j.ID, j.Worker)
	if errors.Is(err, store.ErrNotFound) {
		return false, bulkcsv.ErrClaimLost
	}
	if err != nil {
		return false, err
	}
	return sj.CancelRequested, nil
}

// optimizeAfter is the number of processed rows after which a finished
// import refreshes the planner statistics.
const optimizeAfter = 10000

func (ja *jobsAdapter) Finish(ctx context.Context, j *bulkcsv.Job) error {
	if err := ja.st.FinishJob(ctx, ja.storeJob(j)); err != nil {
		return err
	}
	// A large import changes the data distribution: refresh the planner
	// statistics so filters keep using the right indexes.
	if o, ok := ja.st.(interface{ Optimize(context.Context) error }); ok && !j.DryRun && j.Counts.Processed >= optimizeAfter {
		return o.Optimize(ctx)
	}
	return nil
}

func (ja *jobsAdapter) Release(ctx context.Context, j *bulkcsv.Job) error {
	return ja.st.ReleaseJob(ctx, ja.storeJob(j))
}

func (ja *jobsAdapter) Open(ctx context.Context, j *bulkcsv.Job) (io.ReadCloser, error) {
	return ja.st.OpenJobFile(ctx, j.TenantID, j.ID)
}

// jobJSON is the wire form of a job record (SPEC §8).
type jobJSON struct {
	Schemas          []string   `json:"schemas"`
	ID               string     `json:"id"`
	Type             string     `json:"type"`
	Status           string     `json:"status"`
	Description      string     `json:"description"`
	CreatedAt        time.Time  `json:"createdAt"`
	StartedAt        *time.Time `json:"startedAt"`
	FinishedAt       *time.Time `json:"finishedAt"`
	DryRun           bool       `json:"dryRun"`
	Mode             string     `json:"mode,omitempty"`
	Total            int64      `json:"total"`
	Processed        int64      `json:"processed"`
	Created          int64      `json:"created"`
	Updated          int64      `json:"updated"`
	Unchanged        int64      `json:"unchanged"`
	Skipped          int64      `json:"skipped"`
	Failed           int64      `json:"failed"`
	Truncated        int64      `json:"truncated"`
	MembershipsAdded int64      `json:"membershipsAdded"`
	Error            string     `json:"error"`
	Options          any        `json:"options,omitempty"`
	Meta             struct {
		ResourceType string `json:"resourceType"`
		Location     string `json:"location"`
	} `json:"meta"`
}

// JobSchemaURN names scimd's job representation.
const JobSchemaURN = "urn:scimd:params:scim:schemas:2.0:Job"

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (rd renderer) job(j store.Job) jobJSON {
	out := jobJSON{
		Schemas: []string{JobSchemaURN}, ID: j.ID, Type: j.Type, Status: j.Status,
		Description: j.Description, CreatedAt: j.CreatedAt.UTC(), StartedAt: utcPtr(j.StartedAt),
		FinishedAt: utcPtr(j.FinishedAt), DryRun: j.DryRun, Mode: j.Mode,
		Total: j.Total, Processed: j.Processed, Created: j.Created, Updated: j.Updated,
		Unchanged: j.Unchanged, Skipped: j.Skipped, Failed: j.Failed, Truncated: j.Truncated,
		MembershipsAdded: j.MembershipsAdded, Error: j.Error,
	}
	if len(j.Options) > 0 && string(j.Options) != "{}" && string(j.Options) != "null" {
		out.Options = json.RawMessage(j.Options)
	}
	out.Meta.ResourceType = "Job"
	out.Meta.Location = rd.base + "/Jobs/" + j.ID
	return out
}

// ImportRunner returns a CSV import job runner for this API's store and
// Bulk engine. worker must be unique per process (it names job claims).
func (a *API) ImportRunner(worker string, chunkSize int) *bulkcsv.Runner {
	return &bulkcsv.Runner{
		Jobs:      &jobsAdapter{st: a.store, lease: JobLease},
		Engine:    &bulk.Engine{Store: a.store, Svc: a.svc, Reg: a.reg, Log: a.log},
		Reg:       a.reg,
		Log:       a.log,
		Worker:    worker,
		ChunkSize: chunkSize,
		Wake:      a.jobQueued,
	}
}
