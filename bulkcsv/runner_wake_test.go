package bulkcsv

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// claimCounter is a job queue that never has a job and counts claims.
type claimCounter struct{ claims chan struct{} }

func (q *claimCounter) Claim(context.Context, string) (*Job, error) {
	q.claims <- struct{}{}
	return nil, nil
}
func (q *claimCounter) Heartbeat(context.Context, *Job) (bool, error) { return false, nil }
func (q *claimCounter) Finish(context.Context, *Job) error            { return nil }
func (q *claimCounter) Release(context.Context, *Job) error           { return nil }
func (q *claimCounter) Open(context.Context, *Job) (io.ReadCloser, error) {
	return nil, errors.New("no file")
}

// TestRunnerWake: an idle runner claims again as soon as Wake receives,
// not after its poll interval.
func TestRunnerWake(t *testing.T) {
	q := &claimCounter{claims: make(chan struct{}, 10)}
	wake := make(chan struct{}, 1)
	r := &Runner{Jobs: q, Log: slog.New(slog.DiscardHandler), Worker: "w", Poll: time.Hour, Wake: wake}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	<-q.claims // the first attempt, at start
	select {
	case <-q.claims:
		t.Fatal("claimed again without a wake-up, before the poll interval")
	case <-time.After(50 * time.Millisecond):
	}
	wake <- struct{}{}
	select {
	case <-q.claims:
	case <-time.After(5 * time.Second):
		t.Fatal("no claim attempt after the wake-up")
	}
}
