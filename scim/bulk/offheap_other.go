//go:build !unix

package bulk

// allocOffHeap falls back to the Go heap where mmap is not available.
func allocOffHeap[T any](n int) []T { return make([]T, n) }

func freeOffHeap[T any]([]T) {}
