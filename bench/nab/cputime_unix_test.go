//go:build unix

package nab

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of the process: benchmarks
// report it per operation beside the wall time, which on a shared machine
// also counts the time spent waiting for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
