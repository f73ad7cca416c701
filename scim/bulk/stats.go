package bulk

import "context"

// firstStatsRefresh is the number of operations after which an import
// first refreshes the planner statistics; later refreshes come each time
// the count has grown statsGrowth-fold. The first one is what matters
// (plans made on empty tables); later ones keep the estimates within a
// factor of statsGrowth, where index plans stay index plans, and each
// costs more than the one before (an ANALYZE at 80,000 users took a
// quarter of a second).
const (
	firstStatsRefresh = 5000
	statsGrowth       = 8
)

// statsRefresh keeps the database's planner statistics in step with a
// large import. A table filled faster than autovacuum analyzes it still
// looks empty to the planner, and PostgreSQL keeps the generic plan it
// made then for the chunks' prepared look-ups: the user look-up of an
// import into an empty tenant walked the whole tenant once per key
// (148 rows/s with 10,000-row chunks). An ANALYZE replaces those plans.
// It costs tens to hundreds of milliseconds, a few times per import.
type statsRefresh struct {
	done, next int
}

// add counts n applied operations and refreshes the statistics when due
// (stores that cannot are skipped; a failure is logged, not fatal).
func (s *statsRefresh) add(ctx context.Context, e *Engine, n int) {
	if s.next == 0 {
		s.next = firstStatsRefresh
	}
	if s.done += n; s.done < s.next {
		return
	}
	s.next = s.done * statsGrowth
	o, ok := e.Store.(interface{ Optimize(context.Context) error })
	if !ok {
		return
	}
	if err := o.Optimize(ctx); err != nil {
		e.Log.WarnContext(ctx, "bulk: refresh planner statistics", "err", err)
	}
}
