package cuda

import "github.com/orfeas3d/orfeas/backends"

// defaultHost returns the backend for the stages that stay on the CPU when Options.Host is nil.
//
// The CPU reference backend's constructor (cpu.New) is not on this branch yet; until it is, the
// default is none, and relief, lithophane and extrude need Options.Host.
func defaultHost() backends.Backend { return nil }
