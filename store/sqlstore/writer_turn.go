package sqlstore

import (
	"context"
	"sync"
	"time"

	"github.com/scimd/scimd/store"
)

// maxYield bounds how long a background transaction lets interactive
// writers go first: a steady stream of API writes slows an import down,
// it does not stop it.
const maxYield = 50 * time.Millisecond

// writerTurn orders transactions for SQLite's single writer connection.
// An interactive transaction (an API write) counts as waiting until it
// holds the writer; a background one (store.Background: import chunks)
// first waits, up to maxYield, until no interactive transaction is
// waiting. database/sql hands a released connection to a random waiter,
// so without this an API write could wait behind several chunks. It
// returns the function to run in the transaction and a release to call
// when the transaction is over (it ends the wait if fn never ran).
func (s *Store) writerTurn(ctx context.Context, fn func(tx store.Tx) error) (func(tx store.Tx) error, func()) {
	if store.IsBackground(ctx) {
		deadline := time.Now().Add(maxYield)
		for s.waitingWriters.Load() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(100 * time.Microsecond)
		}
		return fn, func() {}
	}
	s.waitingWriters.Add(1)
	var once sync.Once
	started := func() { once.Do(func() { s.waitingWriters.Add(-1) }) }
	return func(tx store.Tx) error {
		started()
		return fn(tx)
	}, started
}
