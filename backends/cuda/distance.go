//go:build cgo

package cuda

/*
#define ORFEAS_GO_SIDE 1
#include "kernels/args.h"
*/
import "C"

import (
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/backends/internal/distance"
)

// squaredDistance runs the exact distance transform (kernels/edt.cu) of the w×h target bytes at
// target: the squared distance in pixels (float64) to the nearest target and its index (int32,
// -1 when there is none), as backends/internal/distance.SquaredDistance computes them.
func squaredDistance(s gpu.Stream, target gpu.Ptr, w, h int) (d, idx gpu.Ptr, err error) {
	n := w * h
	var f, dcol, row, v, z gpu.Ptr
	for _, b := range []struct {
		p    *gpu.Ptr
		size uint64
	}{
		{&f, 8 * uint64(n)}, {&dcol, 8 * uint64(n)}, {&row, 4 * uint64(n)},
		{&v, 4 * uint64(n)}, {&z, 8 * uint64(n+max(w, h))},
		{&d, 8 * uint64(n)}, {&idx, 4 * uint64(n)},
	} {
		if *b.p, err = s.Alloc(b.size); err != nil {
			return 0, 0, err
		}
	}
	ca := C.struct_edt_cols_args{target: dptr(target), f: dptr(f), d: dptr(dcol), row: dptr(row), v: dptr(v), z: dptr(z), w: C.int(w), h: C.int(h)}
	if err := launch(s, kEdtCols, uint64(w), &ca); err != nil {
		return 0, 0, err
	}
	ra := C.struct_edt_rows_args{dcol: dptr(dcol), row: dptr(row), d: dptr(d), idx: dptr(idx), v: dptr(v), z: dptr(z), w: C.int(w), h: C.int(h)}
	return d, idx, launch(s, kEdtRows, uint64(h), &ra)
}

// signedDistance computes backends/internal/distance.SignedDistance of the w×h coverage mask: the outline
// is traced and seeded on the CPU (distance.OutlineSeeds), the transform and the distances to the
// seed points run on the device. It returns the float32 distances on the device.
func signedDistance(s gpu.Stream, mask []float32, w, h int) (gpu.Ptr, error) {
	seeds, pts := distance.OutlineSeeds(mask, w, h)
	s8 := make([]uint8, len(seeds))
	for i, v := range seeds {
		if v {
			s8[i] = 1
		}
	}
	sp, err := upload(s, s8)
	if err != nil {
		return 0, err
	}
	pp, err := upload(s, pts)
	if err != nil {
		return 0, err
	}
	mp, err := upload(s, mask)
	if err != nil {
		return 0, err
	}
	_, idx, err := squaredDistance(s, sp, w, h)
	if err != nil {
		return 0, err
	}
	sd, err := allocN[float32](s, w*h)
	if err != nil {
		return 0, err
	}
	a := C.struct_sd_refine_args{idx: dptr(idx), seeds: dptr(sp), pts: dptr(pp), mask: dptr(mp), sd: dptr(sd), w: C.int(w), h: C.int(h)}
	return sd, launch(s, kSdRefine, uint64(w*h), &a)
}
