package scim

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// scanOf returns a scan over 0..n-1 that stops when ctx ends, counting
// the items it produced.
func scanOf(n int, produced *atomic.Int64, delay time.Duration) func(ctx context.Context, fn func(int) error) error {
	return func(ctx context.Context, fn func(int) error) error {
		for i := 0; i < n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if delay > 0 {
				time.Sleep(delay)
			}
			produced.Add(1)
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestScanBatchesDeliversEverythingInOrder(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 11, 95} {
		var got []int
		var sizes []int
		var produced atomic.Int64
		err := scanBatches(context.Background(), 10, scanOf(n, &produced, 0), func(_ context.Context, b []int) error {
			got = append(got, b...)
			sizes = append(sizes, len(b))
			return nil
		})
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(got, want) {
			t.Errorf("n=%d: got %v", n, got)
		}
		for i, sz := range sizes {
			if sz == 0 || sz > 10 || (i < len(sizes)-1 && sz != 10) {
				t.Errorf("n=%d: batch sizes %v", n, sizes)
				break
			}
		}
	}
}

// A slow scan (a filter that matches rarely) still hands over what it has
// after exportFlushEvery.
func TestScanBatchesFlushesPartialBatches(t *testing.T) {
	var produced atomic.Int64
	var first time.Duration
	start := time.Now()
	err := scanBatches(context.Background(), 1000, scanOf(12, &produced, 100*time.Millisecond), func(_ context.Context, b []int) error {
		if first == 0 {
			first = time.Since(start)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if first == 0 || first > exportFlushEvery+500*time.Millisecond {
		t.Errorf("first batch after %v, want about %v", first, exportFlushEvery)
	}
}

func TestScanBatchesProcessErrorStopsTheScan(t *testing.T) {
	boom := errors.New("boom")
	var produced atomic.Int64
	err := scanBatches(context.Background(), 10, scanOf(1_000_000, &produced, 0), func(_ context.Context, b []int) error {
		if b[0] >= 20 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if p := produced.Load(); p > 100 {
		t.Errorf("the scan produced %d items after the error", p)
	}
}

func TestScanBatchesScanError(t *testing.T) {
	boom := errors.New("scan failed")
	processed := 0
	err := scanBatches(context.Background(), 10, func(ctx context.Context, fn func(int) error) error {
		for i := 0; i < 15; i++ {
			if err := fn(i); err != nil {
				return err
			}
		}
		return boom
	}, func(_ context.Context, b []int) error { processed += len(b); return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if processed != 10 {
		t.Errorf("processed %d, want the one full batch (10)", processed)
	}
}

func TestScanBatchesCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var produced atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- scanBatches(ctx, 10, scanOf(1_000_000_000, &produced, 0), func(ctx context.Context, b []int) error {
			time.Sleep(time.Millisecond) // a slow client
			return nil
		})
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("scanBatches did not stop after the cancellation")
	}
}
