package bulkcsv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/scimd/scimd/scim/bulk"
)

// Job types and statuses handled by the runner (SPEC §8).
const (
	TypeUsersImport  = "users-import"
	TypeGroupsImport = "groups-import"

	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Import modes (SPEC §5).
const (
	ModeUpdate = "update"
	ModeIgnore = "ignore"
	ModeFail   = "fail"
)

// ImportOptions are the options of an import job, kept with the job record.
type ImportOptions struct {
	MatchBy          string `json:"matchBy,omitempty"`
	EmptyCells       string `json:"emptyCells,omitempty"` // keep (default) | clear
	CreateGroups     bool   `json:"createGroups,omitempty"`
	MaxGroupsPerUser int    `json:"maxGroupsPerUser,omitempty"`
	MaxGroupsPerFile int    `json:"maxGroupsPerFile,omitempty"`
}

// ParseMode checks an import mode ("" is update).
func ParseMode(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", ModeUpdate:
		return ModeUpdate, nil
	case ModeIgnore:
		return ModeIgnore, nil
	case ModeFail:
		return ModeFail, nil
	}
	return "", fmt.Errorf("mode %q: want update, ignore or fail", s)
}

// ParseEmptyCells parses the emptyCells parameter ("" is keep).
func ParseEmptyCells(s string) (EmptyCells, error) {
	switch strings.ToLower(s) {
	case "", "keep":
		return EmptyKeep, nil
	case "clear":
		return EmptyClear, nil
	}
	return EmptyKeep, fmt.Errorf("emptyCells %q: want keep or clear", s)
}

// Job is the runner's view of an import job.
type Job struct {
	ID         string
	TenantID   int64
	Type       string
	DryRun     bool
	Mode       string
	Options    ImportOptions
	Status     string
	Error      string
	Counts     bulk.Counts
	Checkpoint int64 // data rows committed
	Phase      int
	Worker     string // the claim
}

// Jobs is the job storage the runner needs. Package scim adapts the store
// to it.
type Jobs interface {
	// Claim claims a runnable job for worker; (nil, nil) when there is none.
	Claim(ctx context.Context, worker string) (*Job, error)
	// Heartbeat refreshes the claim and reports whether cancellation was
	// requested. ErrClaimLost: another worker owns the job now.
	Heartbeat(ctx context.Context, j *Job) (cancel bool, err error)
	// Finish records the final status, counts and error.
	Finish(ctx context.Context, j *Job) error
	// Release hands the job back to the queue (graceful shutdown).
	Release(ctx context.Context, j *Job) error
	// Open streams the job's uploaded file.
	Open(ctx context.Context, j *Job) (io.ReadCloser, error)
}

// ErrClaimLost reports that the job is no longer claimed by this worker.
var ErrClaimLost = errors.New("bulkcsv: job claim lost")

// Engine is the part of the Bulk engine the runner uses.
type Engine interface {
	ImportUsers(ctx context.Context, tenantID int64, next func() (bulk.UserUpsert, bool, error), opts bulk.UsersOptions, sink bulk.Sink) error
	AssignGroups(ctx context.Context, tenantID int64, next func() (bulk.GroupAssign, bool, error), opts bulk.AssignOptions, sink bulk.Sink) error
}

var _ Engine = (*bulk.Engine)(nil)
