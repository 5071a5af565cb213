//go:build cgo

package cuda

/*
#define ORFEAS_GO_SIDE 1
#include "kernels/args.h"
*/
import "C"

import (
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
)

// scanChunk is the number of entries one thread of a scan or reduction pass walks.
const scanChunk = 256

func chunks(n uint64, c uint64) uint64 { return (n + c - 1) / c }

// scanSums turns the m u64 values at p into their exclusive prefix sums, in place, and returns
// their total (see kernels/scan.cu).
func scanSums(s gpu.Stream, p gpu.Ptr, m uint64) (uint64, error) {
	if m <= scanChunk {
		total, err := allocN[uint64](s, 1)
		if err != nil {
			return 0, err
		}
		a := C.struct_scan_top_args{a: dptr(p), total: dptr(total), n: C.u32(m)}
		if err := launch(s, kScanTop, 1, &a); err != nil {
			return 0, err
		}
		t, err := download[uint64](s, total, 1)
		if err != nil {
			return 0, err
		}
		return t[0], nil
	}
	m1 := chunks(m, scanChunk)
	up, err := allocN[uint64](s, int(m1))
	if err != nil {
		return 0, err
	}
	sa := C.struct_scan_sum_u64_args{in: dptr(p), sums: dptr(up), n: C.u32(m), chunk: scanChunk}
	if err := launch(s, kScanSumU64, m1, &sa); err != nil {
		return 0, err
	}
	total, err := scanSums(s, up, m1)
	if err != nil {
		return 0, err
	}
	da := C.struct_scan_down_u64_args{in: dptr(p), offs: dptr(up), out: dptr(p), n: C.u32(m), chunk: scanChunk}
	return total, launch(s, kScanDownU64, m1, &da)
}

// chunkOffsets returns, for n entries in chunks of scanChunk, each chunk's exclusive prefix sum
// and the total, where sum queues the kernel that writes the chunks' sums.
func chunkOffsets(s gpu.Stream, n uint64, sum func(sums gpu.Ptr, nchunks uint64) error) (gpu.Ptr, uint64, error) {
	m := chunks(n, scanChunk)
	sums, err := allocN[uint64](s, int(max(m, 1)))
	if err != nil {
		return 0, 0, err
	}
	if err := sum(sums, m); err != nil {
		return 0, 0, err
	}
	total, err := scanSums(s, sums, m)
	return sums, total, err
}

// reduceMaxF32 returns max(init, the n floats at p).
func reduceMaxF32(s gpu.Stream, p gpu.Ptr, n uint64, init float32) (float32, error) {
	const c = 1024
	m := chunks(n, c)
	part, err := allocN[float32](s, int(max(m, 1)))
	if err != nil {
		return 0, err
	}
	a := C.struct_max_f32_args{in: dptr(p), out: dptr(part), n: C.u32(n), chunk: c, init: C.float(init)}
	if err := launch(s, kMaxF32, m, &a); err != nil {
		return 0, err
	}
	if m > 1 {
		b := C.struct_max_f32_args{in: dptr(part), out: dptr(part), n: C.u32(m), chunk: C.u32(m), init: C.float(init)}
		if err := launch(s, kMaxF32, 1, &b); err != nil {
			return 0, err
		}
	}
	if m == 0 {
		return init, nil
	}
	v, err := download[float32](s, part, 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// reduceMaxF64 returns max(init, the n doubles at p).
func reduceMaxF64(s gpu.Stream, p gpu.Ptr, n uint64, init float64) (float64, error) {
	const c = 1024
	m := chunks(n, c)
	part, err := allocN[float64](s, int(max(m, 1)))
	if err != nil {
		return 0, err
	}
	a := C.struct_max_f64_args{in: dptr(p), out: dptr(part), n: C.u32(n), chunk: c, init: C.double(init)}
	if err := launch(s, kMaxF64, m, &a); err != nil {
		return 0, err
	}
	if m > 1 {
		b := C.struct_max_f64_args{in: dptr(part), out: dptr(part), n: C.u32(m), chunk: C.u32(m), init: C.double(init)}
		if err := launch(s, kMaxF64, 1, &b); err != nil {
			return 0, err
		}
	}
	if m == 0 {
		return init, nil
	}
	v, err := download[float64](s, part, 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// scanSumU8 queues the chunk sums of the n bytes at in.
func scanSumU8(s gpu.Stream, in, sums gpu.Ptr, n uint64) error {
	a := C.struct_scan_sum_u8_args{in: dptr(in), sums: dptr(sums), n: C.u32(n), chunk: scanChunk}
	return launch(s, kScanSumU8, chunks(n, scanChunk), &a)
}
