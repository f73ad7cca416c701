package scim

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Export streaming knobs.
const (
	// exportUserBatch is how many users are written (and, for the groups
	// column, looked up in one GroupsOfUsers call) at a time; the response
	// is flushed after every batch.
	exportUserBatch = 500
	// exportGroupBatch is the same for groups and their Members call; it
	// is smaller because one group can have 100,000 members.
	exportGroupBatch = 100
	// exportFlushEvery bounds how long matching rows wait in a partial
	// batch when the filter matches rarely.
	exportFlushEvery = 500 * time.Millisecond
	// exportWriteTimeout is how long one flush may block on a client that
	// does not read; a stalled client then ends the export.
	exportWriteTimeout = time.Minute
	// exportSlotsPerAPI bounds concurrent exports per server. An export
	// holds one database connection for its scan and needs a second one
	// for every batch look-up (groups of users, members of groups); with
	// unbounded exports every reader connection could end up held by a
	// scan waiting for a second connection. Two exports fit the smallest
	// reader pool (4 SQLite readers) with room for other requests.
	exportSlotsPerAPI = 2
	// exportSlotWait is how long an export waits for a free slot before
	// it is refused with 503.
	exportSlotWait = 30 * time.Second
)

// exportSlot waits for a free export slot (API.exportSlots) and returns
// its release func.
func (a *API) exportSlot(ctx context.Context) (func(), error) {
	slots := a.exportSlots
	t := time.NewTimer(exportSlotWait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, &apiError{Status: http.StatusServiceUnavailable,
			Detail: "Too many exports are running; retry in a minute."}
	}
}

// clientGoneError is a failed write to the export response: the client
// went away or stopped reading.
type clientGoneError struct{ err error }

func (e *clientGoneError) Error() string { return "writing the export response: " + e.err.Error() }
func (e *clientGoneError) Unwrap() error { return e.err }

// csvStream is the body of an export response: a large buffer over the
// response, flushed through to the client after every batch, each flush
// bounded by a write deadline.
type csvStream struct {
	buf *bufio.Writer
	rc  *http.ResponseController
}

// startCSV commits a 200 text/csv response and returns its body.
func (a *API) startCSV(c echo.Context, jobID, what string) *csvStream {
	res := c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s.csv"`, what, a.now().Format("20060102T150405Z")))
	h.Set("X-Scimd-Job", jobID)
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderXContentTypeOptions, "nosniff")
	res.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(res)
	return &csvStream{buf: bufio.NewWriterSize(writeErrWrapper{res}, 64<<10), rc: rc}
}

func (s *csvStream) Write(p []byte) (int, error) { return s.buf.Write(p) }

// close clears the write deadline: net/http keeps it on the connection
// for the next request of a keep-alive client unless the server has a
// WriteTimeout of its own.
func (s *csvStream) close() { _ = s.rc.SetWriteDeadline(time.Time{}) }

// flush sends everything written so far to the client.
func (s *csvStream) flush() error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout)) // not every writer supports it
	if err := s.buf.Flush(); err != nil {
		return err
	}
	if err := s.rc.Flush(); err != nil {
		return &clientGoneError{err}
	}
	return nil
}

// writeErrWrapper marks errors of the underlying response as client-side.
type writeErrWrapper struct{ w http.ResponseWriter }

func (w writeErrWrapper) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		err = &clientGoneError{err}
	}
	return n, err
}

// scanBatches runs scan and hands what it yields to process in batches of
// size (fewer when a batch has waited exportFlushEvery), on a
// second goroutine, so that reading the database and formatting CSV
// overlap. The first error of either side cancels the other and is
// returned; a scan cut short by process's error returns process's error.
func scanBatches[T any](ctx context.Context, size int, scan func(ctx context.Context, fn func(T) error) error, process func(ctx context.Context, batch []T) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan []T, 2)
	procErr := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err != nil {
				continue // drain until the scan notices the cancellation
			}
			if err = process(ctx, b); err != nil {
				cancel(err)
			}
		}
		procErr <- err
	}()
	send := func(b []T) error {
		select {
		case batches <- b:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	batch := make([]T, 0, size)
	since := time.Now()
	err := scan(ctx, func(v T) error {
		batch = append(batch, v)
		if len(batch) < size && time.Since(since) < exportFlushEvery {
			return nil
		}
		if err := send(batch); err != nil {
			return err
		}
		batch, since = make([]T, 0, size), time.Now()
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = send(batch)
	}
	close(batches)
	if perr := <-procErr; perr != nil {
		return perr
	}
	return err
}
