//go:build cgo

// Package emu runs the CUDA backend's kernels on the host, for tests: the same kernel sources
// (backends/cuda/kernels/*.cu) compiled as C by cgo, with a launcher that runs every thread of a
// grid one after another. A Stream's "device memory" is C heap memory. Kernels use no
// cooperation inside a launch, so sequential execution gives the results a GPU gives.
package emu

/*
#cgo CFLAGS: -O2 -std=gnu11 -fno-strict-aliasing
#cgo LDFLAGS: -lm
#include <stdlib.h>
#include <string.h>
#include "emu.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
)

// Kernels returns the kernels' names, indexed by gpu.Kernel.
func Kernels() []string {
	n := int(C.emu_kernel_count())
	out := make([]string, n)
	for k := range n {
		out[k] = C.GoString(C.emu_kernel_name(C.int(k)))
	}
	return out
}

// ArgsSize returns the size in bytes of kernel k's argument struct as the C compiler lays it out.
func ArgsSize(k gpu.Kernel) uintptr { return uintptr(C.emu_kernel_args_size(C.int(k))) }

// Stream is an emulated gpu.Stream. Its zero value is not usable; call NewStream.
type Stream struct {
	mu     sync.Mutex
	bufs   map[gpu.Ptr]uint64
	limit  uint64 // bytes it may hold at once; 0 means no limit
	held   uint64
	peak   uint64
	closed bool
	// Launches counts kernel launches, for tests.
	Launches int
}

// NewStream returns a stream whose allocations fail with gpu.ErrOutOfMemory beyond limit bytes
// in total (0: no limit).
func NewStream(limit uint64) *Stream {
	return &Stream{bufs: map[gpu.Ptr]uint64{}, limit: limit}
}

var errClosed = errors.New("emu: stream closed")

// Alloc implements gpu.Stream.
func (s *Stream) Alloc(size uint64) (gpu.Ptr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed
	}
	if s.limit > 0 && s.held+size > s.limit {
		return 0, fmt.Errorf("%w: %d bytes wanted, %d of %d held", gpu.ErrOutOfMemory, size, s.held, s.limit)
	}
	p := C.malloc(C.size_t(max(size, 1)))
	if p == nil {
		return 0, fmt.Errorf("%w: host malloc of %d bytes", gpu.ErrOutOfMemory, size)
	}
	// Garbage, like fresh device memory: a kernel that reads what it did not write shows it.
	C.memset(p, 0xA5, C.size_t(max(size, 1)))
	ptr := gpu.Ptr(uintptr(p))
	s.bufs[ptr] = size
	s.held += size
	s.peak = max(s.peak, s.held)
	return ptr, nil
}

func (s *Stream) check(p gpu.Ptr, size uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	for b, n := range s.bufs {
		if p >= b && uint64(p-b)+size <= n {
			return nil
		}
	}
	return fmt.Errorf("emu: %d bytes at %#x are not inside one allocation", size, uint64(p))
}

// Upload implements gpu.Stream.
func (s *Stream) Upload(dst gpu.Ptr, src unsafe.Pointer, size uint64) error {
	if err := s.check(dst, size); err != nil {
		return err
	}
	if size > 0 {
		C.memcpy(ptr(dst), src, C.size_t(size))
	}
	return nil
}

// Download implements gpu.Stream.
func (s *Stream) Download(dst unsafe.Pointer, src gpu.Ptr, size uint64) error {
	if err := s.check(src, size); err != nil {
		return err
	}
	if size > 0 {
		C.memcpy(dst, ptr(src), C.size_t(size))
	}
	return nil
}

// Launch implements gpu.Stream, running the grid before it returns.
func (s *Stream) Launch(k gpu.Kernel, blocks, threads uint32, args unsafe.Pointer, argSize uintptr) error {
	s.mu.Lock()
	closed := s.closed
	s.Launches++
	s.mu.Unlock()
	if closed {
		return errClosed
	}
	if rc := C.emu_launch(C.int(k), C.uint(blocks), C.uint(threads), args, C.size_t(argSize)); rc != 0 {
		return fmt.Errorf("emu: launch of kernel %d with %d argument bytes (want %d)", k, argSize, ArgsSize(k))
	}
	return nil
}

// Sync implements gpu.Stream.
func (*Stream) Sync() error { return nil }

// Held returns the bytes allocated and not yet released, and the most held at once.
func (s *Stream) Held() (now, peak uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held, s.peak
}

// Close frees every allocation. It is idempotent.
func (s *Stream) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.bufs {
		C.free(ptr(p))
	}
	s.bufs = nil
	s.held = 0
	s.closed = true
}

// ptr converts a device address of this emulator (a C heap address) for C calls.
func ptr(p gpu.Ptr) unsafe.Pointer {
	return C.emu_ptr(C.uint64_t(p))
}

// KernelModule returns the kernel source file (without .cu) that defines kernel k.
func KernelModule(k gpu.Kernel) string { return C.GoString(C.emu_kernel_module(C.int(k))) }
