//go:build unix

package bulk

import (
	"fmt"
	"syscall"
	"unsafe"
)

// allocOffHeap returns n zeroed T in anonymous memory outside the Go heap
// (mmap). The dry-run overlay keeps its million-entry tables there: they
// live as long as the run, and on the Go heap they would raise the
// collector's heap goal by GOGC percent of their size (at 1,000,000 rows
// and GOGC=200, ~100 MB of peak RSS for ~50 MB of tables). T must hold no
// pointers. Release with freeOffHeap. Failing to map memory is as fatal
// as the runtime's own out-of-memory.
func allocOffHeap[T any](n int) []T {
	if n == 0 {
		return nil
	}
	var zero T
	size := n * int(unsafe.Sizeof(zero))
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		panic(fmt.Sprintf("dry run overlay: map %d bytes: %v", size, err))
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// freeOffHeap releases memory from allocOffHeap (the whole of it: s must
// be the slice allocOffHeap returned, or a reslice with the same start
// and capacity).
func freeOffHeap[T any](s []T) {
	if cap(s) == 0 {
		return
	}
	var zero T
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), cap(s)*int(unsafe.Sizeof(zero)))
	_ = syscall.Munmap(b)
}
