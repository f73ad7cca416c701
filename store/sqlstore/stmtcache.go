package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// maxCachedStmts bounds a stmtCache: texts differ by the length of their
// value lists, so a few hundred cover every shape in use.
const maxCachedStmts = 512

// stmtCache holds prepared statements of one SQLite pool by SQL text
// (SQLite only: pgx caches statements per connection itself).
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	byText  map[string]*sql.Stmt
	pending map[string]bool // seen by lookup, not prepared yet
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, byText: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the prepared statement for query, or nil when it is not
// prepared yet (it is then queued for preparePending) or the cache is
// full. It never waits for a connection, so it is safe inside a
// transaction on the pool's only connection.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.byText[query]
	if !ok && len(c.byText)+len(c.pending) < maxCachedStmts {
		c.pending[query] = true
	}
	return p
}

// get returns the prepared statement for query, preparing a missing one
// at once (nil when the cache is full). It may wait for a connection of
// the pool, so it is for pools used outside transactions (the readers).
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	p, ok := c.byText[query]
	full := len(c.byText)+len(c.pending) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return p, nil
	}
	return c.add(ctx, query)
}

// preparePending prepares the statements queued by lookup. It takes a
// connection of the pool: on the writer, call it after a transaction,
// never in one.
func (c *stmtCache) preparePending(ctx context.Context) error {
	c.mu.Lock()
	queries := slices.Collect(maps.Keys(c.pending))
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range queries {
		if _, err := c.add(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// add prepares query and keeps it (or the statement another goroutine
// kept meanwhile).
func (c *stmtCache) add(ctx context.Context, query string) (*sql.Stmt, error) {
	p, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", query, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.byText[query]; ok {
		p.Close()
		return prev, nil
	}
	c.byText[query] = p
	return p, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, p := range c.byText {
		errs = append(errs, p.Close())
	}
	clear(c.byText)
	return errors.Join(errs...)
}
