//go:build !linux

package hugepages

// Prepare does nothing outside Linux: transparent huge pages are Linux's.
func Prepare(n int64) {}
