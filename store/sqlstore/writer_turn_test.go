package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/scimd/scimd/store"
)

// TestWriterTurn: on SQLite a background transaction (an import chunk)
// waits while an interactive one is waiting for the writer, but no longer
// than maxYield; an interactive transaction stops counting as waiting
// once it runs, and also when it fails before running.
func TestWriterTurn(t *testing.T) {
	ctx := context.Background()
	s, ten := openSQLiteTenant(t, filepath.Join(t.TempDir(), "turn.db"))
	noop := func(store.Tx) error { return nil }

	// An interactive writer is waiting (simulated): the background
	// transaction yields, then goes ahead after at most maxYield.
	s.waitingWriters.Add(1)
	start := time.Now()
	if err := s.Tx(store.Background(ctx), ten.ID, noop); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < maxYield {
		t.Errorf("background transaction started after %v while a writer waited; want at least %v", waited, maxYield)
	}
	s.waitingWriters.Add(-1)

	// Nobody waiting: no delay.
	start = time.Now()
	if err := s.Tx(store.Background(ctx), ten.ID, noop); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited >= maxYield {
		t.Errorf("background transaction took %v with nobody waiting", waited)
	}

	// Interactive transactions leave the count as they found it, whether
	// they ran or failed to begin (cancelled context).
	if err := s.Tx(ctx, ten.ID, noop); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_ = s.Tx(cancelled, ten.ID, noop)
	if n := s.waitingWriters.Load(); n != 0 {
		t.Errorf("%d writers still counted as waiting", n)
	}
}
