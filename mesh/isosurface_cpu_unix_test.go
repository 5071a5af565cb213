//go:build unix

package mesh

import (
	"syscall"
	"time"
)

// isoProcessCPU returns the CPU time this process has used (user + system), to report throughput
// per CPU-second next to wall-clock throughput on a shared machine.
func isoProcessCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
