//go:build linux || darwin || freebsd || netbsd || openbsd

package scan

import (
	"syscall"
	"time"
)

// processCPU is the user and system CPU time the process has used so far
// (KSCAN_DEBUG_TIMINGS).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
