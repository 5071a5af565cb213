//go:build unix

package mesh

import (
	"syscall"
	"time"
)

// ioCPUTime returns the CPU time (user + system) the process has used so far, so that benchmarks
// on a shared machine can report a figure that other processes do not inflate.
func ioCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
