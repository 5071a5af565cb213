package cuda

import (
	"fmt"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
)

var (
	// ErrOutOfMemory is wrapped when a reconstruction does not fit in device memory: the device
	// reported CUDA_ERROR_OUT_OF_MEMORY, or the call needs more than the whole memory budget.
	ErrOutOfMemory = gpu.ErrOutOfMemory
)

// errClosed is what Reconstruct returns after Close.
var errClosed = fmt.Errorf("cuda: %w", backends.ErrClosed)

// Options configure a Backend. The zero value means the defaults.
type Options struct {
	// Device is the ordinal of the GPU to use (default 0, the first).
	Device int
	// MemoryBudget is the most device memory, in bytes, that concurrent reconstructions may
	// hold together; calls wait for their share. The default is 80 % of the memory free when the
	// backend opens.
	MemoryBudget uint64
	// Host builds what stays on the CPU: cylinder lithophanes and extrusions, and reliefs and
	// lithophanes too large for the GPU's triangulation (more than 8193 samples a side, or more
	// device memory than the budget).
	// The default is the CPU reference backend (cpu.New(cpu.Options{})). Close does not close the Host.
	Host backends.Backend
}

// Info describes the GPU a Backend runs on.
type Info struct {
	// Name is the device's name, such as "NVIDIA H200".
	Name string
	// ComputeCapability is the device's major and minor compute capability, such as {9, 0}.
	ComputeCapability [2]int
	// TotalMemory and FreeMemory are the device's memory in bytes, free as of New.
	TotalMemory, FreeMemory uint64
	// Budget is the memory budget in bytes (see Options.MemoryBudget).
	Budget uint64
}
