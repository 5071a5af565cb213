//go:build cgo

package cuda

/*
#define ORFEAS_GO_SIDE 1
#include "kernels/args.h"
*/
import "C"

import (
	"context"
	"fmt"
	"math"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/rtin"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// rtinBytes is the device memory heightfieldMesh's device stages need for lattice l: the heights,
// the error bounds and weights, and the cut at its largest (every leaf in R: two triangles per
// grid cell), with its vertex numbering and the prefix sums.
func rtinBytes(l rtin.Lattice) uint64 {
	wh := uint64(l.W * l.H)
	tris := 4 * uint64(l.Points())           // the triangles of all levels, which the prefix sums count
	return 4*wh + 5*uint64(l.Points()) + 3 + // heights, bounds, weights
		4*wh + 8*wh + 24*wh + // vertex numbers, coordinates, triangles
		8*(chunks(wh, scanChunk)+chunks(tris, scanChunk)+chunks(uint64(l.Points()), scanChunk)) + // sums
		3*(8<<10) + 1<<16 // their scans
}

// rtinErrors computes the saturated error bounds of g's RTIN and the diamonds' weights on the
// device, left there: Stages 1 and 2 of backends/cuda/internal/rtin (OwnErrors, Saturate), the same
// numbers bit for bit. The weights are bytes, (Points()+3)/4 words.
func rtinErrors(s gpu.Stream, g heightfield.Grid, l rtin.Lattice) (e, wt gpu.Ptr, err error) {
	zp, err := upload(s, g.Z)
	if err != nil {
		return 0, 0, err
	}
	np := l.Points()
	if e, err = allocN[float32](s, np); err != nil {
		return 0, 0, err
	}
	// The weights are zeroed as words: the root squares' corners are nobody's midpoint.
	nw := (np + 3) / 4
	if wt, err = allocN[uint32](s, nw); err != nil {
		return 0, 0, err
	}
	for _, f := range [2]C.struct_fill_u32_args{{a: dptr(e), n: C.u32(np)}, {a: dptr(wt), n: C.u32(nw)}} {
		if err := launch(s, kFillU32, uint64(f.n), &f); err != nil {
			return 0, 0, err
		}
	}
	oa := C.struct_rtin_own_args{z: dptr(zp), e: dptr(e), w: C.int(l.W), h: C.int(l.H), n: C.int(l.N), rx: C.int(l.MX), ry: C.int(l.MY)}
	if err := launch(s, kRtinOwn, uint64(l.W*l.H), &oa); err != nil {
		return 0, 0, err
	}
	for side := 2; side <= l.N; side *= 2 {
		kx, ky := uint64(l.MX*l.N/side), uint64(l.MY*l.N/side)
		sa := C.struct_rtin_sat_args{e: dptr(e), wt: dptr(wt), w: C.int(l.W), h: C.int(l.H), n: C.int(l.N), rx: C.int(l.MX), ry: C.int(l.MY), s: C.int(side)}
		if err := launch(s, kRtinSatOdd, kx*(ky+1)+(kx+1)*ky, &sa); err != nil {
			return 0, 0, err
		}
		if err := launch(s, kRtinSatEven, kx*ky, &sa); err != nil {
			return 0, 0, err
		}
	}
	return e, wt, nil
}

// rtinFits reports whether the cut at t fits budget, from the bounds e and weights wt on the
// device (rtin.Lattice.CutCost), so that the usual case, a budget the tolerance already
// meets, needs no download of the bounds.
func rtinFits(s gpu.Stream, l rtin.Lattice, e, wt gpu.Ptr, t float64, budget int) (bool, error) {
	np := uint64(l.Points())
	_, total, err := chunkOffsets(s, np, func(sums gpu.Ptr, m uint64) error {
		a := C.struct_rtin_wsum_args{e: dptr(e), wt: dptr(wt), sums: dptr(sums), count: C.u32(np), chunk: scanChunk, t: C.double(t)}
		return launch(s, kRtinWSum, m, &a)
	})
	return err == nil && l.BaseCost()+int64(total) <= int64(budget), err
}

// rtinCut extracts the cut at t from the bounds e on the device (Stage 3, heightfield's Emit):
// vertices numbered row by row, triangles level by level, compacted by prefix sums.
func rtinCut(s gpu.Stream, g heightfield.Grid, l rtin.Lattice, e gpu.Ptr, t float64) (*heightfield.Surface, error) {
	wh := uint64(l.W * l.H)
	id, err := allocN[int32](s, int(wh))
	if err != nil {
		return nil, err
	}
	voffs, nv, err := chunkOffsets(s, wh, func(sums gpu.Ptr, m uint64) error {
		a := C.struct_rtin_vcount_args{e: dptr(e), sums: dptr(sums), w: C.int(l.W), h: C.int(l.H), n: C.int(l.N), rx: C.int(l.MX), ry: C.int(l.MY), count: C.u32(wh), chunk: scanChunk, t: C.double(t)}
		return launch(s, kRtinVCount, m, &a)
	})
	if err != nil {
		return nil, err
	}
	px, err := allocN[int32](s, int(nv))
	if err != nil {
		return nil, err
	}
	py, err := allocN[int32](s, int(nv))
	if err != nil {
		return nil, err
	}
	va := C.struct_rtin_vwrite_args{e: dptr(e), offs: dptr(voffs), id: dptr(id), px: dptr(px), py: dptr(py), w: C.int(l.W), h: C.int(l.H), n: C.int(l.N), rx: C.int(l.MX), ry: C.int(l.MY), count: C.u32(wh), chunk: scanChunk, t: C.double(t)}
	if err := launch(s, kRtinVWrite, chunks(wh, scanChunk), &va); err != nil {
		return nil, err
	}
	nt := uint64(0)
	for lv := range l.Levels() {
		nt += uint64(l.LevelSize(lv))
	}
	toffs, nf, err := chunkOffsets(s, nt, func(sums gpu.Ptr, m uint64) error {
		a := C.struct_rtin_tcount_args{e: dptr(e), sums: dptr(sums), w: C.int(l.W), h: C.int(l.H), n: C.int(l.N), rx: C.int(l.MX), ry: C.int(l.MY), levels: C.int(l.Levels()), count: C.u32(nt), chunk: scanChunk, t: C.double(t)}
		return launch(s, kRtinTCount, m, &a)
	})
	if err != nil {
		return nil, err
	}
	tris, err := allocN[int32](s, int(3*nf))
	if err != nil {
		return nil, err
	}
	worst, err := allocN[uint32](s, 1)
	if err != nil {
		return nil, err
	}
	fa := C.struct_fill_u32_args{a: dptr(worst), n: 1}
	if err := launch(s, kFillU32, 1, &fa); err != nil {
		return nil, err
	}
	ta := C.struct_rtin_twrite_args{e: dptr(e), offs: dptr(toffs), id: dptr(id), tris: dptr(tris), worst: dptr(worst), w: C.int(l.W), h: C.int(l.H), n: C.int(l.N), rx: C.int(l.MX), ry: C.int(l.MY), levels: C.int(l.Levels()), count: C.u32(nt), chunk: scanChunk, t: C.double(t)}
	if err := launch(s, kRtinTWrite, chunks(nt, scanChunk), &ta); err != nil {
		return nil, err
	}
	surf := &heightfield.Surface{Grid: g}
	if surf.PX, err = download[int32](s, px, int(nv)); err != nil {
		return nil, err
	}
	if surf.PY, err = download[int32](s, py, int(nv)); err != nil {
		return nil, err
	}
	if surf.Tris, err = download[int32](s, tris, int(3*nf)); err != nil {
		return nil, err
	}
	wb, err := download[float32](s, worst, 1)
	if err != nil {
		return nil, err
	}
	surf.MaxErr = float64(wb[0])
	return surf, nil
}

// heightfieldMesh triangulates g, the heights of a relief or flat lithophane, as an RTIN on the
// device, within modes.HeightfieldTolerance(in) or the face budget, and closes it into a solid of
// the Input's size. The threshold that meets a budget is chosen on the host, from the bounds and
// weights (rtin.Lattice.Threshold); without a budget they stay on the device.
func heightfieldMesh(ctx context.Context, in *backends.Input, g heightfield.Grid, progress backends.Progress, onDevice deviceRunner) (*mesh.Mesh, backends.Report, error) {
	l, err := rtin.NewLattice(g.W, g.H)
	if err != nil {
		return nil, backends.Report{}, fmt.Errorf("%w: %w", backends.ErrInvalidInput, err)
	}
	tol := modes.HeightfieldTolerance(in)
	progress.Report("triangulate", 0)
	var surf *heightfield.Surface
	err = onDevice(ctx, rtinBytes(l), func(s gpu.Stream) error {
		e, wt, err := rtinErrors(s, g, l)
		if err != nil {
			return err
		}
		t := min(tol, math.MaxFloat64) // finite: see rtin.Lattice.Threshold
		fits := in.FaceBudget <= 0
		if !fits {
			if fits, err = rtinFits(s, l, e, wt, t, in.FaceBudget); err != nil {
				return err
			}
		}
		if !fits {
			ev, err := download[float32](s, e, l.Points())
			if err != nil {
				return err
			}
			wv, err := download[uint8](s, wt, l.Points())
			if err != nil {
				return err
			}
			t = l.Threshold(ev, wv, tol, in.FaceBudget)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		surf, err = rtinCut(s, g, l, e, t)
		return err
	})
	if err != nil {
		return nil, backends.Report{}, err
	}
	progress.Report("triangulate", 1)
	if err := ctx.Err(); err != nil {
		return nil, backends.Report{}, err
	}
	m, rep := heightfield.Close(surf, in.PixelSize, tol, progress)
	return m, rep, nil
}

// heightfieldOnDevice reports whether in, a relief or lithophane, is built on the device: a flat
// one whose grid has an RTIN lattice (rtin.MaxLatticeSide) and whose device stages fit the
// memory budget (0: no limit). The others go to the host backend.
func heightfieldOnDevice(in *backends.Input, budget uint64) bool {
	if in.Mode == backends.Lithophane && in.Lithophane.Defaults().Shape == backends.Cylinder {
		return false
	}
	l, err := rtin.NewLattice(in.Width, in.Height)
	if err != nil {
		return false
	}
	need := rtinBytes(l)
	if in.Mode == backends.Relief {
		need = max(need, reliefBytes(in))
	}
	return budget == 0 || reserve(need) <= budget
}

// relief builds a relief: smoothing on the device, the heights on the host (modes.ReliefHeights),
// the RTIN's error bounds on the device, extraction and walls on the host.
func relief(ctx context.Context, in *backends.Input, progress backends.Progress, onDevice deviceRunner) (*mesh.Mesh, backends.Report, error) {
	p := in.Relief.Defaults()
	if err := modes.CheckReliefFrame(p); err != nil {
		return nil, backends.Report{}, err
	}
	progress.Report("height", 0)
	var f []float64
	err := onDevice(ctx, reliefBytes(in), func(s gpu.Stream) error {
		var err error
		f, err = smoothDevice(ctx, s, modes.ReliefSource(in), in.Width, in.Height, p.Smooth, p.Invert)
		return err
	})
	if err != nil {
		return nil, backends.Report{}, fmt.Errorf("smoothing: %w", err)
	}
	g := modes.ReliefHeights(in, p, f)
	progress.Report("height", 1)
	return heightfieldMesh(ctx, in, g, progress, onDevice)
}
