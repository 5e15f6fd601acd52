//go:build unix

package series_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system) of this process so far,
// for benchmarks on a shared machine where wall time says little.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
