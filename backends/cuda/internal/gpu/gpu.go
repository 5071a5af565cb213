// Package gpu is the narrow interface between the CUDA backend's pipelines and whatever runs
// their kernels: the NVIDIA driver (package cuda) or the host emulator used by the tests
// (package emu). A pipeline written against Stream runs unchanged on both, so CI, which has no
// GPU, still runs every pipeline end to end.
package gpu

import (
	"errors"
	"unsafe"
)

// Ptr is an address in device memory (a host address under emulation).
type Ptr uint64

// Kernel is a kernel's index in the list of kernels/args.h (ORFEAS_KERNELS).
type Kernel int

// ErrOutOfMemory is wrapped when device memory cannot be allocated.
var ErrOutOfMemory = errors.New("cuda: out of device memory")

// Stream is one call's queue of device work. Work is executed in order; Download waits for the
// work before it. Memory from Alloc belongs to the stream and is released by the stream's owner
// when the call ends. A Stream is used by one goroutine at a time.
type Stream interface {
	// Alloc returns size bytes of device memory, uninitialised. Its error wraps ErrOutOfMemory
	// when the memory is not there.
	Alloc(size uint64) (Ptr, error)
	// Upload copies size bytes from host memory to the device; src may be reused on return.
	Upload(dst Ptr, src unsafe.Pointer, size uint64) error
	// Download copies size bytes from the device after all work queued before it.
	Download(dst unsafe.Pointer, src Ptr, size uint64) error
	// Launch queues kernel k on a 1D grid of blocks×threads; args points to the kernel's
	// argument struct of argSize bytes, copied before Launch returns.
	Launch(k Kernel, blocks, threads uint32, args unsafe.Pointer, argSize uintptr) error
	// Sync waits for the work queued so far.
	Sync() error
}
