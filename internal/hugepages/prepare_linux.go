package hugepages

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Prepare asks for huge pages for n more bytes of heap (rounded in to
// whole huge pages), or does nothing where that is not wanted. The block it allocates is garbage at once: the collector frees
// it at its next cycle (at once when n passes the heap's goal) and the
// heap's next allocations reuse the range. It touches none of the block:
// no resident memory is added. Call it early, while the heap is small.
func Prepare(n int64) { prepare(n) }

// prepare is Prepare returning the range it marked (empty: none), which
// the tests hold the kernel's word against.
func prepare(n int64) (lo, hi uintptr) {
	if n < 2*hugePage || !wanted("/") || capped() {
		return 0, 0
	}
	b := make([]byte, n)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo = (start + hugePage - 1) &^ (hugePage - 1)
	hi = (start + uintptr(n)) &^ (hugePage - 1)
	if lo >= hi {
		return 0, 0
	}
	if err := unix.Madvise(b[lo-start:hi-start], unix.MADV_HUGEPAGE); err != nil {
		return 0, 0 // advice only: the heap works without it
	}
	runtime.KeepAlive(b)
	return lo, hi
}

// capped says whether the process's address space or data segment is
// limited (ulimit -v, ulimit -d): a block mapped ahead of need spends that
// budget, and Go's runtime dies when a mapping is refused.
func capped() bool {
	for _, res := range []int{unix.RLIMIT_AS, unix.RLIMIT_DATA} {
		var l unix.Rlimit
		if err := unix.Getrlimit(res, &l); err != nil || l.Cur != unix.RLIM_INFINITY {
			return true
		}
	}
	return false
}
