package snapshot

import (
	"time"

	"github.com/scimd/scimd/store"
)

// Job records. A snapshot export or import runs in the request (or the
// CLI process) rather than in the job queue, so its job is recorded once
// it ends, in its final state, like the CSV exports (SPEC §8).

// ImportJob is the tenant-import record of an import that ran from
// started to finished with result res and error err (nil: succeeded).
// The caller may replace Error (e.g. to hide an internal error's text).
func ImportJob(id string, tenantID int64, mode Mode, description string, started, finished time.Time, res ImportResult, err error) *store.Job {
	j := &store.Job{
		ID: id, TenantID: tenantID, Type: store.JobTenantImport, Mode: string(mode),
		Description: description, CreatedAt: started, StartedAt: &started, FinishedAt: &finished,
		JobCounts: store.JobCounts(res.Counts), Status: store.JobSucceeded,
	}
	j.Total = res.Users + res.Groups
	if err != nil {
		j.Status, j.Error = store.JobFailed, err.Error()
	}
	return j
}

// ExportJob is the tenant-export record of an export: total and processed
// count the users and groups written.
func ExportJob(id string, tenantID int64, description string, started, finished time.Time, st ExportStats, err error) *store.Job {
	j := &store.Job{
		ID: id, TenantID: tenantID, Type: store.JobTenantExport, Description: description,
		CreatedAt: started, StartedAt: &started, FinishedAt: &finished, Status: store.JobSucceeded,
	}
	j.Total = st.Users + st.Groups
	j.Processed = j.Total
	if err != nil {
		j.Status, j.Error = store.JobFailed, err.Error()
	}
	return j
}
