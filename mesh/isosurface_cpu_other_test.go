//go:build !unix

package mesh

import "time"

func isoProcessCPU() time.Duration { return 0 }
