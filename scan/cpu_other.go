//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package scan

import "time"

// processCPU is not measured here: KSCAN_DEBUG_TIMINGS prints 0s.
func processCPU() time.Duration { return 0 }
