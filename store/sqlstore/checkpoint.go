package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/scimd/scimd/store/sqlstore/sqlitedrv"
)

// checkpointInterval is how often the background checkpointer copies the
// SQLite WAL into the database file.
const checkpointInterval = 100 * time.Millisecond

// checkpointer runs PASSIVE WAL checkpoints on a connection of its own, so
// that the writer's commits do not stop to copy the WAL into the database
// file and fsync both (with the writer's wal_autocheckpoint, a bulk
// import's chunk commits spent about half their time in checkpoints). A
// PASSIVE checkpoint never blocks the writer or readers; it copies what it
// can. The writer's wal_autocheckpoint (sqlitedrv) stays as a safety net
// should this one fall behind.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	err  error
}

// startCheckpointer opens a connection to the SQLite file at path and
// checkpoints its WAL every checkpointInterval until close.
func startCheckpointer(path string, log *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open(sqlitedrv.DriverName, withParams(path, "_busy_timeout=5000&_synchronous=NORMAL"))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, log: log, stop: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer c.wg.Done()
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		// busy = 1 only when another checkpoint runs; log and done are
		// WAL frames; neither needs acting on.
		var busy, logFrames, done int64
		err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
		if err != nil && !failing {
			c.log.Warn("sqlstore: background WAL checkpoint", "err", err)
		}
		failing = err != nil
	}
}

// close stops the checkpointer and closes its connection (once).
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	c.once.Do(func() {
		close(c.stop)
		c.wg.Wait()
		c.err = c.db.Close()
	})
	return c.err
}
