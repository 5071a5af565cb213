//go:build cgo

package cuda

/*
#define ORFEAS_GO_SIDE 1
#include "kernels/args.h"
*/
import "C"

import (
	"unsafe"

	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
)

// The kernels, by their index in kernels/args.h.
const (
	kEdtCols        = gpu.Kernel(C.KID_edt_cols)
	kEdtRows        = gpu.Kernel(C.KID_edt_rows)
	kSdRefine       = gpu.Kernel(C.KID_sd_refine)
	kMaxF32         = gpu.Kernel(C.KID_max_f32)
	kMaxF64         = gpu.Kernel(C.KID_max_f64)
	kFillU32        = gpu.Kernel(C.KID_fill_u32)
	kLtCentres      = gpu.Kernel(C.KID_lt_centres)
	kLtPaint        = gpu.Kernel(C.KID_lt_paint)
	kInflateHeights = gpu.Kernel(C.KID_inflate_heights)
	kInflateField   = gpu.Kernel(C.KID_inflate_field)
	kScanSumU8      = gpu.Kernel(C.KID_scan_sum_u8)
	kScanSumPopc    = gpu.Kernel(C.KID_scan_sum_popc)
	kScanSumU64     = gpu.Kernel(C.KID_scan_sum_u64)
	kScanTop        = gpu.Kernel(C.KID_scan_top)
	kScanDownU64    = gpu.Kernel(C.KID_scan_down_u64)
	kScanDownPopc   = gpu.Kernel(C.KID_scan_down_popc)
	kMcClassify     = gpu.Kernel(C.KID_mc_classify)
	kMcEdges        = gpu.Kernel(C.KID_mc_edges)
	kMcCells        = gpu.Kernel(C.KID_mc_cells)
	kMcVerts        = gpu.Kernel(C.KID_mc_verts)
	kMcFaces        = gpu.Kernel(C.KID_mc_faces)
	kBlurPrep       = gpu.Kernel(C.KID_blur_prep)
	kBlurRows       = gpu.Kernel(C.KID_blur_rows)
	kBlurCols       = gpu.Kernel(C.KID_blur_cols)
	kRtinOwn        = gpu.Kernel(C.KID_rtin_own)
	kRtinSatOdd     = gpu.Kernel(C.KID_rtin_sat_odd)
	kRtinSatEven    = gpu.Kernel(C.KID_rtin_sat_even)
	kRtinVCount     = gpu.Kernel(C.KID_rtin_vcount)
	kRtinVWrite     = gpu.Kernel(C.KID_rtin_vwrite)
	kRtinTCount     = gpu.Kernel(C.KID_rtin_tcount)
	kRtinTWrite     = gpu.Kernel(C.KID_rtin_twrite)
	kRtinWSum       = gpu.Kernel(C.KID_rtin_wsum)
	kernelCount     = int(C.KID_COUNT)
)

