package cuda

import (
	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
)

// defaultHost returns the backend for the stages that stay on the CPU when Options.Host is nil:
// the CPU reference.
func defaultHost() backends.Backend { return cpu.New() }
