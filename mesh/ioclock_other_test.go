//go:build !unix

package mesh

import "time"

// ioCPUTime is not available here; benchmarks then report no CPU figure.
func ioCPUTime() time.Duration { return 0 }
