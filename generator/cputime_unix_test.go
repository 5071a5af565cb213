//go:build unix

package generator

import (
	"syscall"
	"time"
)

// genCPUTime returns the CPU time (user + system) the process has used so far, so that
// benchmarks on a shared machine can report a figure that other processes do not inflate.
func genCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
