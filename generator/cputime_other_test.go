//go:build !unix

package generator

import "time"

// genCPUTime is not measured on this platform.
func genCPUTime() time.Duration { return 0 }