// kernelArgSizes is the Go side's size of each kernel's argument struct; a test checks it against
// the emulator's C compiler.
var kernelArgSizes = map[gpu.Kernel]uintptr{
	kEdtCols:        unsafe.Sizeof(C.struct_edt_cols_args{}),
	kEdtRows:        unsafe.Sizeof(C.struct_edt_rows_args{}),
	kSdRefine:       unsafe.Sizeof(C.struct_sd_refine_args{}),
	kMaxF32:         unsafe.Sizeof(C.struct_max_f32_args{}),
	kMaxF64:         unsafe.Sizeof(C.struct_max_f64_args{}),
	kFillU32:        unsafe.Sizeof(C.struct_fill_u32_args{}),
	kLtCentres:      unsafe.Sizeof(C.struct_lt_centres_args{}),
	kLtPaint:        unsafe.Sizeof(C.struct_lt_paint_args{}),
	kInflateHeights: unsafe.Sizeof(C.struct_inflate_heights_args{}),
	kInflateField:   unsafe.Sizeof(C.struct_inflate_field_args{}),
	kScanSumU8:      unsafe.Sizeof(C.struct_scan_sum_u8_args{}),
	kScanSumPopc:    unsafe.Sizeof(C.struct_scan_sum_popc_args{}),
	kScanSumU64:     unsafe.Sizeof(C.struct_scan_sum_u64_args{}),
	kScanTop:        unsafe.Sizeof(C.struct_scan_top_args{}),
	kScanDownU64:    unsafe.Sizeof(C.struct_scan_down_u64_args{}),
	kScanDownPopc:   unsafe.Sizeof(C.struct_scan_down_popc_args{}),
	kMcClassify:     unsafe.Sizeof(C.struct_mc_classify_args{}),
	kMcEdges:        unsafe.Sizeof(C.struct_mc_edges_args{}),
	kMcCells:        unsafe.Sizeof(C.struct_mc_cells_args{}),
	kMcVerts:        unsafe.Sizeof(C.struct_mc_verts_args{}),
	kMcFaces:        unsafe.Sizeof(C.struct_mc_faces_args{}),
	kBlurPrep:       unsafe.Sizeof(C.struct_blur_prep_args{}),
	kBlurRows:       unsafe.Sizeof(C.struct_blur_pass_args{}),
	kBlurCols:       unsafe.Sizeof(C.struct_blur_pass_args{}),
	kRtinOwn:        unsafe.Sizeof(C.struct_rtin_own_args{}),
	kRtinSatOdd:     unsafe.Sizeof(C.struct_rtin_sat_args{}),
	kRtinSatEven:    unsafe.Sizeof(C.struct_rtin_sat_args{}),
	kRtinVCount:     unsafe.Sizeof(C.struct_rtin_vcount_args{}),
	kRtinVWrite:     unsafe.Sizeof(C.struct_rtin_vwrite_args{}),
	kRtinTCount:     unsafe.Sizeof(C.struct_rtin_tcount_args{}),
	kRtinTWrite:     unsafe.Sizeof(C.struct_rtin_twrite_args{}),
	kRtinWSum:       unsafe.Sizeof(C.struct_rtin_wsum_args{}),
}

// blockThreads is the block size of every launch: a multiple of the warp size that fits every
// GPU since Volta at any register count these kernels use.
const blockThreads = 256

// launch queues kernel k over n threads (rounded up to whole blocks) with argument struct a.
// Nothing is launched when n is 0.
func launch[T any](s gpu.Stream, k gpu.Kernel, n uint64, a *T) error {
	if n == 0 {
		return nil
	}
	blocks := (n + blockThreads - 1) / blockThreads
	return s.Launch(k, uint32(blocks), blockThreads, unsafe.Pointer(a), unsafe.Sizeof(*a))
}

// dptr converts a device address for an argument struct.
func dptr(p gpu.Ptr) C.ulonglong { return C.ulonglong(p) }

// allocN allocates n elements of T.
func allocN[T any](s gpu.Stream, n int) (gpu.Ptr, error) {
	var z T
	return s.Alloc(uint64(n) * uint64(unsafe.Sizeof(z)))
}

// upload allocates device memory for xs and copies it there.
func upload[T any](s gpu.Stream, xs []T) (gpu.Ptr, error) {
	p, err := allocN[T](s, len(xs))
	if err != nil || len(xs) == 0 {
		return p, err
	}
	return p, s.Upload(p, unsafe.Pointer(&xs[0]), uint64(len(xs))*uint64(unsafe.Sizeof(xs[0])))
}

// download copies n elements of T from p.
func download[T any](s gpu.Stream, p gpu.Ptr, n int) ([]T, error) {
	out := make([]T, n)
	if n == 0 {
		return out, nil
	}
	return out, s.Download(unsafe.Pointer(&out[0]), p, uint64(n)*uint64(unsafe.Sizeof(out[0])))
}
