//go:build !unix

package jobs

import "time"

func cpuTime() time.Duration { return 0 }
