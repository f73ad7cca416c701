package bulk

import (
	"context"
	"runtime"
	"sync"
)

// prefetch reads items from next on a goroutine of its own, in batches,
// runs prepare on each batch's items in parallel (on every core), and
// returns a next function that yields the items in their original order.
// While the engine applies a chunk, the following rows are read, mapped
// and prepared: up to ahead items (at least two batches) wait ready, so
// that a whole chunk is prepared while the one before it is written —
// with less, the writer would wait for preparation at each chunk start
// and preparation for the writer at its end. stop ends the goroutine; it
// must be called. next runs on that goroutine, one call at a time.
func prefetch[T any](ctx context.Context, next func() (T, bool, error), prepare func(*T), batch, ahead int) (pull func() (T, bool, error), stop func()) {
	type result struct {
		items []T
		err   error
		done  bool
	}
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan result, max(2, (ahead+batch-1)/batch))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(out)
		workers := runtime.GOMAXPROCS(0)
		for {
			r := result{items: make([]T, 0, batch)}
			for len(r.items) < batch {
				it, ok, err := next()
				if err != nil {
					r.err = err
					break
				}
				if !ok {
					r.done = true
					break
				}
				r.items = append(r.items, it)
			}
			if prepare != nil && len(r.items) > 0 {
				parallel(r.items, workers, prepare)
			}
			select {
			case out <- r:
			case <-ctx.Done():
				return
			}
			if r.err != nil || r.done {
				return
			}
		}
	}()
	var cur result
	pos := 0
	pull = func() (T, bool, error) {
		var zero T
		for pos >= len(cur.items) {
			if cur.err != nil {
				return zero, false, cur.err
			}
			if cur.done {
				return zero, false, nil
			}
			r, ok := <-out
			if !ok {
				return zero, false, ctx.Err()
			}
			cur, pos = r, 0
		}
		it := cur.items[pos]
		pos++
		return it, true, nil
	}
	stop = func() {
		cancel()
		for range out { // let the goroutine finish its send
		}
		wg.Wait()
	}
	return pull, stop
}

// parallel runs f on every item, on up to workers goroutines.
func parallel[T any](items []T, workers int, f func(*T)) {
	if workers <= 1 || len(items) < 2 {
		for i := range items {
			f(&items[i])
		}
		return
	}
	var wg sync.WaitGroup
	per := (len(items) + workers - 1) / workers
	for lo := 0; lo < len(items); lo += per {
		hi := min(lo+per, len(items))
		wg.Add(1)
		go func(part []T) {
			defer wg.Done()
			for i := range part {
				f(&part[i])
			}
		}(items[lo:hi])
	}
	wg.Wait()
}
