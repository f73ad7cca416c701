package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
	"github.com/scimd/scimd/store/storetest"
)

// openStore opens a store on a fresh database of kind, closed at cleanup.
func openStore(t testing.TB, kind testdb.Kind) *sqlstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sqlstore.Open(ctx, sqlstore.Config{DSN: testdb.DSN(t, kind)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return openStore(t, kind) })
		})
	}
}
