package bulk

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"github.com/scimd/scimd/store"
)

// optimizingStore counts Optimize calls; the rest of store.Store is not
// used by statsRefresh.
type optimizingStore struct {
	store.Store
	calls int
}

func (o *optimizingStore) Optimize(context.Context) error { o.calls++; return nil }

// An import refreshes the planner statistics after 5,000 operations and
// then each time the count has grown eightfold: 1,000-operation chunks up
// to 1,000,000 refresh at 5,000, 40,000 and 320,000.
func TestStatsRefreshSchedule(t *testing.T) {
	st := &optimizingStore{}
	e := &Engine{Store: st, Log: slog.New(slog.DiscardHandler)}
	var s statsRefresh
	var at []int
	for done := 1000; done <= 1_000_000; done += 1000 {
		before := st.calls
		s.add(t.Context(), e, 1000)
		if st.calls > before {
			at = append(at, done)
		}
	}
	want := []int{5000, 40000, 320000}
	if !slices.Equal(at, want) {
		t.Errorf("refreshed after %v operations, want %v", at, want)
	}
}
